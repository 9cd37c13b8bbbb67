"""Advance invoices in the API: ``is_advance`` on create and change of a draft, ``deducted_advance_ids`` on create and
change, ``amount_prepaid``, ``deductions`` and ``amount_due`` in the answers; refusals as problems (422 with the
pointer, nothing changed); the customer's XRechnung of an advance invoice is issued (BR-DE-17 names 386 only as a
warning) and the final invoice's states the prepaid amount. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import einvoice_docs as E
from webapp.extensions import db
from webapp.models import Document, DocumentDeduction

ITEMS = [{"description": "Kitchen", "quantity": 1, "unit_price": "1000.00", "tax_rate": "19"}]


@pytest.fixture
def seller(api):
    E.ready(api.org)
    return api


@pytest.fixture
def customer_id(seller) -> str:
    return str(E.customer(seller.org).id)  # receives XRechnung UBL: every issue is validated by the official rules


def state() -> tuple:
    return (db.session.scalar(select(func.count()).select_from(DocumentDeduction)),
            tuple(db.session.execute(select(Document.id, Document.status, Document.version, Document.paid_total)
                                     .order_by(Document.id)).all()))


def advance(seller, customer_id, price="1000.00") -> dict:
    answer = seller.post("/invoices", json={"customer_id": customer_id, "is_advance": True, "status": "issued",
                                            "items": [{**ITEMS[0], "unit_price": price}]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_an_advance_invoice_and_a_final_invoice_that_deducts_two(seller, customer_id):
    first = advance(seller, customer_id)
    assert first["is_advance"] is True and first["amount_due"] == 119000 and first["deductions"] == []
    row = E.stored_row(db.session.get(Document, int(first["id"])), "xrechnung-ubl")
    assert b"<cbc:InvoiceTypeCode>386</cbc:InvoiceTypeCode>" in row.xml
    assert {f["rule"] for f in row.findings} >= {"BR-DE-17"}  # a warning, stored; the issue went through
    second = advance(seller, customer_id, "500.00")
    draft = seller.post("/invoices", json={"customer_id": customer_id, "items": [{**ITEMS[0], "unit_price": "4000"}],
                                           "deducted_advance_ids": [first["id"]]})
    assert draft.status_code == 201, draft.get_json()
    body = draft.get_json()
    assert body["is_advance"] is False and body["amount_prepaid"] == 119000
    assert body["deductions"] == [{"advance_id": first["id"], "number": first["document_number"], "amount": 119000}]
    changed = seller.patch(f"/invoices/{body['id']}", json={"deducted_advance_ids": [first["id"], second["id"]]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["amount_prepaid"] == 178500
    issued = seller.post(f"/invoices/{body['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    final = issued.get_json()
    assert (final["total_tax_included_amount"], final["amount_prepaid"], final["amount_due"], final["amount_paid"]) == (
        476000, 178500, 297500, 0)
    assert final["payment_status"] == "PARTIALLY_PAID"
    xml = E.stored_row(db.session.get(Document, int(body["id"])), "xrechnung-ubl").xml
    assert b'<cbc:PrepaidAmount currencyID="EUR">1785.00</cbc:PrepaidAmount>' in xml
    assert b'<cbc:PayableAmount currencyID="EUR">2975.00</cbc:PayableAmount>' in xml
    assert xml.count(b"<cac:BillingReference>") == 2
    # a payment of what is due (an empty body: the amount due, today) settles it
    paid = seller.post(f"/invoices/{body['id']}/attach_payment", json={})
    assert paid.status_code in (200, 201), paid.get_json()
    again = seller.get(f"/invoices/{body['id']}").get_json()
    assert (again["amount_due"], again["amount_paid"], again["payment_status"]) == (0, 297500, "PAID")


def test_is_advance_on_a_draft_and_refusals_change_nothing(seller, customer_id):
    draft = seller.post("/invoices", json={"customer_id": customer_id, "items": ITEMS}).get_json()
    marked = seller.patch(f"/invoices/{draft['id']}", json={"is_advance": True})
    assert marked.status_code == 200 and marked.get_json()["is_advance"] is True
    assert db.session.get(Document, int(draft["id"])).advance is True
    other = str(E.customer(seller.org, name="Other AG").id)
    foreign = advance(seller, other)
    usd = seller.post("/invoices", json={"customer_id": customer_id, "is_advance": True, "status": "issued",
                                         "currency": "USD", "exchange_rate": "0.9", "items": ITEMS}).get_json()
    own = advance(seller, customer_id, "2000.00")
    final = seller.post("/invoices", json={"customer_id": customer_id, "items": ITEMS}).get_json()
    for ids, code in (([foreign["id"]], "advance_other_customer"), ([usd["id"]], "advance_other_currency"),
                      ([draft["id"]], "advance_not_issued"), (["999999"], "advance_not_found")):
        before = state()
        answer = seller.patch(f"/invoices/{final['id']}", json={"deducted_advance_ids": ids})
        assert answer.status_code == 422, (code, answer.get_json())
        problem = answer.get_json()
        assert problem["code"] == code or code in {e["code"] for e in problem.get("errors", [])}, problem
        assert state() == before
    # an advance invoice deducts none
    before = state()
    answer = seller.patch(f"/invoices/{draft['id']}", json={"deducted_advance_ids": [own["id"]]})
    assert answer.status_code == 422 and state() == before
    # more than the total: refused at issue, nothing issued
    seller.patch(f"/invoices/{final['id']}", json={"deducted_advance_ids": [own["id"]]})
    before = state()
    answer = seller.post(f"/invoices/{final['id']}/finalize")
    assert answer.status_code == 422 and answer.get_json()["code"] == "deductions_exceed_total", answer.get_json()
    assert state() == before
    # issued at once with a deduction
    ok = seller.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": [
        {**ITEMS[0], "unit_price": "5000"}], "deducted_advance_ids": [own["id"]]})
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["amount_prepaid"] == 238000 and ok.get_json()["amount_due"] == 595000 - 238000
    # now deducted: another invoice cannot, and it cannot be cancelled
    before = state()
    answer = seller.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": [
        {**ITEMS[0], "unit_price": "5000"}], "deducted_advance_ids": [own["id"]]})
    assert answer.status_code == 422 and answer.get_json()["code"] == "advance_already_deducted"
    assert state() == before


def test_the_openapi_document_names_the_fields(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    text = str(spec)
    for name in ("is_advance", "deducted_advance_ids", "amount_prepaid", "DeductionOut"):
        assert name in text, name
