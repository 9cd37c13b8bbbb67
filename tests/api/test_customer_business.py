"""``is_business`` of /api/v1/customers and /suppliers (business B2B or consumer B2C, as automatic VAT reads it):
written through the web's use case, a strict boolean, a new customer a business unless it says otherwise."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Contact


def stored(contact_id) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, int(contact_id))


def test_create_a_consumer_read_it_and_change_it(api):
    created = api.post("/customers", json={"given_name": "Jeanne", "family_name": "Martin", "is_business": False,
                                           "address": {"country_code": "FR"}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["is_business"] is False
    assert stored(body["id"]).is_business is False
    assert api.get(f"/customers/{body['id']}").get_json()["is_business"] is False
    assert [c["is_business"] for c in api.get("/customers").get_json()["data"]] == [False]

    kept = api.patch(f"/customers/{body['id']}", json={"email": "jeanne@example.fr"})
    assert kept.status_code == 200 and kept.get_json()["is_business"] is False  # not given: unchanged
    assert stored(body["id"]).is_business is False
    changed = api.patch(f"/customers/{body['id']}", json={"company": "Martin SARL", "is_business": True})
    assert changed.status_code == 200 and changed.get_json()["is_business"] is True
    assert stored(body["id"]).is_business is True
    null = api.patch(f"/customers/{body['id']}", json={"is_business": None})
    assert null.status_code == 200 and null.get_json()["is_business"] is True  # null: unchanged


def test_a_new_customer_is_a_business_unless_it_says_otherwise(api):
    body = api.post("/customers", json={"company": "Acme Inc"}).get_json()
    assert body["is_business"] is True and stored(body["id"]).is_business is True
    supplier = api.post("/suppliers", json={"company": "Mill GmbH", "is_business": True}).get_json()
    assert supplier["is_business"] is True and api.get(f"/suppliers/{supplier['id']}").get_json()["is_business"]


def test_only_true_or_false(api):
    for value in ("yes", 1, "false"):
        answer = api.post("/customers", json={"company": "Acme Inc", "is_business": value})
        assert answer.status_code == 422, value
        assert {e["pointer"] for e in answer.get_json()["errors"]} == {"/is_business"}
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_an_invoices_new_recipient_takes_it(api):
    answer = api.post("/invoices", json={
        "recipient_identifier": "shop-1", "items": [{"description": "Plan", "quantity": 1,
                                                     "unit_extratax_amount": 1000}],
        "recipient": {"given_name": "Jane", "family_name": "Doe", "is_business": False,
                      "address": {"country_code": "DE"}}})
    assert answer.status_code == 201, answer.get_json()
    assert stored(answer.get_json()["customer_id"]).is_business is False


def test_the_openapi_document_describes_it(api):
    schemas = api.client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    described = [s["properties"]["is_business"].get("description", "") or
                 " ".join(o.get("description", "") for o in s["properties"]["is_business"].get("anyOf", []))
                 for name, s in schemas.items() if "is_business" in s.get("properties", {})]
    assert described and all("consumer" in d for d in described)
