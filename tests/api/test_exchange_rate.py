"""The exchange rate in the API (EN 16931 BT-6 / BT-111): ``exchange_rate`` on create and change of an invoice in
another currency than the organization's, the VAT total in the organization's currency in every answer (a draft's
as it would be frozen, an issued one's as frozen), problems (422 with the pointer, nothing stored) for a bad rate,
and the OpenAPI document that names the fields. SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import einvoice_docs as E
from webapp.extensions import db
from webapp.models import Document

ITEMS = [{"description": "Consulting", "quantity": 3, "unit_price": "333.33"}]  # 999.99 GBP net, 190.00 VAT


@pytest.fixture
def seller(api):
    E.ready(api.org)
    assert api.org.currency == "EUR"
    return api


@pytest.fixture
def customer_id(seller) -> str:
    return str(E.customer(seller.org, "", buyer_reference="").id)


def documents() -> int:
    return db.session.scalar(select(func.count()).select_from(Document))


def test_an_invoice_in_pounds_states_its_rate_and_the_vat_in_euro(seller, customer_id):
    created = seller.post("/invoices", json={"customer_id": customer_id, "currency": "GBP", "exchange_rate": "1.1712",
                                             "items": ITEMS})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["currency"], body["exchange_rate"], body["total_tax_amount"]) == ("GBP", "1.1712", 19000)
    # a draft: as it would be frozen now (190.00 GBP x 1.1712 = 222.528 -> 222.53 EUR)
    assert (body["accounting_currency"], body["total_tax_amount_accounting"]) == ("EUR", 22253)
    doc = db.session.get(Document, int(body["id"]))
    assert (doc.exchange_rate, doc.tax_total_accounting) == (Decimal("1.1712"), None)

    changed = seller.patch(f"/invoices/{body['id']}", json={"exchange_rate": 1.2})  # a JSON number, read exactly
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["exchange_rate"], changed.get_json()["total_tax_amount_accounting"]) == ("1.2", 22800)
    unchanged = seller.patch(f"/invoices/{body['id']}", json={"notes": "Thanks"})
    assert unchanged.get_json()["exchange_rate"] == "1.2"  # not given: kept

    issued = seller.post(f"/invoices/{body['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    issued = issued.get_json()
    assert (issued["exchange_rate"], issued["accounting_currency"], issued["total_tax_amount_accounting"]) == (
        "1.2", "EUR", 22800)
    db.session.expire_all()
    doc = db.session.get(Document, int(body["id"]))
    assert (doc.tax_total_accounting, doc.accounting_currency) == (22800, "EUR")
    assert seller.get(f"/invoices/{body['id']}").get_json()["total_tax_amount_accounting"] == 22800
    listed = seller.get("/invoices").get_json()["data"]
    assert [(i["id"], i["total_tax_amount_accounting"]) for i in listed] == [(body["id"], 22800)]

    removed = seller.post("/invoices", json={"customer_id": customer_id, "currency": "GBP", "items": ITEMS,
                                             "exchange_rate": "1.1712"}).get_json()
    answer = seller.patch(f"/invoices/{removed['id']}", json={"exchange_rate": None})
    assert answer.status_code == 200
    assert (answer.get_json()["exchange_rate"], answer.get_json()["total_tax_amount_accounting"]) == (None, None)


def test_an_invoice_issued_at_once_freezes_it(seller, customer_id):
    created = seller.post("/invoices", json={"customer_id": customer_id, "currency": "USD", "exchange_rate": "0.923456",
                                             "items": ITEMS, "status": "issued"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    # 190.00 USD x 0.923456 = 175.45664 -> 175.46 EUR
    assert (body["status"], body["accounting_currency"], body["total_tax_amount_accounting"]) == ("issued", "EUR", 17546)
    assert db.session.get(Document, int(body["id"])).tax_total_accounting == 17546


def test_an_invoice_without_a_rate_or_in_euro_has_none(seller, customer_id):
    for currency in ("GBP", "EUR"):
        body = seller.post("/invoices", json={"customer_id": customer_id, "currency": currency,
                                              "items": ITEMS}).get_json()
        assert (body["exchange_rate"], body["accounting_currency"], body["total_tax_amount_accounting"]) == (
            None, None, None)


@pytest.mark.parametrize("rate, code", [
    ("0", "invalid_exchange_rate"), (0, "invalid_exchange_rate"), ("-1.5", "invalid_exchange_rate"),
    ("1.1234567", None), ("1000000", None), ("abc", None), (True, None), ("", None),
])
def test_a_bad_rate_is_a_422_with_its_pointer_and_makes_nothing(seller, customer_id, rate, code):
    before = documents()
    answer = seller.post("/invoices", json={"customer_id": customer_id, "currency": "GBP", "exchange_rate": rate,
                                            "items": ITEMS})
    assert answer.status_code == 422, answer.get_json()
    problem = answer.get_json()
    assert any(e.get("pointer") == "/exchange_rate" for e in problem.get("errors", [])), problem
    if code:
        assert code in {e.get("code") for e in problem["errors"]} or problem.get("code") == code
    assert documents() == before


def test_a_rate_for_an_invoice_in_the_organizations_own_currency_is_a_422(seller, customer_id):
    before = documents()
    answer = seller.post("/invoices", json={"customer_id": customer_id, "currency": "EUR", "exchange_rate": "1.1",
                                            "items": ITEMS})
    assert answer.status_code == 422
    problem = answer.get_json()
    assert {(e["code"], e["pointer"]) for e in problem["errors"]} == {("exchange_rate_not_needed", "/exchange_rate")}
    assert "The document is in your own currency (EUR): it needs no exchange rate." in str(problem)
    assert documents() == before


def test_a_bad_change_is_a_422_and_changes_nothing(seller, customer_id):
    body = seller.post("/invoices", json={"customer_id": customer_id, "currency": "GBP", "exchange_rate": "1.1712",
                                          "items": ITEMS}).get_json()
    for rate in ("0", "-2", "1.12345678", "2000000"):
        answer = seller.patch(f"/invoices/{body['id']}", json={"exchange_rate": rate, "notes": "Changed"})
        assert answer.status_code == 422, (rate, answer.get_json())
        assert any(e.get("pointer") == "/exchange_rate" for e in answer.get_json().get("errors", [])), rate
    db.session.expire_all()
    doc = db.session.get(Document, int(body["id"]))
    assert (doc.exchange_rate, doc.notes, doc.version) == (Decimal("1.1712"), "", body["version"])


def test_the_message_reads_in_german(seller, customer_id):
    answer = seller.post("/invoices", json={"customer_id": customer_id, "currency": "GBP", "exchange_rate": "0",
                                            "items": ITEMS}, headers={"Accept-Language": "de"})
    assert answer.status_code == 422
    assert "Geben Sie einen Wechselkurs über 0 und unter" in str(answer.get_json())


def test_the_openapi_document_names_the_fields(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for prefix in ("InvoiceIn", "InvoicePatch"):
        schema = next(v for k, v in schemas.items() if k.startswith(prefix))
        assert "exchange_rate" in schema["properties"], prefix
        assert "1 GBP = 1.1712 EUR" in str(schema["properties"]["exchange_rate"])
    out = next(v for k, v in schemas.items() if k.startswith("InvoiceOut"))
    assert {"exchange_rate", "accounting_currency", "total_tax_amount_accounting"} <= set(out["properties"])


def test_a_vat_total_too_large_in_euro_is_refused_at_issue_and_makes_nothing(seller, customer_id):
    before = documents()
    answer = seller.post("/invoices", json={"customer_id": customer_id, "currency": "JPY", "exchange_rate": "999999",
                                            "items": [{"description": "Tanker", "quantity": 1,
                                                       "unit_extratax_amount": 10**12}], "status": "issued"})
    assert answer.status_code == 422, answer.get_json()
    problem = answer.get_json()
    assert "amount_too_large" in str(problem) and "/exchange_rate" in str(problem)
    assert documents() == before
