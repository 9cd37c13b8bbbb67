"""Self-billing (issue 17, seed 001's marketplace payouts): a purchase invoice the organization makes out for its
supplier: numbered in its own series (SB-...), with a PDF and a Factur-X of type code 389 whose seller is the
supplier and buyer the organization, checked by the official rules; paid as any purchase."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import Document, DocumentEInvoice
from webapp.services import einvoice, einvoice_read


def supplier_of(api, f, **values):
    f.complete_org(api.org)
    contact = f.contact(api.org, company="Kunsthandwerk Lehmann", email="lehmann@example.com", street="Hauptstr. 5",
                        postal_code="04109", city="Leipzig", country="DE", vat_id="DE136695976", **values)
    return str(contact.id)


def test_a_marketplace_payout_is_a_self_billed_invoice_of_type_389(api, f):
    supplier = supplier_of(api, f)
    created = api.post("/invoices", json={
        "flow": "purchases", "supplier_id": supplier, "self_billed": True, "currency": "EUR",
        "items": [{"description": "Sales of handmade bowls, November (less 12 % commission)",
                   "quantity": 1, "unit_extratax_amount": 84000}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["self_billed"], body["flow"], body["pdf_url"]) == (True, "purchases", None)
    booked = api.post(f"/invoices/{body['id']}/finalize")
    assert booked.status_code == 200, booked.get_json()
    booked = booked.get_json()
    assert booked["document_number"].startswith("SB-") and booked["supplier_number"] is None
    assert booked["pdf_url"] and booked["amount_due"] == booked["total_tax_included_amount"]
    pdf = api.get(f"/invoices/{body['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    read = einvoice_read.read(pdf.data, "payout.pdf")
    assert (read.type_code, read.number, read.seller.name, read.seller.vat_id) == (
        "389", booked["document_number"], "Kunsthandwerk Lehmann", "DE136695976")
    assert read.buyer.name == api.org.legal_name
    assert read.totals.payable * 100 == booked["total_tax_included_amount"]
    report = einvoice.validate(read.xml)
    assert report.ok, [f.rule_id for f in report.fatal]
    doc = db.session.get(Document, int(body["id"]))
    stored = db.session.query(DocumentEInvoice).filter_by(document_id=doc.id).one()
    assert stored.xml == read.xml and stored.format == "facturx-cii"
    xml = api.get(f"/invoices/{body['id']}/xml")
    assert xml.status_code == 200 and b"<ram:TypeCode>389</ram:TypeCode>" in xml.data
    paid = api.post(f"/invoices/{body['id']}/attach_payment", json={})
    assert paid.status_code in (200, 201)
    assert api.get(f"/invoices/{body['id']}").get_json()["payment_status"] == "PAID"


def test_a_self_billed_invoice_to_a_supplier_without_an_address_is_refused_by_the_rules(api, f):
    f.complete_org(api.org)
    supplier = str(f.contact(api.org, company="Anonym", country="").id)
    body = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "self_billed": True,
                                       "items": [{"description": "Payout", "unit_extratax_amount": 1000}]}).get_json()
    refused = api.post(f"/invoices/{body['id']}/finalize")
    assert refused.status_code == 422, refused.get_json()
    assert db.session.get(Document, int(body["id"])).status == "draft"


def test_only_purchase_invoices_are_self_billed(api, f):
    supplier = supplier_of(api, f)
    customer = str(f.contact(api.org, company="Kunde").id)
    sale = api.post("/invoices", json={"customer_id": customer, "self_billed": True,
                                       "items": [{"description": "x", "unit_extratax_amount": 100}]})
    assert sale.status_code == 422
    credit = api.post("/invoices", json={"flow": "purchases", "kind": "credit_note", "supplier_id": supplier,
                                         "self_billed": True,
                                         "items": [{"description": "x", "unit_extratax_amount": 100}]})
    assert credit.status_code == 422, credit.get_json()
