"""Seed 003's custom attributes on invoices: the organization's custom fields that apply to invoices, set on a
draft's create and change, answered as an object by key (as a customer's ``custom_fields``), checked by the
customers' rules, filterable as the customers' list is, frozen once the invoice is issued."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tests import factories
from tests.api.test_invoices import customer
from webapp.extensions import db
from webapp.models import DocumentFieldValue

ITEMS = [{"description": "Consulting", "quantity": 2, "unit_extratax_amount": 5000}]


def fields(org):
    factories.custom_field(org, "cost_center", applies_to="invoice")
    factories.custom_field(org, "channel", type="choice", options=["web", "store"], applies_to="invoice")
    factories.custom_field(org, "weight", type="number", applies_to="invoice")
    factories.custom_field(org, "delivered_on", type="date", applies_to="invoice")
    factories.custom_field(org, "gift", type="checkbox", applies_to="invoice")
    factories.custom_field(org, "tier", type="choice", options=["Basic"])  # a customer field: not the invoice's


def rows(document_id) -> int:
    return db.session.scalar(select(func.count()).select_from(DocumentFieldValue)
                             .where(DocumentFieldValue.document_id == int(document_id)))


def test_create_change_and_read_attributes_by_key(api):
    fields(api.org)
    customer_id = customer(api)
    made = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, "custom_attributes": {
        "cost_center": "CC-7", "channel": "web", "weight": "12.5", "delivered_on": "2026-11-30", "gift": True}})
    assert made.status_code == 201, made.get_json()
    invoice = made.get_json()
    assert invoice["custom_attributes"] == {"cost_center": "CC-7", "channel": "web", "weight": "12.5",
                                            "delivered_on": "2026-11-30", "gift": True}
    assert rows(invoice["id"]) == 5
    stored = {r.field.key: r for r in db.session.scalars(select(DocumentFieldValue).where(
        DocumentFieldValue.document_id == int(invoice["id"])))}
    assert stored["delivered_on"].value_date == date(2026, 11, 30) and stored["weight"].value_number == Decimal("12.5")

    changed = api.patch(f"/invoices/{invoice['id']}", json={"custom_attributes": {"channel": "store", "gift": False},
                                                            "version": invoice["version"]})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["custom_attributes"] == {"cost_center": "CC-7", "channel": "store", "weight": "12.5",
                                         "delivered_on": "2026-11-30", "gift": False}
    assert body["version"] == invoice["version"] + 1  # a change of the draft like any other
    assert rows(invoice["id"]) == 4
    stale = api.patch(f"/invoices/{invoice['id']}", json={"custom_attributes": {"channel": "web"},
                                                          "version": invoice["version"]})
    assert stale.status_code == 409
    assert api.get(f"/invoices/{invoice['id']}").get_json()["custom_attributes"]["channel"] == "store"
    # a draft without values answers every field, empty
    plain = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS}).get_json()
    assert plain["custom_attributes"] == {"cost_center": None, "channel": None, "weight": None,
                                          "delivered_on": None, "gift": False}


def test_the_customers_rules_with_pointers_and_nothing_written(api):
    fields(api.org)
    customer_id = customer(api)
    bad = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, "custom_attributes": {
        "channel": "phone", "weight": "heavy", "delivered_on": "30.11.2026", "tier": "Basic", "gift": "maybe"}})
    assert bad.status_code == 422, bad.get_json()
    pointers = {e["pointer"]: e["code"] for e in bad.get_json()["errors"]}
    assert pointers == {"/custom_attributes/channel": "invalid_custom_value",
                        "/custom_attributes/weight": "invalid_custom_value",
                        "/custom_attributes/delivered_on": "invalid_custom_value",
                        "/custom_attributes/gift": "invalid_custom_value",
                        "/custom_attributes/tier": "unknown_custom_field"}  # a customer field is not an invoice's
    assert db.session.scalar(select(func.count()).select_from(DocumentFieldValue)) == 0
    draft = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS}).get_json()
    refused = api.patch(f"/invoices/{draft['id']}", json={"custom_attributes": {"weight": "1.23456"}})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["pointer"] == "/custom_attributes/weight"
    assert rows(draft["id"]) == 0


def test_issued_invoices_keep_their_attributes(api):
    fields(api.org)
    customer_id = customer(api)
    issued = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, "status": "issued",
                                         "custom_attributes": {"cost_center": "CC-1"}})
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["custom_attributes"]["cost_center"] == "CC-1"
    refused = api.patch(f"/invoices/{issued.get_json()['id']}", json={"custom_attributes": {"cost_center": "CC-2"}})
    assert refused.status_code == 422
    assert api.get(f"/invoices/{issued.get_json()['id']}").get_json()["custom_attributes"]["cost_center"] == "CC-1"


def test_filter_by_custom_attributes_as_customers_are_filtered(api):
    fields(api.org)
    customer_id = customer(api)
    ids = {}
    for name, channel, weight in (("a", "web", "3"), ("b", "store", "10"), ("c", "web", "25")):
        ids[name] = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, "custom_attributes": {
            "channel": channel, "weight": weight}}).get_json()["id"]
    api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS})

    def found(query):
        answer = api.get("/invoices?" + query)
        assert answer.status_code == 200, answer.get_json()
        return sorted(name for name, i in ids.items() if i in {d["id"] for d in answer.get_json()["data"]})

    ca = "filter[custom_attributes]"
    assert found(f"{ca}[channel][f_id]=channel&{ca}[channel][o]==&{ca}[channel][v]=web") == ["a", "c"]
    assert found(f"{ca}[weight][o]=>=&{ca}[weight][v]=10") == ["b", "c"]
    assert found(f"{ca}[channel][o]==&{ca}[channel][v]=web&{ca}[weight][o]=<&{ca}[weight][v]=10") == ["a"]
    listed = api.get(f"/invoices?{ca}[channel][o]==&{ca}[channel][v]=store").get_json()["data"]
    assert [d["custom_attributes"]["weight"] for d in listed] == ["10"]
    for query, code in ((f"{ca}[nope][o]==&{ca}[nope][v]=1", "unknown_custom_field"),
                        (f"{ca}[tier][o]==&{ca}[tier][v]=Basic", "unknown_custom_field"),
                        (f"{ca}[weight][o]==&{ca}[weight][v]=many", "invalid_filter"),
                        ("filter[custom_fields][channel][v]=web", "unknown_parameter"),
                        ("filter[colour]=red", "unknown_parameter")):
        answer = api.get("/invoices?" + query)
        assert answer.status_code == 422 and answer.get_json()["code"] == code, query


def test_another_organizations_invoice_is_a_404_and_keeps_its_values(api, api_as):
    fields(api.org)
    draft = api.post("/invoices", json={"customer_id": customer(api), "items": ITEMS,
                                        "custom_attributes": {"cost_center": "CC-9"}}).get_json()
    other = api_as("owner")
    assert other.patch(f"/invoices/{draft['id']}", json={"custom_attributes": {"cost_center": "X"}}
                       ).status_code == 404
    assert other.get(f"/invoices/{draft['id']}").status_code == 404
    assert api.get(f"/invoices/{draft['id']}").get_json()["custom_attributes"]["cost_center"] == "CC-9"
    # the other organization has no invoice fields: its invoices carry none, and ours are not its
    their = other.post("/invoices", json={"customer_id": customer(other), "items": ITEMS}).get_json()
    assert their["custom_attributes"] == {}
    refused = other.post("/invoices", json={"customer_id": customer(other), "items": ITEMS,
                                            "custom_attributes": {"cost_center": "X"}})
    assert refused.status_code == 422 and refused.get_json()["code"] == "unknown_custom_field"


def test_a_deleted_draft_takes_its_values_along(api):
    fields(api.org)
    draft = api.post("/invoices", json={"customer_id": customer(api), "items": ITEMS,
                                        "custom_attributes": {"cost_center": "CC-3"}}).get_json()
    assert rows(draft["id"]) == 1
    assert api.delete(f"/invoices/{draft['id']}").status_code == 204
    assert rows(draft["id"]) == 0


def test_a_duplicate_and_a_reactivated_copy_carry_the_attributes(api):
    fields(api.org)
    issued = api.post("/invoices", json={"customer_id": customer(api), "items": ITEMS, "status": "issued",
                                         "custom_attributes": {"cost_center": "CC-5", "weight": "2"}}).get_json()
    cancelled = api.post(f"/invoices/{issued['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.get_json()
    copy = api.post(f"/invoices/{issued['id']}/reactivate", json={})
    assert copy.status_code in (200, 201), copy.get_json()
    body = copy.get_json()
    new = body.get("invoice", body)
    assert new["id"] != issued["id"] and new["status"] == "draft"
    assert new["custom_attributes"]["cost_center"] == "CC-5" and new["custom_attributes"]["weight"] == "2"
    assert api.get(f"/invoices/{issued['id']}").get_json()["custom_attributes"]["cost_center"] == "CC-5"
