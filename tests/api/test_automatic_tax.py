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
        "flow": "sales", "customer_id": customer(seller.org, "ES", business=True, vat_id="ESA12345674", locale="en"),
        "currency": "EUR", "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Consulting", "quantity": 1, "unit_extratax_amount": 10000,
                   "product": {"tax_code": "S10000000"}}]})
    assert body.status_code == 201, body.get_json()
    invoice = body.get_json()
    [group] = invoice["taxes"]
    assert (group["percentage"], group["category"], group["jurisdiction"], group["taxable_amount"],
            group["tax_amount"]) == ("0", "AE", "ES", 10000, 0)
    assert group["exemption"]["type"] == "REVERSE_CHARGE"
    # in the document's language (the customer's, English here), as the PDF prints it
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


def _threshold_customer(org) -> str:
    return customer(org, "FR", business=False, e_invoice_format="xrechnung-ubl", buyer_reference=E.LEITWEG_ID,
                    street="1 rue de la Paix", city="Paris", postal_code="75002", email="camille@example.fr")


def _issue(api, customer_id: str, cents: int, on: date | None = None, **extra) -> dict:
    body = {"customer_id": customer_id, "automatic_tax_calculation": {"enabled": True}, "status": "issued",
            "items": [{"description": "Espresso machine", "unit_extratax_amount": cents, "tax_code": "P00000000"}],
            **extra}
    if on is not None:
        body["issue_date"] = on.isoformat()
    answer = api.post("/invoices", json=body)
    if answer.status_code != 201:
        pytest.fail(json.dumps(answer.get_json()))
    return answer.get_json()


def _decided(invoice: dict) -> tuple:
    tax = invoice["items"][0]["tax"]
    return tax["percentage"], tax["jurisdiction"], tax["rule"], tax["warning"] is not None


@pytest.fixture
def below(api):
    """A German seller outside the One-Stop-Shop, selling goods to French consumers."""
    E.ready(api.org)
    api.org.country, api.org.vat_id, api.org.oss_since = "DE", "DE136695976", None
    db.session.commit()
    return api


def test_the_sale_that_crosses_eur_10000_is_taxed_in_france_and_those_after_it(below):
    buyer = _threshold_customer(below.org)
    first = _issue(below, buyer, 600000)  # 6,000.00
    second = _issue(below, buyer, 399900)  # 9,999.00 in all: not passed
    crossing = _issue(below, buyer, 200)  # 10,001.00: this sale passes it, so it is taxed at destination
    after = _issue(below, buyer, 5000)
    assert [_decided(i) for i in (first, second)] == [("19", "DE", "distance_home", False)] * 2
    assert _decided(crossing) == ("20", "FR", "distance_destination", True)
    assert _decided(after) == ("20", "FR", "distance_destination", True)
    assert "register" in crossing["items"][0]["tax"]["warning"]
    assert (crossing["total_tax_amount"], after["total_tax_amount"]) == (40, 1000)
    frozen = [db.session.get(Document, int(i["id"])).distance_sales_eur for i in (first, second, crossing, after)]
    assert frozen == [600000, 399900, 200, 5000]
    # frozen: a later change of the settings leaves issued invoices as they are
    below.org.oss_since = date(2020, 1, 1)
    db.session.commit()
    assert _decided(below.get(f"/invoices/{crossing['id']}").get_json()) == ("20", "FR", "distance_destination", True)


def test_a_draft_shows_the_switch_before_it_is_issued_and_counts_other_currencies_at_their_rate(below):
    buyer = _threshold_customer(below.org)
    _issue(below, buyer, 900000)  # 9,000.00 EUR
    # 900.00 GBP at 1.2 = 1,080.00 EUR: 10,080.00 in all
    draft = below.post("/invoices", json={
        "customer_id": buyer, "currency": "GBP", "exchange_rate": "1.2", "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Grinder", "unit_extratax_amount": 90000, "tax_code": "P00000000"}]}).get_json()
    assert _decided(draft) == ("20", "FR", "distance_destination", True)
    smaller = below.patch(f"/invoices/{draft['id']}/items/{draft['items'][0]['id']}",
                          json={"unit_extratax_amount": 80000, "version": draft["version"]})  # 960.00 EUR: 9,960.00
    assert smaller.status_code == 200, smaller.get_json()
    assert _decided(below.get(f"/invoices/{draft['id']}").get_json()) == ("19", "DE", "distance_home", False)


def test_a_credit_note_takes_its_invoice_back_out_of_the_sum(below):
    buyer = _threshold_customer(below.org)
    big = _issue(below, buyer, 990000)
    credited = below.post(f"/invoices/{big['id']}/credit-notes", json={})
    assert credited.status_code == 201, credited.get_json()
    issued = below.post(f"/invoices/{credited.get_json()['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    note = db.session.get(Document, int(credited.get_json()["id"]))
    assert note.distance_sales_eur == -990000 and note.lines[0].tax_jurisdiction == "DE"
    assert _decided(_issue(below, buyer, 200000)) == ("19", "DE", "distance_home", False)  # 2,000.00 in all


def test_passed_last_year_is_at_destination_from_the_first_sale(below):
    buyer = _threshold_customer(below.org)
    year = date.today().year - 1
    assert _decided(_issue(below, buyer, 600000, on=date(year, 6, 1))) == ("19", "DE", "distance_home", False)
    assert _decided(_issue(below, buyer, 400001, on=date(year, 7, 1))) == ("20", "FR", "distance_destination", True)
    # last year's sales passed EUR 10,000 (10,000.01): this year's first sale, however small, is at destination
    assert _decided(_issue(below, buyer, 100)) == ("20", "FR", "distance_destination", True)


def test_the_online_check_decides_whether_a_vat_id_is_valid(seller, app):
    from webapp.services.vies import EXTENSION_KEY, FakeChecker

    fake = FakeChecker({"ESA12345674": False, "ESB58378431": True})
    app.extensions[EXTENSION_KEY] = fake
    try:
        rejected = seller.post("/customers", json={"company": "Gone SL", "vat_number": "ESA12345674",
                                                   "address": {"country_code": "ES"}})
        confirmed = seller.post("/customers", json={"company": "Live SL", "vat_number": "ESB58378431",
                                                    "address": {"country_code": "ES"}})
        assert rejected.status_code == confirmed.status_code == 201, rejected.get_json()
    finally:
        del app.extensions[EXTENSION_KEY]
    assert fake.calls == ["ESA12345674", "ESB58378431"]
    answers = []
    for created in (rejected, confirmed):
        invoice = seller.post("/invoices", json={
            "customer_id": created.get_json()["id"], "automatic_tax_calculation": {"enabled": True},
            "items": [{"description": "Consulting", "unit_extratax_amount": 10000, "tax_code": "S10000000"}]})
        answers.append(invoice.get_json()["items"][0]["tax"])
    assert (answers[0]["category"], answers[0]["jurisdiction"]) == ("S", "DE")  # treated as a consumer
    assert "no valid VAT ID" in answers[0]["explanation"]
    assert (answers[1]["category"], answers[1]["rule"]) == ("AE", "reverse_charge")


def test_nothing_calls_out_by_default(seller, app):
    from webapp.services import vies

    assert vies.checker(app.config, app.extensions) is None


def test_a_small_business_charges_no_vat_and_prints_the_legal_notice(seller):
    from tests.einvoice.test_advance import pdf_text

    seller.org.small_business, seller.org.oss_since = True, None
    db.session.commit()
    buyer = customer(seller.org, "DE", business=False, e_invoice_format="xrechnung-ubl",
                     buyer_reference=E.LEITWEG_ID, street="Hauptstr. 2", city="Köln", postal_code="50667",
                     email="kunde@example.de", locale="de")
    invoice = seller.post("/invoices", json={  # automatic for a small business even without asking
        "customer_id": buyer, "status": "issued",
        "items": [{"description": "Webdesign", "unit_extratax_amount": 50000, "tax_code": "S10000000"}]})
    assert invoice.status_code == 201, invoice.get_json()
    body = invoice.get_json()
    [group] = body["taxes"]
    assert (group["category"], group["percentage"], group["tax_amount"]) == ("E", "0", 0)
    assert group["exemption"] == {"type": "SMALL_BUSINESS",
                                  "legal_notice": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."}
    assert body["total_tax_included_amount"] == 50000
    doc = db.session.get(Document, int(body["id"]))
    assert "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet." in pdf_text(doc.pdf)
    stored = db.session.scalars(select(DocumentEInvoice).where(DocumentEInvoice.document_id == doc.id)).all()
    assert {s.format for s in stored} == {"xrechnung-ubl", "facturx-cii"}
    assert b"19 UStG" in next(s for s in stored if s.format == "xrechnung-ubl").xml


def test_the_reverse_charge_notice_is_printed_in_the_customers_language(seller):
    from tests.einvoice.test_advance import pdf_text

    buyer = customer(seller.org, "ES", business=True, vat_id="ESA12345674", locale="fr")
    body = seller.post("/invoices", json={
        "customer_id": buyer, "status": "issued", "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Conseil", "unit_extratax_amount": 10000, "tax_code": "S10000000"}]}).get_json()
    notice = body["taxes"][0]["exemption"]["legal_notice"]
    assert "196" in notice and notice != "Reverse charge: VAT to be accounted for by the recipient (Article 196, " \
                                          "Council Directive 2006/112/EC)."  # French: the customer's language
    assert notice.split()[0] in pdf_text(db.session.get(Document, int(body["id"])).pdf)


def test_without_the_customers_country_a_draft_says_why_and_is_not_issued_until_a_rate_is_set(seller):
    nowhere = customer(seller.org, "", business=False)
    invoice = seller.post("/invoices", json={
        "customer_id": nowhere, "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Thing", "unit_extratax_amount": 1000, "tax_code": "P00000000"}]}).get_json()
    assert "customer's country" in invoice["items"][0]["tax"]["explanation"]
    refused = seller.post(f"/invoices/{invoice['id']}/finalize")
    assert refused.status_code == 422 and "customer's country" in refused.get_json()["detail"]
    assert db.session.get(Document, int(invoice["id"])).status == "draft"
    line = invoice["items"][0]["id"]
    hand = seller.patch(f"/invoices/{invoice['id']}/items/{line}", json={"tax_rate": 19, "version": invoice["version"]})
    assert hand.status_code == 200, hand.get_json()
    assert seller.post(f"/invoices/{invoice['id']}/finalize").status_code == 200  # the rate set by hand stands


def test_a_credit_note_keeps_the_vat_of_its_invoice(seller):
    invoice = seller.post("/invoices", json={
        "customer_id": customer(seller.org, "ES", business=True, vat_id="ESA12345674"), "status": "issued",
        "automatic_tax_calculation": {"enabled": True},
        "items": [{"description": "Consulting", "unit_extratax_amount": 10000, "tax_code": "S10000000"}]}).get_json()
    note = seller.post(f"/invoices/{invoice['id']}/credit-notes", json={}).get_json()
    assert note["items"][0]["tax"]["jurisdiction"] == "ES" and note["items"][0]["tax"]["category"] == "AE"
    refused = seller.patch(f"/invoices/{note['id']}", json={"automatic_tax_calculation": {"enabled": True},
                                                           "version": note["version"]})
    assert refused.status_code == 422 and refused.get_json()["code"] == "action_not_allowed"
