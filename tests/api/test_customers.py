"""/api/v1/customers and /suppliers: seed 002's steps 1-2 (find by e-mail, create with locale, the address as its
own resource), the web form's rules through the same use case, custom field filters, pages."""
from __future__ import annotations

from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import AuditEvent, Contact


def test_seed_002_find_by_email_then_create_with_an_address(api):
    missing = api.get("/customers?filter[email]=jane@example.com&include=address&o=" + str(api.org.id))
    assert missing.status_code == 200 and missing.get_json() == {"data": [], "has_more": False}

    created = api.post("/customers", json={"given_name": "Jane", "family_name": "Doe", "email": "Jane@Example.com",
                                           "company": "Acme Inc", "locale": "de", "mobile": "+4917612345678"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["person_name"] == "Jane Doe" and body["company"] == "Acme Inc" and body["email"] == "jane@example.com"
    assert body["phone"] == "+4917612345678" and body["locale"] == "de_DE" and body["object"] == "customer"
    assert created.headers["Location"].endswith(f"/api/v1/customers/{body['id']}")

    address = api.put(f"/customers/{body['id']}/address", json={
        "street_address": "Hauptstraße 42", "zip_code": "50667", "city": "Köln", "country_code": "de"})
    assert address.status_code == 200, address.get_json()
    assert address.get_json()["country_code"] == "DE"

    found = api.get("/customers?filter[email]=JANE@example.com&include=address").get_json()["data"]
    assert [c["id"] for c in found] == [body["id"]]
    assert found[0]["address"]["city"] == "Köln" and found[0]["address"]["street_address"] == "Hauptstraße 42"
    assert api.get("/customers?filter[search]=jan").get_json()["data"][0]["id"] == body["id"]
    assert api.get("/customers?filter[search]=4917612").get_json()["data"][0]["id"] == body["id"]

    contact = db.session.get(Contact, int(body["id"]))
    assert (contact.person_name, contact.city, contact.country) == ("Jane Doe", "Köln", "DE")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.created"))
    assert event.summary == "API token Shop added Acme Inc"
    assert event.actor_id == api.row.created_by_id


def test_the_web_forms_rules_refuse_every_bad_field_at_once_and_save_nothing(api):
    answer = api.post("/customers", json={"email": "not-an-address", "phone": "call me",
                                          "vat_number": "DE123", "address": {"country_code": "DE"}})
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    pointers = {e["pointer"]: e["code"] for e in problem["errors"]}
    assert pointers == {"/company": "name_required", "/email": "invalid_email", "/phone": "invalid_phone",
                        "/vat_number": "invalid_vat_id"}
    assert db.session.scalar(select(Contact)) is None
    country = api.post("/customers", json={"company": "Acme", "address": {"country_code": "XX"}})
    assert country.status_code == 422 and country.get_json()["errors"][0]["pointer"] == "/address/country_code"


def test_unknown_fields_and_wrong_types_are_refused_with_pointers(api):
    answer = api.post("/customers", json={"company": "Acme", "is_admin": True, "address": {"city": 5}})
    assert answer.status_code == 422
    pointers = {e["pointer"] for e in answer.get_json()["errors"]}
    assert pointers == {"/is_admin", "/address/city"}
    assert db.session.scalar(select(Contact)) is None


def test_malformed_and_non_json_bodies(api):
    bad = api.client.post("/api/v1/customers", data=b'{"company": ', content_type="application/json",
                          headers={"Authorization": f"Bearer {api.token}"}, csrf=False)
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_json"
    form = api.client.post("/api/v1/customers", data={"company": "Acme"},
                           headers={"Authorization": f"Bearer {api.token}"}, csrf=False)
    assert form.status_code == 415 and form.get_json()["code"] == "unsupported_media_type"
    deep = api.client.post("/api/v1/customers", data=b"[" * 50 + b"]" * 50, content_type="application/json",
                           headers={"Authorization": f"Bearer {api.token}"}, csrf=False)
    assert deep.status_code == 422 and deep.get_json()["code"] == "json_too_deep"
    nan = api.client.post("/api/v1/customers", data=b'{"company": NaN}', content_type="application/json",
                          headers={"Authorization": f"Bearer {api.token}"}, csrf=False)
    assert nan.status_code == 400
    assert db.session.scalar(select(Contact)) is None


def test_patch_changes_only_what_it_names_and_keeps_other_custom_values(api):
    factories.custom_field(api.org, "tier", type="choice", options=["Basic", "Premium"])
    factories.custom_field(api.org, "seats", type="number")
    made = api.post("/customers", json={"company": "Acme", "email": "a@acme.example", "address": {"country_code": "DE"},
                                        "custom_fields": {"tier": "Basic", "seats": "12.5"}}).get_json()
    assert made["custom_fields"] == {"tier": "Basic", "seats": "12.5"}
    changed = api.patch(f"/customers/{made['id']}", json={"custom_fields": {"tier": "Premium"},
                                                          "vat_number": "de 136 695 976"})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["custom_fields"] == {"tier": "Premium", "seats": "12.5"}
    assert body["vat_number"] == "DE136695976" and body["email"] == "a@acme.example" and body["company"] == "Acme"
    bad = api.patch(f"/customers/{made['id']}", json={"custom_fields": {"tier": "Gold", "colour": "red"}})
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.get_json()["errors"]} == {"/custom_fields/tier", "/custom_fields/colour"}
    assert api.get(f"/customers/{made['id']}").get_json()["custom_fields"]["tier"] == "Premium"


def test_custom_field_filters_as_seed_002_writes_them(api):
    factories.custom_field(api.org, "tier", type="choice", options=["Basic", "Premium"])
    factories.custom_field(api.org, "seats", type="number")
    ids = {}
    for name, tier, seats in (("A", "Basic", "3"), ("B", "Premium", "10"), ("C", "Premium", "25")):
        ids[name] = api.post("/customers", json={"company": name, "custom_fields": {"tier": tier, "seats": seats}}
                             ).get_json()["id"]

    def names(query):
        answer = api.get("/customers?" + query)
        assert answer.status_code == 200, answer.get_json()
        return sorted(c["company"] for c in answer.get_json()["data"])

    cf = "filter[custom_fields]"
    assert names(f"{cf}[tier][f_id]=tier&{cf}[tier][o]==&{cf}[tier][v]=Premium") == ["B", "C"]
    assert names(f"{cf}[seats][o]=>=&{cf}[seats][v]=10") == ["B", "C"]
    assert names(f"{cf}[seats][o]=<&{cf}[seats][v]=10") == ["A"]
    assert names(f"{cf}[tier][o]=in&{cf}[tier][v]=Basic,Premium&{cf}[seats][o]=<=&{cf}[seats][v]=10") == ["A", "B"]
    assert names(f"{cf}[tier][o]=<>&{cf}[tier][v]=Basic") == ["B", "C"]
    for query, code in ((f"{cf}[nope][o]==&{cf}[nope][v]=1", "unknown_custom_field"),
                        (f"{cf}[seats][o]=~&{cf}[seats][v]=1", "invalid_filter"),
                        (f"{cf}[seats][o]==&{cf}[seats][v]=many", "invalid_filter"),
                        ("filter[colour]=red", "unknown_parameter")):
        answer = api.get("/customers?" + query)
        assert answer.status_code == 422 and answer.get_json()["code"] == code, query


def test_pages_newest_first_with_starting_after(api):
    ids = [api.post("/customers", json={"company": f"C{i}"}).get_json()["id"] for i in range(5)]
    first = api.get("/customers?limit=2").get_json()
    assert [c["id"] for c in first["data"]] == [ids[4], ids[3]] and first["has_more"] is True
    second = api.get(f"/customers?limit=2&starting_after={ids[3]}").get_json()
    assert [c["id"] for c in second["data"]] == [ids[2], ids[1]]
    last = api.get(f"/customers?limit=2&starting_after={ids[1]}").get_json()
    assert [c["id"] for c in last["data"]] == [ids[0]] and last["has_more"] is False
    assert api.get("/customers?limit=101").status_code == 422
    assert api.get("/customers?limit=0").get_json()["errors"][0]["parameter"] == "limit"


def test_archive_restore_and_suppliers_are_their_own_list(api):
    customer = api.post("/customers", json={"company": "Buyer"}).get_json()
    supplier = api.post("/suppliers", json={"company": "Hosting Ltd"}).get_json()
    assert supplier["object"] == "supplier" and supplier["is_customer"] is False
    assert [c["company"] for c in api.get("/suppliers").get_json()["data"]] == ["Hosting Ltd"]
    assert [c["company"] for c in api.get("/customers").get_json()["data"]] == ["Buyer"]
    assert api.get(f"/suppliers/{customer['id']}").status_code == 404
    archived = api.post(f"/customers/{customer['id']}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    assert api.get("/customers").get_json()["data"] == []
    assert [c["id"] for c in api.get("/customers?filter[archived]=true").get_json()["data"]] == [customer["id"]]
    assert api.post(f"/customers/{customer['id']}/restore").get_json()["archived"] is False


def test_roles_and_other_organizations(api, api_as):
    made = api.post("/customers", json={"company": "Mine"}).get_json()
    bookkeeper = api_as("bookkeeper", org=api.org)
    assert bookkeeper.get(f"/customers/{made['id']}").status_code == 200
    refused = bookkeeper.post("/customers", json={"company": "Not allowed"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    other = api_as("owner")
    assert other.get(f"/customers/{made['id']}").status_code == 404
    assert other.patch(f"/customers/{made['id']}", json={"company": "Stolen"}).status_code == 404
    assert other.put(f"/customers/{made['id']}/address", json={"city": "X"}).status_code == 404
    assert other.post(f"/customers/{made['id']}/archive").status_code == 404
    assert db.session.get(Contact, int(made["id"])).company_name == "Mine"
    assert other.get("/customers").get_json()["data"] == []
