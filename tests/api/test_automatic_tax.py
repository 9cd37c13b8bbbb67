"""Automatic VAT through the API (seed 000's ``automatic_tax_calculation``, seed 001's ``product.tax_code``): the
rules of domain/vat_rules.py decide each item from the organization, the customer and the item's tax code; the
answer carries the jurisdiction, the exemption with its legal notice and the explanation; finalizing freezes the
decision with the invoice, whose official e-invoice checks pass. SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests import einvoice_docs as E
from tests import factories as f
from webapp.extensions import db
from webapp.models import Document, DocumentEInvoice


@pytest.fixture
def seller(api):
    E.ready(api.org)
    api.org.country, api.org.vat_id = "DE", "DE136695976"
    api.org.oss_since = date(2021, 7, 1)  # enrolled in the One-Stop-Shop (union scheme)
    api.org.registration_id = "HRB 12345 B"  # BT-30: what names the seller where its VAT ID may not (O, BR-O-02)
    db.session.commit()
    return api


def customer(org, country: str, business: bool, vat_id: str = "", **values):
    contact = f.contact(org, company="Acme" if business else "", person="" if business else "Camille Martin",
                        country=country, vat_id=vat_id, **values)
    contact.is_business = business
    db.session.commit()
    return str(contact.id)


def test_seed_000_french_consumer_at_20_percent_in_france(seller):
    body = seller.post("/invoices", json={
        "flow": "sales", "customer_id": customer(seller.org, "FR", business=False), "currency": "EUR",
        "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Premium Subscription - Monthly", "quantity": 1, "unit_extratax_amount": 10000,
                   "tax_code": "D10000000"}]})
    assert body.status_code == 201, body.get_json()
    invoice = body.get_json()
    assert invoice["taxes"] == [{"tax_id": "vat", "percentage": "20", "category": "S",
                                 "category_name": "Standard rate", "jurisdiction": "FR", "taxable_amount": 10000,
                                 "tax_amount": 2000, "exemption": None}]
    tax = invoice["items"][0]["tax"]
    assert (tax["category"], tax["percentage"], tax["jurisdiction"], tax["rule"], tax["tax_code"]) == (
        "S", "20", "FR", "distance_oss", "D10000000")
    assert "One-Stop-Shop" in tax["explanation"] and tax["warning"] is None
    assert invoice["total_tax_included_amount"] == 12000

    issued = seller.post(f"/invoices/{invoice['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["taxes"][0]["jurisdiction"] == "FR"
    doc = db.session.get(Document, int(invoice["id"]))
    assert (doc.lines[0].tax_jurisdiction, doc.lines[0].tax_rule, doc.distance_sales_eur) == ("FR", "distance_oss",
                                                                                              10000)


def test_seed_000_spanish_business_reverse_charge(seller):
    body = seller.post("/invoices", json={
        "flow": "sales", "customer_id": customer(seller.org, "ES", business=True, vat_id="ESA12345674"),
        "currency": "EUR", "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Consulting", "quantity": 1, "unit_extratax_amount": 10000,
                   "product": {"tax_code": "S10000000"}}]})
    assert body.status_code == 201, body.get_json()
    invoice = body.get_json()
    [group] = invoice["taxes"]
    assert (group["percentage"], group["category"], group["jurisdiction"], group["taxable_amount"],
            group["tax_amount"]) == ("0", "AE", "ES", 10000, 0)
    assert group["exemption"]["type"] == "REVERSE_CHARGE"
    assert "Article 196" in group["exemption"]["legal_notice"]
    assert invoice["items"][0]["tax"]["rule"] == "reverse_charge"

    issued = seller.post(f"/invoices/{invoice['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    doc = db.session.get(Document, int(invoice["id"]))
    assert doc.tax_breakdown[0]["vatex"] == "VATEX-EU-AE" and doc.distance_sales_eur is None


def test_a_rate_given_on_an_item_is_set_by_hand(seller):
    body = seller.post("/invoices", json={
        "customer_id": customer(seller.org, "ES", business=True, vat_id="ESA12345674"),
        "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Consulting", "unit_extratax_amount": 10000, "tax_code": "S10000000",
                   "tax_rate": 19}]}).get_json()
    tax = body["items"][0]["tax"]
    assert (tax["category"], tax["percentage"], tax["rule"], tax["jurisdiction"]) == ("S", "19", "hand_set", "ES")
    assert "by hand" in tax["explanation"] and "AE" in tax["explanation"]


def test_an_unknown_tax_code_is_refused_and_nothing_is_stored(seller):
    before = db.session.scalar(select(db.func.count()).select_from(Document))
    answer = seller.post("/invoices", json={
        "customer_id": customer(seller.org, "FR", business=False), "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "x", "unit_extratax_amount": 100, "tax_code": "X99"}]})
    assert answer.status_code == 422
    assert [e["pointer"] for e in answer.get_json()["errors"]] == ["/items/0/tax_code"]
    assert db.session.scalar(select(db.func.count()).select_from(Document)) == before


def test_without_automatic_tax_nothing_changes(seller):
    invoice = seller.post("/invoices", json={
        "customer_id": customer(seller.org, "FR", business=False),
        "items": [{"description": "x", "unit_extratax_amount": 10000, "tax_code": "D10000000"}]}).get_json()
    tax = invoice["items"][0]["tax"]
    assert (tax["category"], tax["percentage"], tax["jurisdiction"], tax["explanation"]) == ("S", "19", None, None)
    assert invoice["taxes"][0]["jurisdiction"] == "DE"


def test_the_organization_setting_turns_it_on_for_new_drafts(seller):
    seller.org.automatic_tax = True
    db.session.commit()
    invoice = seller.post("/invoices", json={
        "customer_id": customer(seller.org, "AT", business=True, vat_id="ATU13585627"),
        "items": [{"description": "Widgets", "quantity": 2, "unit_extratax_amount": 5000,
                   "tax_code": "P00000000"}]}).get_json()
    tax = invoice["items"][0]["tax"]
    assert (tax["category"], tax["jurisdiction"], invoice["taxes"][0]["exemption"]["type"]) == ("K", "AT", "INTRA_EU")
    off = seller.patch(f"/invoices/{invoice['id']}", json={"automatic_tax_calculation": {"enabled": False}})
    assert off.status_code == 200, off.get_json()
    assert off.get_json()["items"][0]["tax"]["jurisdiction"] is None


def test_every_outcome_passes_the_official_rules(seller):
    cases = [("FR", False, "", "D10000000"), ("ES", True, "ESA12345674", "S10000000"),
             ("AT", True, "ATU13585627", "P00000000"), ("US", False, "", "P00000000"),
             ("US", True, "", "S10000000"), ("CH", False, "", "D10000000"), ("DE", False, "", "S50000000"),
             ("DE", True, "DE136695976", "P10000000")]
    for country, business, vat_id, code in cases:
        invoice = seller.post("/invoices", json={
            "customer_id": customer(seller.org, country, business, vat_id, e_invoice_format="xrechnung-ubl",
                                    buyer_reference=E.LEITWEG_ID, street="1 Main St", city="Town", email="ap@example.com",
                                    postal_code="12345"),
            "automatic_tax_calculation": {"enabled": True},
            "items": [{"description": "Thing", "unit_extratax_amount": 12345, "tax_code": code}]}).get_json()
        issued = seller.post(f"/invoices/{invoice['id']}/finalize")
        if issued.status_code != 200:
            pytest.fail(f"{country} {code}: {json.dumps(issued.get_json())}")
        stored = db.session.scalars(select(DocumentEInvoice).where(
            DocumentEInvoice.document_id == int(invoice["id"]))).all()
        assert stored and all(not any(x["flag"] == "fatal" for x in s.findings) for s in stored), (country, code)
