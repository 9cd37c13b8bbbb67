"""Issuing checks every e-invoice it stores with the official rules: a fatal finding refuses the issue with the
fix in words and changes nothing; what passes is stored (XML, SHA-256, rules, warnings) and the Factur-X XML is
embedded in the stored PDF/A-3b. The PDF checks are what can be checked without veraPDF (which needs Java)."""
from __future__ import annotations

import hashlib
import io
import subprocess
from decimal import Decimal

import pytest
from lxml import etree

from tests import einvoice_docs as E
from tests.usecases.test_einvoices import actor_of
from webapp.domain.errors import ActionError
from webapp.domain.tax import INTRA_EU_NOTE
from webapp.extensions import db
from webapp.models import AuditEvent, Document, DocumentEInvoice, NumberCounter, TaxRate
from webapp.services import drafts as draft_service
from webapp.services import einvoice
from webapp.usecases import issuing

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def draft_for(f, member, contact, rate: TaxRate | None = None) -> Document:
    doc = f.draft(member.org, contact_=contact)
    if rate is not None:
        draft_service.update_line(doc, doc.lines[0], {}, rate, set_rate=True)
        db.session.commit()
    return doc


def unchanged(doc_id: int, org_id: int) -> None:
    """Nothing of a refused issue was written: a draft without number, PDF or e-invoice, no number taken."""
    db.session.rollback()
    doc = db.session.get(Document, doc_id)
    assert (doc.status, doc.number, doc.pdf, doc.issued_at) == ("draft", None, None, None)
    assert db.session.query(DocumentEInvoice).filter_by(document_id=doc_id).count() == 0
    assert all(counter.last_value == 0 for counter in db.session.query(NumberCounter))
    assert db.session.query(AuditEvent).filter_by(org_id=org_id, action="document.issued").count() == 0


def test_an_xrechnung_customer_without_buyer_reference_refuses_the_issue(f, seller):
    contact = E.customer(seller.org, buyer_reference="")
    doc = draft_for(f, seller, contact)
    with pytest.raises(ActionError) as refused:
        issuing.issue(actor_of(seller), doc.id, doc.version)
    assert refused.value.code == "e_invoice_invalid"
    assert refused.value.status == 422
    assert "The customer needs a buyer reference (for German public buyers the Leitweg-ID)" in refused.value.english
    assert "its e-invoice would fail the official rules" in refused.value.english
    unchanged(doc.id, seller.org.id)
    # the same in the reader's language
    from webapp.i18n import customer_language

    with customer_language("de"):
        german = refused.value.message
    assert "Leitweg-ID" in german and "nicht ausgestellt" in german, german


def test_an_intra_eu_supply_without_the_sellers_vat_id_refuses_the_issue(f, seller):
    org = seller.org
    org.vat_id, org.tax_number = "", "21/815/08150"  # a tax number is enough for the company details, not for K
    rate = TaxRate(org_id=org.id, name="Intra-EU", percent=Decimal(0), category="K", exemption_note=INTRA_EU_NOTE)
    db.session.add(rate)
    db.session.commit()
    contact = f.contact(org, "Client SARL", country="FR", vat_id="FR40303265045", street="1 rue de Rivoli",
                        postal_code="75001", city="Paris", e_invoice_format="facturx-cii")  # the customer asks for it
    doc = draft_for(f, seller, contact, rate)
    draft_service.update_header(doc, {"service_date": doc.created_at.date()})
    db.session.commit()
    with pytest.raises(ActionError) as refused:
        issuing.issue(actor_of(seller), doc.id, doc.version)
    assert refused.value.code == "e_invoice_invalid"
    assert "An intra-EU supply needs your VAT ID (Settings) and the customer's VAT ID." in refused.value.english
    unchanged(doc.id, org.id)


def test_a_passing_issue_stores_each_xml_and_embeds_the_factur_x_one(f, seller):
    doc = draft_for(f, seller, E.customer(seller.org))  # XRechnung UBL customer; Factur-X on (the default)
    calls = []
    real = einvoice.Validator.validate

    def counting(self, xml, xrechnung=False, **kw):
        calls.append(xrechnung)
        return real(self, xml, xrechnung, **kw)

    einvoice.Validator.validate = counting
    try:
        issuing.issue(actor_of(seller), doc.id, doc.version)
    finally:
        einvoice.Validator.validate = real
    db.session.commit()
    assert sorted(calls) == [False, True]  # each XML checked once: before the lock, reused under it
    rows = {r.format: r for r in db.session.query(DocumentEInvoice).filter_by(document_id=doc.id)}
    assert set(rows) == {"facturx-cii", "xrechnung-ubl"}
    for row in rows.values():
        assert row.sha256 == hashlib.sha256(row.xml).hexdigest()
        assert all(finding["flag"] != "fatal" for finding in row.findings)
    assert rows["facturx-cii"].rules == "EN 16931 1.3.16"
    assert rows["xrechnung-ubl"].rules.startswith("XRechnung 3.0")
    assert einvoice.validate(rows["xrechnung-ubl"].xml, xrechnung=True).ok
    assert embedded_xml(doc.pdf) == rows["facturx-cii"].xml
    assert doc.pdf_sha256 == hashlib.sha256(doc.pdf).hexdigest()


def test_without_factur_x_the_pdf_is_plain_and_only_the_customers_format_is_stored(f, seller):
    seller.org.facturx_enabled = False
    db.session.commit()
    plain = f.issued(seller.org)
    assert db.session.query(DocumentEInvoice).filter_by(document_id=plain.id).count() == 0
    assert embedded_files(plain.pdf) == {}
    doc = draft_for(f, seller, E.customer(seller.org, e_invoice_format="xrechnung-cii"))
    issuing.issue(actor_of(seller), doc.id, doc.version)
    db.session.commit()
    assert [r.format for r in db.session.query(DocumentEInvoice).filter_by(document_id=doc.id)] == ["xrechnung-cii"]
    assert embedded_files(doc.pdf) == {}


def test_a_quote_carries_no_e_invoice(f, seller):
    from webapp.services import issuing as issuing_service

    quote = f.draft(seller.org)
    quote.kind = "quote"
    db.session.commit()
    issuing_service.issue(seller.org, seller.user, quote)
    db.session.commit()
    assert db.session.query(DocumentEInvoice).filter_by(document_id=quote.id).count() == 0
    assert embedded_files(quote.pdf) == {}


def test_the_factur_x_pdf_is_pdf_a_3b_with_the_en16931_metadata(f, seller):
    import facturx

    doc = f.issued(seller.org)
    row = db.session.query(DocumentEInvoice).filter_by(document_id=doc.id, format="facturx-cii").one()
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(doc.pdf))
    catalog = reader.trailer["/Root"]
    # the embedded file: named factur-x.xml, AFRelationship Data, listed in the catalog's /AF, byte-identical
    spec = catalog["/AF"][0].get_object()
    assert spec["/F"] == "factur-x.xml" and spec["/AFRelationship"] == "/Data"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert embedded_xml(doc.pdf) == row.xml
    # XMP: PDF/A-3B, and the Factur-X extension schema with the EN 16931 conformance level
    xmp = etree.fromstring(catalog["/Metadata"].get_object().get_data())
    assert xmp.xpath("string(//*[local-name()='part'])") == "3"
    assert xmp.xpath("string(//*[local-name()='conformance'])") == "B"
    assert xmp.xpath("string(//fx:ConformanceLevel)", namespaces={"fx": FX_NS}) == "EN 16931"
    assert xmp.xpath("string(//fx:DocumentFileName)", namespaces={"fx": FX_NS}) == "factur-x.xml"
    assert xmp.xpath("string(//fx:DocumentType)", namespaces={"fx": FX_NS}) == "INVOICE"
    # an output intent for PDF/A with an ICC profile
    intent = catalog["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and intent["/DestOutputProfile"].get_object().get_data()[36:40] == b"acsp"
    # every font embedded
    fonts = subprocess.run(["pdffonts", "-"], input=doc.pdf, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(line.split()[-5] == "yes" for line in rows), fonts
    # the Factur-X profile's own XML Schema (shipped with the factur-x package) accepts the XML
    assert facturx.xml_check_xsd(row.xml, flavor="factur-x", level="en16931") is True


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    from pypdf import PdfReader

    return {name: data[0] for name, data in PdfReader(io.BytesIO(pdf)).attachments.items()}


def embedded_xml(pdf: bytes) -> bytes:
    files = embedded_files(pdf)
    assert list(files) == ["factur-x.xml"]
    return files["factur-x.xml"]


@pytest.mark.parametrize("country, on", [("DE", True), ("FR", True), ("US", False), ("GB", False)])
def test_factur_x_is_on_for_new_organizations_in_the_eu(f, country, on):
    assert f.organization(country=country).facturx_enabled is on


def test_a_failing_factur_x_nobody_asked_for_stays_out_of_the_pdf_and_is_not_handed_out(f, seller):
    from webapp.usecases import einvoices

    consumer = f.contact(seller.org, "Walk-in customer", country="")  # no address, no country: BR-10/BR-11 fail
    doc = draft_for(f, seller, consumer)
    issuing.issue(actor_of(seller), doc.id, doc.version)
    db.session.commit()
    doc = db.session.get(Document, doc.id)
    assert doc.status == "issued" and doc.number and doc.pdf
    assert embedded_files(doc.pdf) == {}
    assert db.session.query(DocumentEInvoice).filter_by(document_id=doc.id).count() == 0
    with pytest.raises(ActionError) as refused:  # built and checked when asked for: refused with the fix
        einvoices.download(actor_of(seller), doc.id, "facturx-cii")
    assert refused.value.code == "e_invoice_invalid"
    assert "The customer needs a country." in refused.value.english
    page = seller.client.get(f"/invoices/{doc.id}").get_data(as_text=True)
    assert 'id="e-invoice-no-facturx"' in page


def test_a_download_not_stored_at_issue_is_checked_and_served_when_it_passes(f, seller):
    from webapp.usecases import einvoices

    doc = draft_for(f, seller, E.customer(seller.org, e_invoice_format=""))
    issuing.issue(actor_of(seller), doc.id, doc.version)
    db.session.commit()
    assert [r.format for r in db.session.query(DocumentEInvoice).filter_by(document_id=doc.id)] == ["facturx-cii"]
    served = einvoices.download(actor_of(seller), doc.id, "xrechnung-ubl")
    assert served.data.startswith(b"<?xml") and einvoice.validate(served.data, xrechnung=True).ok
    assert db.session.query(DocumentEInvoice).filter_by(document_id=doc.id).count() == 1  # nothing written


def test_three_decimal_amounts_refuse_an_e_invoice_with_the_decimals_fix(f, seller):
    contact = E.customer(seller.org, e_invoice_format="facturx-cii")
    doc = f.draft(seller.org, contact_=contact, lines=(("Hosting", "2", "12.345"),))
    draft_service.update_header(doc, {"currency": "BHD"})
    db.session.commit()
    with pytest.raises(ActionError) as refused:
        issuing.issue(actor_of(seller), doc.id, doc.version)
    assert "EN 16931 allows amounts with at most two decimals" in refused.value.english
    unchanged(doc.id, seller.org.id)
