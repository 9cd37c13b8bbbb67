"""The purchases screens (issue 17): the inbox without JavaScript, the list with its filters and sums, the
supplier's file (a sandboxed download, the organization's own), an e-invoice failing the official rules shown
with its errors, and who may edit a purchase draft (owners and bookkeepers; staff only upload)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from webapp.extensions import db
from webapp.models import Document, DocumentFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"


def upload(client, *files):
    return client.post("/purchases/inbox", data={"files": [(io.BytesIO(d), n) for n, d in files]},
                       content_type="multipart/form-data")


def test_the_inbox_without_javascript_lists_each_file(owner):
    page = owner.client.get("/purchases/inbox")
    assert page.status_code == 200 and b'name="files" multiple' in page.data
    answer = upload(owner.client, ("a.xml", (FIXTURES / "CII_example4.xml").read_bytes()), ("b.txt", b"hello"))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "a.xml</strong>:" in text and "a purchase draft from SellerCompany" in text
    assert "This file is neither an e-invoice (XML) nor a PDF." in text
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    assert f'/invoices/{doc.id}"' in text


def test_an_upload_without_files_says_so_and_changes_nothing(owner):
    answer = owner.client.post("/purchases/inbox", data={}, content_type="multipart/form-data")
    assert answer.status_code == 422 and "Choose one or more files." in answer.get_data(as_text=True)
    assert db.session.query(Document).filter_by(org_id=owner.org.id).count() == 0


def test_a_duplicate_links_to_the_existing_purchase(owner):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    upload(owner.client, ("a.xml", data))
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    text = upload(owner.client, ("again.xml", data)).get_data(as_text=True)
    assert "This file was uploaded already" in text and f'href="/invoices/{doc.id}"' in text


def test_the_purchases_list_shows_purchases_only_with_their_sums(owner, f):
    f.issued(owner.org)  # a sale: never in this list
    upload(owner.client, ("a.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes()))
    page = owner.client.get("/purchases/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "1–1 of 1 purchase" in text
    assert "De Koksmaat" in text and "12115118" in text
    assert re.search(r"drafts \(not booked yet\) <strong>[^<]*250,33", text) or "250.33" in text
    assert "Buyer" not in text.split('id="invoice-list"')[1]  # the sale's customer is not listed
    found = owner.client.get("/purchases/?q=koksmaat").get_data(as_text=True)
    assert "1–1 of 1 purchase" in found
    assert "No purchases match." in owner.client.get("/purchases/?q=nothing-like-it").get_data(as_text=True)


def test_the_supplier_file_is_a_sandboxed_download_of_the_organizations_own(owner, login_as):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    upload(owner.client, ("supplier invoice.xml", data))
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    answer = owner.client.get(f"/purchases/{doc.id}/file")
    assert answer.status_code == 200 and answer.data == data
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    page = owner.client.get(f"/invoices/{doc.id}").get_data(as_text=True)
    assert 'id="supplier-file"' in page and "supplier invoice.xml" in page
    assert 'id="supplier-file-passed"' in page
    stranger = login_as("owner")
    assert stranger.client.get(f"/purchases/{doc.id}/file").status_code == 404
    assert stranger.client.get(f"/invoices/{doc.id}").status_code == 404


def test_an_e_invoice_failing_the_rules_shows_its_errors_prominently(owner):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    broken = data.replace(b"<ram:GrandTotalAmount>4675</ram:GrandTotalAmount>",
                          b"<ram:GrandTotalAmount>4675.01</ram:GrandTotalAmount>")
    assert broken != data
    text = upload(owner.client, ("broken.xml", broken)).get_data(as_text=True)
    assert "The official rules found" in text
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    file = db.session.query(DocumentFile).filter_by(document_id=doc.id).one()
    fatal = [x["rule"] for x in file.findings if x["flag"] == "fatal"]
    assert "BR-CO-15" in fatal
    page = owner.client.get(f"/invoices/{doc.id}").get_data(as_text=True)
    assert 'id="supplier-file-fatal"' in page and "BR-CO-15" in page
    assert doc.gross_total == 467501  # the supplier's figure, kept as stated; the difference is named
    assert 'id="calculation-differences"' in page


def test_owners_and_bookkeepers_edit_a_purchase_draft_staff_only_upload(owner, login_as, f):
    upload(owner.client, ("a.xml", (FIXTURES / "CII_example4.xml").read_bytes()))
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    sale = f.draft(owner.org)
    bookkeeper, staff = login_as("bookkeeper", org=owner.org), login_as("staff", org=owner.org)
    assert owner.client.get(f"/invoices/{doc.id}/edit").status_code == 200
    assert bookkeeper.client.get(f"/invoices/{doc.id}/edit").status_code == 200
    assert bookkeeper.client.get(f"/invoices/{sale.id}/edit").status_code == 403  # a sale's draft: staff's
    assert staff.client.get(f"/invoices/{doc.id}/edit").status_code == 403
    assert staff.client.get("/purchases/inbox").status_code == 200
    answer = bookkeeper.client.post(f"/invoices/{doc.id}/header", data={
        "version": doc.version, "supplier_number": "TOSL110-B", "currency": "DKK", "payment_terms": "14",
        "chosen_issue_date": "2013-04-10"})
    assert answer.status_code == 303  # without htmx: back to the editor
    db.session.expire_all()
    assert db.session.get(Document, doc.id).supplier_number == "TOSL110-B"


def test_a_purchase_entered_by_hand_gets_its_supplier_in_the_editor(owner, login_as, f):
    answer = owner.client.post("/purchases/new", data={})
    assert answer.status_code == 303 and "/edit" in answer.headers["Location"]
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    assert (doc.kind, doc.status, doc.contact_id) == ("invoice", "draft", None)
    editor = owner.client.get(f"/invoices/{doc.id}/edit").get_data(as_text=True)
    assert "Draft purchase" in editor and "Find the supplier" in editor
    supplier = f.contact(owner.org, company="Mühle Meier")
    assert not supplier.is_supplier
    chosen = owner.client.post(f"/invoices/{doc.id}/customer", data={"contact_id": supplier.id,
                                                                     "version": doc.version})
    assert chosen.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(Document, doc.id).contact_id == supplier.id and supplier.is_supplier
    credit = owner.client.post("/purchases/new", data={"kind": "credit_note"})
    assert credit.status_code == 303
    assert db.session.query(Document).filter_by(org_id=owner.org.id, kind="credit_note").count() == 1
    assert login_as("staff", org=owner.org).client.post("/purchases/new", data={}).status_code == 403


def test_the_suppliers_page_lists_its_purchases_and_what_is_to_pay(owner):
    upload(owner.client, ("a.xml", (FIXTURES / "CII_example4.xml").read_bytes()))
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert doc.status == "issued"
    page = owner.client.get(f"/customers/{doc.contact_id}").get_data(as_text=True)
    assert 'id="supplier-purchases"' in page and doc.number in page and "TOSL110" in page
    balance = page.split('id="supplier-balance"')[1].split("</p>")[0]
    assert "To pay" in balance and "4.675,00" in balance or "4,675.00" in balance
    assert 'id="customer-invoices"' not in page  # a supplier only: no sales block


def test_a_paper_invoice_typed_as_net_and_vat_per_rate(owner, f):
    from webapp.models import TaxRate
    from webapp.services import purchases

    supplier = f.contact(owner.org, company="Druckerei Papier")
    doc = purchases.new_purchase(owner.org, owner.user, supplier)
    db.session.commit()
    rates = {r.percent.normalize(): r for r in db.session.query(TaxRate).filter_by(org_id=owner.org.id)}
    editor = owner.client.get(f"/invoices/{doc.id}/edit").get_data(as_text=True)
    assert 'id="quick-entry"' in editor
    # VAT as printed: 19 % of 100.03 is 19.01 (the supplier printed 19.00), 7 % as calculated
    answer = owner.client.post(f"/invoices/{doc.id}/quick-entry", data={
        "version": doc.version, "q0-tax_rate_id": rates[19].id, "q0-net": "100,03", "q0-tax": "19,00",
        "q1-tax_rate_id": rates[7].id, "q1-net": "50,00", "q1-tax": "", "q2-tax_rate_id": "0", "q2-net": ""})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert [(f"{line.unit_price.normalize():f}", f"{line.tax_percent.normalize():f}") for line in doc.lines] == [
        ("100.03", "19"), ("50", "7")]
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (15003, 1900 + 350, 15003 + 2250)
    assert [(str(d.where), d.stated, d.calculated) for d in purchases.differences(doc)] == [
        ("VAT (BT-110)", 2250, 2251), ("Total with VAT (BT-112)", 17253, 17254), ("VAT S 19 %: VAT", 1900, 1901)]
    again = owner.client.post(f"/invoices/{doc.id}/quick-entry", data={
        "version": doc.version, "q0-tax_rate_id": rates[19].id, "q0-net": "1"})
    assert again.status_code == 422 and len(db.session.get(Document, doc.id).lines) == 2


def test_a_quick_entry_with_a_wrong_amount_says_where(owner, f):
    from webapp.services import purchases

    doc = purchases.new_purchase(owner.org, owner.user, f.contact(owner.org, company="X"))
    db.session.commit()
    for data, message in (({"q0-net": "abc"}, "q0-net"), ({"q0-net": "1,234"}, "at most 2 decimal places"),
                          ({"q0-net": ""}, "Enter the net amount of at least one rate.")):
        answer = owner.client.post(f"/invoices/{doc.id}/quick-entry", data={"version": doc.version, **data})
        assert answer.status_code == 422, data
        assert message in answer.get_data(as_text=True) or message == "q0-net", data
    db.session.expire_all()
    assert db.session.get(Document, doc.id).lines == []


def test_what_a_supplier_wrote_is_shown_as_text_never_as_markup(owner):
    evil = "<script>alert(1)</script>"
    data = (FIXTURES / "CII_example4.xml").read_bytes().replace(
        b"<ram:Name>SellerCompany</ram:Name>", b"<ram:Name>&lt;script&gt;alert(1)&lt;/script&gt;</ram:Name>", 1)
    assert data.count(b"&lt;script&gt;") == 1
    results = upload(owner.client, ('<img src=x onerror="alert(2)">.xml', data)).get_data(as_text=True)
    assert evil not in results and "<img src=x" not in results
    doc = db.session.query(Document).filter_by(org_id=owner.org.id, flow="purchases").one()
    assert doc.buyer_name == evil  # stored as the supplier wrote it
    for url in (f"/invoices/{doc.id}", f"/invoices/{doc.id}/edit", "/purchases/", f"/customers/{doc.contact_id}"):
        page = owner.client.get(url).get_data(as_text=True)
        assert evil not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_the_suppliers_scan_is_attached_to_a_purchase_entered_by_hand(owner, login_as, f):
    from tests.unit.test_einvoice_read import plain_pdf
    from webapp.services import purchases

    doc = purchases.new_purchase(owner.org, owner.user, f.contact(owner.org, company="Handwerker Huber"))
    db.session.commit()
    page = owner.client.get(f"/invoices/{doc.id}").get_data(as_text=True)
    assert 'id="attach-supplier-file"' in page
    staff, bookkeeper = login_as("staff", org=owner.org), login_as("bookkeeper", org=owner.org)
    scan = plain_pdf()

    def attach(client, name, data):
        return client.post(f"/purchases/{doc.id}/file", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    assert attach(staff.client, "scan.pdf", scan).status_code == 403
    refused = attach(owner.client, "x.xml", (FIXTURES / "CII_example4.xml").read_bytes())
    assert refused.status_code == 303
    assert "upload it to the purchases inbox" in html_of(owner.client.get(refused.headers["Location"]))
    assert attach(bookkeeper.client, "Rechnung Huber.pdf", scan).status_code == 303
    file = db.session.query(DocumentFile).filter_by(document_id=doc.id).one()
    assert (file.file_name, file.file_mime, file.syntax, file.file_size) == ("Rechnung Huber.pdf", "application/pdf",
                                                                           "", len(scan))
    assert owner.client.get(f"/purchases/{doc.id}/file").data == scan
    again = attach(owner.client, "other.png", b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00" * 10)
    assert "has its supplier's file already" in html_of(owner.client.get(again.headers["Location"]))
    assert db.session.query(DocumentFile).filter_by(document_id=doc.id).count() == 1


def html_of(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def test_a_purchases_pages_are_under_purchases_in_the_menu(owner, f):
    from webapp.services import purchases

    doc = purchases.new_purchase(owner.org, owner.user, f.contact(owner.org, company="Papier GmbH"))
    sale = f.draft(owner.org)
    db.session.commit()

    def current(url: str) -> list[str]:
        page = owner.client.get(url).get_data(as_text=True)
        nav = page.split('class="nav-main"')[1].split("</ul>")[0]
        return [part.split(">")[1].split("<")[0] for part in nav.split('aria-current="page"')[1:]]

    assert current(f"/invoices/{doc.id}/edit") == ["Purchases"]
    assert current(f"/invoices/{doc.id}") == ["Purchases"]
    assert current(f"/invoices/{sale.id}/edit") == ["Invoices"]
    assert current("/invoices/?kind=credit_note") == ["Credit notes"]
    assert current("/purchases/") == ["Purchases"]
