"""E-invoices on the screens: the customer's format and buyer reference (form, page, CSV), the seller contact and
the Factur-X switch in Settings, the editor's buyer reference and e-invoice choice (full page and htmx), the
invoice page's downloads and check results, the customer's page, and the invoice e-mail's XRechnung attachment
(over real SMTP)."""
from __future__ import annotations

import email
import io
import re
from email import policy

import pytest
from sqlalchemy import select

from tests import einvoice_docs as E
from tests.smtp import configure, free_port, start_server
from tests.views.test_settings import GOOD
from webapp.extensions import db
from webapp.models import Contact, Document, ImportJob, Organization, OutboxMessage
from webapp.services import drafts, einvoice_xml, mail

HX = {"HX-Request": "true"}
CUSTOMER = {"company_name": "Stadt Musterhausen", "country": "DE", "is_customer": "y", "locale": "", "currency": ""}


@pytest.fixture
def seller(login_as):
    owner = login_as("owner")
    E.ready(owner.org)
    return owner


def version_of(response) -> int:
    return int(re.search(r'id="doc-version" name="current_version" value="(\d+)"', response.data.decode()).group(1))


def header_data(version: int, **values) -> dict:
    return {"current_version": version, "currency": "EUR", "payment_terms": "14", **values}


# --- the customer ---------------------------------------------------------------------------------------

def test_the_customer_form_sets_the_e_invoice_format_and_the_buyer_reference(seller):
    page = seller.client.get("/customers/new").data.decode()
    select_html = re.search(r'<select[^>]*name="e_invoice_format".*?</select>', page, re.S).group(0)
    assert [v for v in re.findall(r'value="([^"]*)"', select_html)] == ["", "facturx-cii", "xrechnung-ubl",
                                                                          "xrechnung-cii"]
    assert "XRechnung (UBL)" in select_html and 'name="buyer_reference"' in page
    r = seller.client.post("/customers/new", data={**CUSTOMER, "e_invoice_format": "xrechnung-ubl",
                                                   "buyer_reference": f"  {E.LEITWEG_ID} "})
    assert r.status_code == 303
    contact = db.session.scalar(select(Contact).where(Contact.org_id == seller.org.id))
    assert (contact.e_invoice_format, contact.buyer_reference) == ("xrechnung-ubl", E.LEITWEG_ID)
    shown = seller.client.get(f"/customers/{contact.id}").data.decode()
    assert re.search(r'id="customer-e-invoice">XRechnung \(UBL\)<', shown)
    assert f'id="customer-buyer-reference">{E.LEITWEG_ID}<' in shown
    edit = seller.client.get(f"/customers/{contact.id}/edit").data.decode()
    assert re.search(r'<option selected value="xrechnung-ubl">|<option value="xrechnung-ubl" selected', edit)
    r = seller.client.post(f"/customers/{contact.id}/edit", data={**CUSTOMER, "e_invoice_format": "",
                                                                  "buyer_reference": ""})
    assert r.status_code == 303
    db.session.expire_all()
    assert (db.session.get(Contact, contact.id).e_invoice_format, contact.buyer_reference) == ("", "")


def test_an_unknown_format_or_a_long_reference_is_a_form_error_and_saves_nothing(seller, f):
    contact = E.customer(seller.org, "facturx-cii")
    for change, field in (({"e_invoice_format": "peppol"}, "e_invoice_format"),
                          ({"buyer_reference": "x" * 101}, "buyer_reference")):
        r = seller.client.post(f"/customers/{contact.id}/edit", data={**CUSTOMER, **change})
        assert r.status_code == 422, change
        html = r.data.decode()
        assert f'id="{field}-error"' in html, change
        db.session.expire_all()
        assert db.session.get(Contact, contact.id).e_invoice_format == "facturx-cii"
        assert db.session.get(Contact, contact.id).buyer_reference == E.LEITWEG_ID


def test_the_customer_csv_exports_and_imports_both_columns(seller):
    E.customer(seller.org, "xrechnung-cii")
    export = seller.client.get("/customers/export.csv").data.decode()
    header, row = export.splitlines()[:2]
    columns = [c.strip('"') for c in header.split(",")]
    cells = [c.strip('"') for c in row.split('","')]
    assert cells[columns.index("buyer_reference")] == E.LEITWEG_ID
    assert cells[columns.index("e_invoice_format")] == "xrechnung-cii"
    csv = ("Company,Country,buyer_reference,e_invoice_format\n"
           "Amt A,DE,991-1-2,xrechnung-ubl\nAmt B,DE,,\nAmt C,DE,,peppol\n").encode()
    r = seller.client.post("/customers/import", data={"file": (io.BytesIO(csv), "c.csv")},
                           content_type="multipart/form-data")
    assert r.status_code == 303, r.data
    job = db.session.scalar(select(ImportJob).where(ImportJob.org_id == seller.org.id))
    preview = seller.client.get(f"/customers/import/{job.id}").data.decode()
    assert "<strong>2</strong> ready, <strong>1</strong> with errors." in preview
    errors = preview.split('id="import-errors"')[1].split("</table>")[0]
    assert "<td>4</td><td>E-invoice (facturx-cii, xrechnung-ubl, xrechnung-cii or empty)</td>" in errors
    r = seller.client.post(f"/customers/import/{job.id}/run", data={"mode": "valid_only"})
    assert r.status_code == 303
    imported = {c.company_name: (c.buyer_reference, c.e_invoice_format) for c in db.session.scalars(
        select(Contact).where(Contact.org_id == seller.org.id, Contact.company_name.like("Amt %")))}
    assert imported == {"Amt A": ("991-1-2", "xrechnung-ubl"), "Amt B": ("", "")}  # Amt C: an unknown format


# --- settings -------------------------------------------------------------------------------------------

def test_settings_take_the_contact_person_and_the_factur_x_switch(login_as):
    owner = login_as("owner")
    page = owner.client.get("/settings/").data.decode()
    assert "Contact person on invoices" in page and "Attach the e-invoice (Factur-X) to every PDF" in page
    assert re.search(r'<input[^>]* checked [^>]*name="facturx_enabled"', page)  # on by default
    r = owner.client.post("/settings/", data={**GOOD, "contact_name": "Jana Buchhalter",
                                              "registration_id": "HRB 12345 B"})  # the checkbox left unticked
    assert r.status_code == 303
    db.session.expire_all()
    org = db.session.get(Organization, owner.org.id)
    assert (org.contact_name, org.registration_id, org.facturx_enabled) == ("Jana Buchhalter", "HRB 12345 B", False)
    assert owner.client.post("/settings/", data={**GOOD, "contact_name": "", "facturx_enabled": "y"}).status_code == 303
    db.session.expire_all()
    org = db.session.get(Organization, owner.org.id)
    assert (org.contact_name, org.facturx_enabled) == ("", True)
    r = owner.client.post("/settings/", data={**GOOD, "contact_name": "x" * 201})
    assert r.status_code == 422 and 'id="contact_name-error"' in r.data.decode()


# --- the editor -----------------------------------------------------------------------------------------

def test_the_editor_names_the_customers_format_and_saves_the_choice_and_buyer_reference(seller, f):
    doc = f.draft(seller.org, E.customer(seller.org, "xrechnung-cii", buyer_reference=""))
    page = seller.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert "Buyer reference (Leitweg-ID)" in page
    choice = re.search(r'<select[^>]*name="e_invoice".*?</select>', page, re.S).group(0)
    assert re.search(r'<option selected value="customer">The customer(&#39;|\')s choice \(XRechnung \(CII\)\)',
                     choice)
    assert re.findall(r'value="([^"]*)"', choice) == ["customer", "", "facturx-cii", "xrechnung-ubl", "xrechnung-cii"]
    assert einvoice_xml.effective_format(doc) == "xrechnung-cii"

    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(
        doc.version, buyer_reference=" 04011000-1-99 ", e_invoice="xrechnung-ubl"))
    assert r.status_code == 200
    assert 'id="header-errors"' in r.data.decode() and 'name="e_invoice"' not in r.data.decode()  # figures only
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert (doc.buyer_reference, doc.e_invoice_format) == ("04011000-1-99", "xrechnung-ubl")
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(
        version_of(r), buyer_reference="04011000-1-99", e_invoice=""))
    db.session.expire_all()
    assert db.session.get(Document, doc.id).e_invoice_format == ""  # none
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(
        version_of(r), buyer_reference="", e_invoice="customer"))
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert (doc.buyer_reference, doc.e_invoice_format) == ("", None)  # the customer's again


def test_the_editor_refuses_an_unknown_choice_and_a_long_reference_with_the_field_named(seller, f):
    doc = f.draft(seller.org, E.customer(seller.org))
    for change, label in (({"e_invoice": "peppol"}, "E-invoice"), ({"buyer_reference": "x" * 101},
                                                                   "Buyer reference (Leitweg-ID)")):
        r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(doc.version, **change))
        assert r.status_code == 422, change
        assert f"{label}:" in r.data.decode() and "Not saved." in r.data.decode()
        db.session.expire_all()
        assert (db.session.get(Document, doc.id).e_invoice_format, db.session.get(Document, doc.id).buyer_reference) \
            == (None, "")


def test_without_javascript_the_header_form_posts_and_comes_back_to_the_editor(seller, f):
    doc = f.draft(seller.org, E.customer(seller.org, ""))
    r = seller.client.post(f"/invoices/{doc.id}/header", data=header_data(doc.version, e_invoice="facturx-cii",
                                                                          buyer_reference="PO-Box"))
    assert r.status_code == 303 and r.headers["Location"] == f"/invoices/{doc.id}/edit"
    page = seller.client.get(r.headers["Location"]).data.decode()
    assert re.search(r'<option selected value="facturx-cii">', page) and 'value="PO-Box"' in page


def test_a_quotes_editor_has_no_e_invoice_fields_and_keeps_its_choice(seller, f):
    quote = drafts.new_draft(seller.org, seller.user, E.customer(seller.org), kind="quote")
    db.session.commit()
    page = seller.client.get(f"/invoices/{quote.id}/edit").data.decode()
    assert 'name="e_invoice"' not in page and 'name="buyer_reference"' not in page
    r = seller.client.post(f"/invoices/{quote.id}/header", headers=HX, data=header_data(quote.version))
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(Document, quote.id).e_invoice_format is None


def test_issuing_freezes_the_customers_choice_and_buyer_reference(seller, f):
    contact = E.customer(seller.org, "xrechnung-cii")
    doc = f.issued(seller.org, contact_=contact)
    assert (doc.e_invoice_format, doc.buyer_reference) == ("xrechnung-cii", E.LEITWEG_ID)
    contact.e_invoice_format, contact.buyer_reference = "", "changed"
    db.session.commit()
    assert einvoice_xml.effective_format(db.session.get(Document, doc.id)) == "xrechnung-cii"


# --- the invoice page and the downloads -----------------------------------------------------------------

def test_the_invoice_page_shows_each_stored_check_and_the_downloads(seller, f):
    doc = f.issued(seller.org, contact_=E.customer(seller.org))
    E.stored_row(doc, "xrechnung-ubl")
    warned = E.stored_row(doc, "facturx-cii")
    warned_findings = [{"rule": "BR-CL-23-x", "flag": "warning", "message": "Unit code recommended", "location": "/"}]
    if not warned.findings:  # the test's own row (issuing stores none yet): give it a warning to show
        db.session.execute(warned.__table__.update().where(warned.__table__.c.id == warned.id)
                           .values(findings=warned_findings))
        db.session.commit()
        db.session.expire_all()
    page = seller.client.get(f"/invoices/{doc.id}").data.decode()
    block = page.split('id="e-invoice"')[1].split("</article>")[0]
    assert "the customer gets XRechnung (UBL)" in block
    ubl = block.split('id="e-invoice-xrechnung-ubl"')[1].split("</li>")[0]
    row = einvoice_xml.stored(doc, "xrechnung-ubl")
    assert f"checked with {row.rules} on" in ubl
    assert ("no findings" in ubl) == (not row.findings)
    facturx = block.split('id="e-invoice-facturx-cii"')[1].split("</ul>")[0]
    shown = einvoice_xml.stored(doc, "facturx-cii").findings
    assert f"{len(shown)} warning" in facturx
    assert all(f"<code>{x['rule']}</code> {x['message']}" in facturx for x in shown)
    for fmt in ("xrechnung-ubl", "xrechnung-cii", "facturx-cii"):
        assert f'href="/invoices/{doc.id}/xml?format={fmt}"' in block
    assert "Download XRechnung (UBL)" in block and "Download Factur-X XML" in block


def test_a_draft_and_a_quote_show_no_e_invoice_block(seller, f):
    draft = f.draft(seller.org, E.customer(seller.org))
    assert 'id="e-invoice"' not in seller.client.get(f"/invoices/{draft.id}").data.decode()


def test_the_download_serves_the_stored_bytes_with_type_and_name(seller, f):
    org = seller.org
    org.facturx_enabled = False
    db.session.commit()
    doc = f.issued(org, contact_=E.customer(org, ""))  # issuing stores nothing for this one
    row = E.stored_row(doc, "xrechnung-cii", marker=b"<!-- as stored -->\n")
    r = seller.client.get(f"/invoices/{doc.id}/xml?format=xrechnung-cii")
    assert r.status_code == 200
    assert r.data == row.xml and (b"<!-- as stored -->" in r.data) == (row.xml.endswith(b"<!-- as stored -->\n"))
    assert r.mimetype == "application/xml"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{doc.number}-xrechnung-cii.xml"'
    assert r.headers["Cache-Control"] == "private, no-store"
    # a format stored at issue is served as stored; another one is built from the frozen figures (nothing written)
    ubl = seller.client.get(f"/invoices/{doc.id}/xml?format=xrechnung-ubl")
    assert ubl.status_code == 200 and ubl.data == einvoice_xml.build(doc, org, "xrechnung-ubl")
    assert einvoice_xml.stored(doc, "xrechnung-ubl") is None
    assert ubl.data.startswith(b"<?xml") and b"<Invoice" in ubl.data[:400]
    # no format: the customer's, else Factur-X
    default = seller.client.get(f"/invoices/{doc.id}/xml")
    assert default.headers["Content-Disposition"].endswith(f'"{doc.number}-factur-x.xml"')


def test_an_unknown_format_is_400_and_a_draft_or_quote_is_refused_with_the_reason(seller, f):
    doc = f.issued(seller.org, contact_=E.customer(seller.org))
    r = seller.client.get(f"/invoices/{doc.id}/xml?format=peppol")
    assert r.status_code == 400
    assert "There is no e-invoice format peppol: use xrechnung-ubl, xrechnung-cii or facturx-cii." in r.data.decode()
    draft = f.draft(seller.org, E.customer(seller.org))
    r = seller.client.get(f"/invoices/{draft.id}/xml?format=xrechnung-ubl")
    assert r.status_code == 422 and "A draft has no e-invoice yet: issue it first." in r.data.decode()
    from webapp.services import issuing

    quote = drafts.new_draft(seller.org, seller.user, E.customer(seller.org), kind="quote")
    drafts.update_line(quote, drafts.add_line(seller.org, quote), {"description": "Offer"})
    issuing.issue(seller.org, seller.user, quote)
    db.session.commit()
    r = seller.client.get(f"/invoices/{quote.id}/xml")
    assert r.status_code == 422 and "Only invoices and credit notes have an e-invoice." in r.data.decode()
    assert 'id="e-invoice"' not in seller.client.get(f"/invoices/{quote.id}").data.decode()


def test_a_credit_note_carries_the_invoices_choice_and_has_its_downloads(seller, f):
    from webapp.services import corrections, issuing

    contact = E.customer(seller.org, "")
    invoice = f.draft(seller.org, contact)
    invoice.e_invoice_format, invoice.buyer_reference = "xrechnung-cii", "991-77"
    db.session.commit()
    issuing.issue(seller.org, seller.user, invoice)
    db.session.commit()
    note = corrections.full_credit_note(seller.org, seller.user, invoice, "Returned")
    if note.is_draft:
        issuing.issue(seller.org, seller.user, note)
    db.session.commit()
    assert (note.e_invoice_format, note.buyer_reference) == ("xrechnung-cii", "991-77")
    r = seller.client.get(f"/invoices/{note.id}/xml?format=xrechnung-ubl")
    assert r.status_code == 200 and b"<CreditNote" in r.data[:500]
    assert 'id="e-invoice"' in seller.client.get(f"/invoices/{note.id}").data.decode()


def test_another_organizations_invoice_is_404(seller, login_as, f):
    other = login_as("owner")
    E.ready(other.org)
    doc = f.issued(other.org, contact_=E.customer(other.org))
    assert seller.client.get(f"/invoices/{doc.id}/xml?format=xrechnung-ubl").status_code == 404


# --- the customer's page --------------------------------------------------------------------------------

def test_the_customers_page_offers_its_e_invoice_and_nothing_when_it_gets_the_pdf_only(app, seller, f):
    doc = f.issued(seller.org, contact_=E.customer(seller.org, "xrechnung-ubl", locale="de_DE"))
    row = E.stored_row(doc, "xrechnung-ubl")
    customer = app.test_client()
    page = customer.get(f"/p/{doc.public_token}").data.decode()
    assert f'href="/p/{doc.public_token}/xml"' in page and "XRechnung (UBL) herunterladen" in page
    r = customer.get(f"/p/{doc.public_token}/xml")
    assert r.status_code == 200 and r.data == row.xml and r.mimetype == "application/xml"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{doc.number}-xrechnung-ubl.xml"'

    plain = f.issued(seller.org, contact_=E.customer(seller.org, ""))
    assert 'id="download-e-invoice"' not in customer.get(f"/p/{plain.public_token}").data.decode()
    assert customer.get(f"/p/{plain.public_token}/xml").status_code == 404
    assert customer.get("/p/not-a-token/xml").status_code == 404


# --- the e-mail -----------------------------------------------------------------------------------------

@pytest.fixture
def smtp(app, monkeypatch):
    port = free_port()
    configure(app, monkeypatch, port)
    controller, inbox = start_server(port)
    yield inbox
    controller.stop()


def send(client, doc, attach_pdf: bool):
    from tests.views.test_sending import dialog

    fields = dialog(client, doc.id)
    fields["attach_pdf"] = "y" if attach_pdf else ""
    r = client.post(f"/invoices/{doc.id}/send", data=fields)
    assert r.status_code == 303, r.data


@pytest.mark.parametrize("fmt, attach_pdf", [("xrechnung-ubl", False), ("xrechnung-cii", True)])
def test_an_xrechnung_customers_e_mail_carries_the_stored_xml(app, seller, f, smtp, fmt, attach_pdf):
    doc = f.issued(seller.org, contact_=E.customer(seller.org, fmt))
    row = E.stored_row(doc, fmt, marker=b"<!-- stored at issue -->\n")
    dialog_page = seller.client.get(f"/invoices/{doc.id}/send").data.decode()
    assert f"so {doc.number}-{fmt}.xml (the XML stored at issue) is always attached" in dialog_page
    send(seller.client, doc, attach_pdf)
    with app.test_request_context():
        report = mail.deliver_due()
    assert len(report.sent) == 1 and len(smtp.messages) == 1
    received = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=policy.default)
    attachments = {a.get_filename(): a for a in received.iter_attachments()}
    assert set(attachments) == {f"{doc.number}-{fmt}.xml"} | ({f"{doc.number}.pdf"} if attach_pdf else set())
    xml = attachments[f"{doc.number}-{fmt}.xml"]
    assert xml.get_content_type() == "application/xml"
    assert xml.get_payload(decode=True) == row.xml  # byte for byte the stored row
    page = seller.client.get(f"/invoices/{doc.id}").data.decode()
    assert f"the {fmt} XML attached" in page


def test_a_factur_x_or_pdf_only_customers_e_mail_attaches_no_xml(app, seller, f, smtp):
    for fmt in ("facturx-cii", ""):
        doc = f.issued(seller.org, contact_=E.customer(seller.org, fmt, name=f"Kunde {fmt or 'plain'}"))
        send(seller.client, doc, attach_pdf=True)
    with app.test_request_context():
        mail.deliver_due()
    assert len(smtp.messages) == 2
    for message in smtp.messages:
        received = email.message_from_bytes(message.as_bytes(), policy=policy.default)
        assert [a.get_content_type() for a in received.iter_attachments()] == ["application/pdf"]
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2
