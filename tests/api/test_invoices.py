"""/api/v1/invoices: the seeds' flows in this API's style, with the seeds' values, and their figures, statuses
and rows (seed 000 steps 1-4 and its sales pattern, seed 001's minor units in EUR, GBP and JPY, seed 002's
steps 3-4 and 7, seed 004's draft / issued / paid with inclusive prices and a discount)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import Document, DocumentLine, Payment


def customer(api, **values) -> str:
    body = {"company": "Acme Inc", "email": "billing@acme.example", "address": {"country_code": "DE"}, **values}
    answer = api.post("/customers", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_seed_000_create_review_finalize_and_pay(api):
    customer_id = customer(api)
    created = api.post("/invoices", json={
        "flow": "sales", "customer_id": customer_id, "currency": "EUR",
        "items": [{"description": "Premium Subscription - Monthly", "quantity": 1, "unit_extratax_amount": 2900},
                  {"description": "Additional User Seat", "quantity": 3, "unit_amount": 500}]})
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    # step 2: a draft has no number and no payment state; 19 % (the German default rate) on 29.00 + 15.00
    assert draft["status"] == "draft" and draft["document_number"] is None and draft["payment_status"] is None
    assert [i["extratax_amount"] for i in draft["items"]] == [2900, 1500]
    assert draft["total_extratax_amount"] == 4400 and draft["total_tax_amount"] == 836
    assert draft["total_tax_included_amount"] == 5236
    assert draft["taxes"] == [{"tax_id": "vat", "percentage": "19", "category": "S", "category_name": "Standard rate",
                               "taxable_amount": 4400, "tax_amount": 836, "jurisdiction": "DE", "exemption": None}]
    assert sum(i["tax_amount"] for i in draft["items"]) == 836
    assert created.headers["ETag"] == f'"{draft["version"]}"'

    finalized = api.post(f"/invoices/{draft['id']}/finalize", headers={"If-Match": created.headers["ETag"]})
    assert finalized.status_code == 200, finalized.get_json()
    invoice = finalized.get_json()
    assert invoice["status"] == "issued" and invoice["document_number"]
    assert invoice["document_date"] == date.today().isoformat()
    assert invoice["due_date"] == (date.today() + timedelta(days=14)).isoformat()
    assert invoice["payment_status"] == "OPEN" and invoice["amount_due"] == 5236
    pdf = api.get(f"/invoices/{draft['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    doc = db.session.get(Document, int(draft["id"]))
    assert pdf.data == doc.pdf

    partial = api.post(f"/invoices/{draft['id']}/attach_payment", json={"transaction_data": {
        "amount": 2500, "currency": "EUR", "transaction_type": "payment", "reference": "STRIPE_ch_abc123"}})
    assert partial.status_code == 200, partial.get_json()
    assert partial.get_json()["payment_status"] == "PARTIALLY_PAID"
    assert partial.get_json()["amount_remaining"] == 2736 and partial.get_json()["amount_paid"] == 2500
    rest = api.post(f"/invoices/{draft['id']}/attach_payment", json={})
    assert rest.status_code == 200 and rest.get_json()["payment_status"] == "PAID"
    assert rest.get_json()["amount_remaining"] == 0
    payments = db.session.scalars(select(Payment).where(Payment.document_id == doc.id).order_by(Payment.id)).all()
    assert [(p.amount, p.reference) for p in payments] == [(2500, "STRIPE_ch_abc123"), (2736, "")]
    kpis = api.get(f"/invoices/{draft['id']}").get_json()["kpis"]
    assert kpis["outstanding"] == 0 and kpis["payment_applied"] == 5236
    assert kpis["last_payment_date"] == date.today().isoformat()
    # an issued invoice never changes
    refused = api.patch(f"/invoices/{draft['id']}", json={"notes": "changed"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "document_not_draft"


def test_seed_000_sales_pattern_with_payment_terms(api):
    answer = api.post("/invoices", json={
        "flow": "sales", "currency": "EUR", "customer_id": customer(api), "payment_terms": {"type": "NET", "days": 30},
        "items": [{"description": "Consulting Services - 10 hours", "quantity": 10, "unit_extratax_amount": 15000}]})
    doc = answer.get_json()
    assert doc["total_extratax_amount"] == 150000 and doc["payment_terms"] == {"type": "NET", "days": 30}
    issued = api.post(f"/invoices/{doc['id']}/finalize").get_json()
    assert issued["due_date"] == (date.today() + timedelta(days=30)).isoformat()


def test_seed_001_minor_units_in_eur_gbp_and_jpy(api):
    expected = {"EUR": (5900, "29.5"), "GBP": (5198, "25.99"), "JPY": (2000, "1000")}
    for currency, unit in (("EUR", 2950), ("GBP", 2599), ("JPY", 1000)):
        answer = api.post("/invoices", json={"flow": "sales", "currency": currency, "customer_id": customer(api),
                                             "items": [{"description": "Product", "quantity": 2,
                                                        "unit_extratax_amount": unit}]})
        assert answer.status_code == 201, answer.get_json()
        body = answer.get_json()
        net, price = expected[currency]
        assert body["total_extratax_amount"] == net and body["items"][0]["unit_price"] == price
        assert body["items"][0]["unit_extratax_amount"] == unit
        doc = db.session.get(Document, int(body["id"]))
        assert doc.currency == currency and doc.net_total == net


def test_sub_cent_unit_prices_and_exact_decimals(api):
    body = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "API calls", "quantity": "12000", "unit_price": "0.00125"},
        {"description": "Storage", "quantity": 1.5, "unit_price": 0.1}]}).get_json()
    assert [i["extratax_amount"] for i in body["items"]] == [1500, 15]
    assert body["items"][0]["unit_price"] == "0.00125" and body["items"][0]["unit_extratax_amount"] is None
    line = db.session.scalar(select(DocumentLine).where(DocumentLine.description == "Storage"))
    assert line.quantity == Decimal("1.5") and line.unit_price == Decimal("0.1")


def test_seed_002_draft_then_items_one_by_one_then_paid(api):
    customer_id = customer(api)
    draft = api.post("/invoices", json={"currency": "EUR", "customer_id": customer_id, "calculate_from_net": True})
    assert draft.status_code == 201
    doc_id, etag = draft.get_json()["id"], draft.headers["ETag"]
    item = api.post(f"/invoices/{doc_id}/items", headers={"If-Match": etag}, json={
        "title": "Consulting - March 2026", "quantity": 10, "unit_price": "150.00", "tax_rate": 19})
    assert item.status_code == 201, item.get_json()
    assert item.get_json()["extratax_amount"] == 150000 and item.get_json()["tax"]["percentage"] == "19"
    stale = api.post(f"/invoices/{doc_id}/items", headers={"If-Match": etag}, json={"title": "Late", "quantity": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "document_changed"
    second = api.post(f"/invoices/{doc_id}/items", headers={"If-Match": item.headers["ETag"]}, json={
        "title": "Travel", "quantity": 1, "unit_price": "80", "tax_rate": 7})
    assert second.status_code == 201, second.get_json()
    invoice = api.get(f"/invoices/{doc_id}").get_json()
    assert invoice["total_extratax_amount"] == 158000
    assert {t["percentage"]: t["tax_amount"] for t in invoice["taxes"]} == {"19": 28500, "7": 560}
    changed = api.patch(f"/invoices/{doc_id}/items/{second.get_json()['id']}", json={"quantity": 2})
    assert changed.status_code == 200 and changed.get_json()["extratax_amount"] == 16000
    assert api.delete(f"/invoices/{doc_id}/items/{second.get_json()['id']}").status_code == 204
    assert api.get(f"/invoices/{doc_id}").get_json()["total_extratax_amount"] == 150000
    missing_rate = api.post(f"/invoices/{doc_id}/items", json={"title": "Odd", "quantity": 1, "unit_price": "1",
                                                              "tax_rate": 13})
    assert missing_rate.status_code == 422 and missing_rate.get_json()["errors"][0]["pointer"] == "/tax_rate"


def test_seed_004_draft_issued_and_paid_with_inclusive_prices_and_a_discount(api):
    customer_id = customer(api)
    items = [{"description": "Booking", "quantity": 2, "unit_tax_included_amount": 11900}]
    draft = api.post("/invoices", json={"customer_id": customer_id, "status": "draft", "items": items,
                                        "discount": {"type": "percentage", "value": "10"}, "memo": "Thanks!"})
    body = draft.get_json()
    assert draft.status_code == 201 and body["price_tax_inclusive"] is True and body["notes"] == "Thanks!"
    # 238.00 gross, 10 % off: 214.20 gross = 180.00 net + 34.20 VAT
    assert body["total_tax_included_amount"] == 21420 and body["total_extratax_amount"] == 18000
    assert body["total_tax_amount"] == 3420

    issued = api.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": items})
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["status"] == "issued" and issued.get_json()["document_number"]

    paid = api.post("/invoices", json={"customer_id": customer_id, "status": "paid", "items": items,
                                       "payment_details": {"reference": "tr_123", "method": "card"}})
    assert paid.status_code == 201, paid.get_json()
    body = paid.get_json()
    assert body["payment_status"] == "PAID" and body["amount_paid"] == 23800 and body["amount_due"] == 0
    payment = db.session.scalar(select(Payment).where(Payment.document_id == int(body["id"])))
    assert (payment.amount, payment.method, payment.reference) == (23800, "card", "tr_123")


def test_an_amount_discount_and_shipping_charge(api):
    body = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "Goods", "quantity": 1, "unit_extratax_amount": 10000}],
        "discount": {"type": "amount", "value": 1000},
        "charges": [{"amount": 490, "reason": "Shipping", "tax_rate": 19}]}).get_json()
    assert body["total_allowance_amount"] == 1000 and body["total_charge_amount"] == 490
    assert body["total_extratax_amount"] == 9490 and body["total_tax_amount"] == 1803
    assert body["charges"][0]["reason"] == "Shipping" and body["allowances"][0]["amount"] == 1000
    # the items' and adjustments' shares of the group's tax add up to it exactly
    shares = [i["tax_amount"] for i in body["items"]] + [a["tax_amount"] for a in body["allowances"] + body["charges"]]
    assert shares == [1900, -190, 93] and sum(shares) == body["total_tax_amount"]


def test_bad_items_are_refused_together_with_pointers_and_nothing_is_saved(api):
    answer = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "ok", "quantity": 1, "unit_extratax_amount": 100},
        {"description": "zero", "quantity": 0, "unit_extratax_amount": 100},
        {"description": "rate", "quantity": 1, "unit_extratax_amount": 100, "tax_rate": 13},
        {"description": "discount", "quantity": 1, "unit_extratax_amount": 100, "discount_percent": 120}]})
    assert answer.status_code == 422
    assert {e["pointer"]: e["code"] for e in answer.get_json()["errors"]} == {
        "/items/1/quantity": "quantity_zero", "/items/2/tax_rate": "unknown_tax_rate",
        "/items/3/discount_percent": "discount_out_of_range"}
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    floats = api.post("/invoices", json={"customer_id": "1", "items": [{"description": "x",
                                                                         "unit_extratax_amount": 29.5}]})
    assert floats.status_code == 422 and floats.get_json()["errors"][0]["pointer"] == "/items/0/unit_extratax_amount"
    mixed = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "net", "unit_extratax_amount": 100}, {"description": "gross", "unit_tax_included_amount": 100}]})
    assert mixed.status_code == 422 and mixed.get_json()["code"] == "mixed_price_kinds"
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_list_pages_and_filters(api):
    customer_id = customer(api)
    ids = [api.post("/invoices", json={"customer_id": customer_id, "items": [
        {"description": "x", "unit_extratax_amount": 100 * (i + 1)}]}).get_json()["id"] for i in range(3)]
    api.post(f"/invoices/{ids[0]}/finalize")
    page = api.get("/invoices?limit=2").get_json()
    assert [d["id"] for d in page["data"]] == [ids[2], ids[1]] and page["has_more"] is True
    assert page["data"][0]["items"] is None
    assert [d["id"] for d in api.get(f"/invoices?starting_after={ids[1]}").get_json()["data"]] == [ids[0]]
    assert [d["id"] for d in api.get("/invoices?filter[status]=issued").get_json()["data"]] == [ids[0]]
    assert len(api.get(f"/invoices?filter[customer_id]={customer_id}").get_json()["data"]) == 3
    assert api.get("/invoices?filter[status]=bogus").status_code == 422


def test_roles_and_tenancy(api, api_as):
    doc_id = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "x", "unit_extratax_amount": 100}]}).get_json()["id"]
    bookkeeper = api_as("bookkeeper", org=api.org)
    assert bookkeeper.get(f"/invoices/{doc_id}").status_code == 200
    assert bookkeeper.post(f"/invoices/{doc_id}/finalize").status_code == 403
    other = api_as("owner")
    for answer in (other.get(f"/invoices/{doc_id}"), other.post(f"/invoices/{doc_id}/finalize"),
                   other.patch(f"/invoices/{doc_id}", json={"notes": "x"}), other.delete(f"/invoices/{doc_id}"),
                   other.post(f"/invoices/{doc_id}/items", json={"description": "x"})):
        assert answer.status_code == 404
    assert db.session.get(Document, int(doc_id)).status == "draft"
    assert other.post("/invoices", json={"customer_id": "1", "items": []}).status_code in (404, 422)
    factories.contact  # the factories module stays imported for later tests
