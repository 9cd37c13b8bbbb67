"""/api/v1/invoices: EN 16931 item fields (issue 14, item 3): base_quantity, service_period, item allowances and
charges with reasons and reason codes, reason codes on the invoice's allowances and charges; the figures, the
refusals with their pointers, the items' own routes, and an issued invoice's items that never change."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Document, DocumentLine, DocumentLineAdjustment


def customer(api) -> str:
    answer = api.post("/customers", json={"company": "Acme Inc", "address": {"country_code": "DE"}})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


ITEMS = [
    {"description": "Screws", "quantity": "3", "unit_price": "12.50", "base_quantity": "10", "unit_code": "KGM",
     "tax_rate": 19},
    {"description": "Maintenance", "quantity": 2, "unit_extratax_amount": 1000, "tax_rate": 19,
     "service_period": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
     "allowances": [{"amount": 100, "reason_code": "95"}],
     "charges": [{"amount": 50, "reason": "Small order", "reason_code": "ABK"}]},
]


def test_items_carry_base_quantity_period_allowances_and_charges_round_trip(api):
    created = api.post("/invoices", json={"customer_id": customer(api), "currency": "EUR", "items": ITEMS,
                                          "charges": [{"amount": 490, "reason_code": "FC", "tax_rate": 19}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    screws, service = body["items"]
    # BT-131: 3 x 12.50 / 10 = 3.75; 2 x 10.00 - 1.00 + 0.50 = 19.50
    assert (screws["base_quantity"], screws["extratax_amount"], screws["service_period"]) == ("10", 375, None)
    assert service["extratax_amount"] == 1950 and service["base_quantity"] == "1"
    assert service["service_period"] == {"start_date": "2026-11-01", "end_date": "2026-11-30"}
    assert [(a["amount"], a["reason"], a["reason_code"]) for a in service["allowances"]] == [(100, "", "95")]
    assert [(c["amount"], c["reason"], c["reason_code"]) for c in service["charges"]] == [(50, "Small order", "ABK")]
    assert body["charges"][0]["reason_code"] == "FC" and body["charges"][0]["reason"] == ""
    # 3.75 + 19.50 + 4.90 = 28.15; VAT 19 % once: 5.3485 -> 5.35
    assert (body["total_lines_amount"], body["total_extratax_amount"], body["total_tax_amount"],
            body["total_tax_included_amount"]) == (2325, 2815, 535, 3350)
    assert body["taxes"][0]["taxable_amount"] == 2815
    assert sum(i["tax_amount"] for i in body["items"]) + body["charges"][0]["tax_amount"] == 535
    # GET answers the same, and the items' list too
    again = api.get(f"/invoices/{body['id']}").get_json()
    assert again["items"] == body["items"]
    assert api.get(f"/invoices/{body['id']}/items").get_json()["data"] == body["items"]


def test_an_item_is_added_and_changed_with_its_fields(api):
    doc = api.post("/invoices", json={"customer_id": customer(api), "items": [ITEMS[0]]}).get_json()
    added = api.post(f"/invoices/{doc['id']}/items", json=ITEMS[1])
    assert added.status_code == 201, added.get_json()
    item = added.get_json()
    assert item["extratax_amount"] == 1950 and len(item["allowances"]) == 1
    # only what is given changes: the charges go, the allowance and the period stay
    changed = api.patch(f"/invoices/{doc['id']}/items/{item['id']}", json={"charges": [], "base_quantity": "2"})
    assert changed.status_code == 200, changed.get_json()
    item = changed.get_json()
    assert item["charges"] == [] and [a["reason_code"] for a in item["allowances"]] == ["95"]
    assert item["service_period"] == {"start_date": "2026-11-01", "end_date": "2026-11-30"}
    assert item["base_quantity"] == "2" and item["extratax_amount"] == 900  # 2 x 10.00 / 2 - 1.00
    cleared = api.patch(f"/invoices/{doc['id']}/items/{item['id']}", json={"service_period": None,
                                                                          "allowances": []}).get_json()
    assert cleared["service_period"] is None and cleared["extratax_amount"] == 1000
    assert api.get(f"/invoices/{doc['id']}").get_json()["total_extratax_amount"] == 375 + 1000
    assert db.session.scalar(select(func.count()).select_from(DocumentLineAdjustment)) == 0


def test_wrong_item_fields_are_refused_with_pointers_and_nothing_is_saved(api):
    before = db.session.scalar(select(func.count()).select_from(Document))
    answer = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "A", "quantity": 1, "unit_extratax_amount": 100, "base_quantity": "0"},
        {"description": "B", "quantity": 1, "unit_extratax_amount": 100,
         "service_period": {"start_date": "2026-05-02", "end_date": "2026-05-01"},
         "allowances": [{"amount": 10, "reason_code": "FC"}, {"amount": 10}],
         "charges": [{"amount": 0, "reason": "Fee"}, {"amount": 5, "reason_code": "95"}]}],
        "allowances": [{"amount": 100, "tax_rate": 19}], "charges": [{"amount": 100, "reason_code": "ZZZ",
                                                                       "tax_rate": 19}]})
    assert answer.status_code == 422, answer.get_json()
    assert {e["pointer"]: e["code"] for e in answer.get_json()["errors"]} == {
        "/items/0/base_quantity": "base_quantity_not_positive",
        "/items/1/service_period/end_date": "line_period_invalid",
        "/items/1/allowances/0/reason_code": "unknown_reason_code",
        "/items/1/allowances/1/reason": "reason_required",
        "/items/1/charges/0/amount": "amount_not_positive",
        "/items/1/charges/1/reason_code": "unknown_reason_code",
        "/allowances/0/reason": "reason_required",
        "/charges/0/reason_code": "unknown_reason_code",
    }
    assert db.session.scalar(select(func.count()).select_from(Document)) == before
    # an empty period is a schema error; on the items' own routes the pointers start at the item
    doc = api.post("/invoices", json={"customer_id": customer(api), "items": [ITEMS[0]]}).get_json()
    empty = api.post(f"/invoices/{doc['id']}/items", json={**ITEMS[0], "service_period": {}})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["pointer"] == "/service_period"
    wrong = api.post(f"/invoices/{doc['id']}/items", json={**ITEMS[1], "charges": [{"amount": 5}]})
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["pointer"] == "/charges/0/reason"
    line_id = doc["items"][0]["id"]
    late = api.patch(f"/invoices/{doc['id']}/items/{line_id}", json={
        "service_period": {"start_date": "2026-05-02", "end_date": "2026-05-01"}})
    assert late.status_code == 422 and late.get_json()["errors"][0]["pointer"] == "/service_period/end_date"
    assert db.session.scalar(select(func.count()).select_from(DocumentLine).where(
        DocumentLine.document_id == int(doc["id"]))) == 1


def test_an_issued_invoice_keeps_its_item_fields_and_a_credit_note_mirrors_them(api):
    doc = api.post("/invoices", json={"customer_id": customer(api), "items": ITEMS, "status": "issued"}).get_json()
    assert doc["status"] == "issued" and doc["total_extratax_amount"] == 2325
    item = doc["items"][1]
    refused = api.patch(f"/invoices/{doc['id']}/items/{item['id']}", json={"charges": []})
    assert refused.status_code == 422 and refused.get_json()["code"] == "document_not_draft"
    assert len(api.get(f"/invoices/{doc['id']}").get_json()["items"][1]["charges"]) == 1
    cancelled = api.post(f"/invoices/{doc['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.get_json()
    note_id = api.get(f"/invoices/{doc['id']}").get_json()["credit_note_ids"][0]
    note = api.get(f"/invoices/{note_id}").get_json()
    assert [i["extratax_amount"] for i in note["items"]] == [-375, -1950]
    assert note["items"][1]["allowances"][0]["amount"] == -100 and note["items"][0]["base_quantity"] == "10"
    assert note["total_tax_included_amount"] == -doc["total_tax_included_amount"]
