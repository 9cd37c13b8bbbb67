"""Seed 004's ``recipient_identifier``: an invoice names its customer by the shop's own id (``Contact.external_id``);
the customer is found by it, or created from the recipient data through the customer API's use case. The
customer API reads, writes and filters ``external_id``; one identifier is one customer, at the same moment too."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.api.test_invoices import customer
from webapp.extensions import db
from webapp.models import Contact, Document
from webapp.services import contacts

ITEMS = [{"description": "Premium Subscription - Monthly", "quantity": 1, "unit_extratax_amount": 2900}]
RECIPIENT = {"given_name": "Jane", "family_name": "Doe", "company": "Doe Design", "email": "Jane@Doe.example",
             "locale": "fr", "vat_number": "de 136 695 976",
             "address": {"street_address": "Hauptstraße 42", "zip_code": "50667", "city": "Köln", "country_code": "de"}}


def contacts_of(org) -> int:
    return db.session.scalar(select(func.count()).select_from(Contact).where(Contact.org_id == org.id))


def test_a_new_identifier_creates_the_customer_and_the_next_invoice_finds_it(api):
    first = api.post("/invoices", json={"recipient_identifier": "shop-4711", "recipient": RECIPIENT,
                                        "items": ITEMS})
    assert first.status_code == 201, first.get_json()
    invoice = first.get_json()
    contact = db.session.get(Contact, int(invoice["customer_id"]))
    # made by the customer API's rules: e-mail lower-cased, VAT number and country normalized, the person's name
    assert contact.external_id == "shop-4711" and contact.org_id == api.org.id and contact.is_customer
    assert (contact.company_name, contact.person_name, contact.email) == ("Doe Design", "Jane Doe", "jane@doe.example")
    assert (contact.vat_id, contact.country, contact.city, contact.locale) == ("DE136695976", "DE", "Köln", "fr_FR")
    assert invoice["customer_name"] == "Doe Design" and invoice["total_tax_included_amount"] == 3451

    again = api.post("/invoices", json={"recipient_identifier": " shop-4711 ", "items": ITEMS,
                                        "recipient": {**RECIPIENT, "company": "Renamed Ltd"}})
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["customer_id"] == invoice["customer_id"]
    assert contacts_of(api.org) == 1
    db.session.refresh(contact)
    assert contact.company_name == "Doe Design"  # a customer found is used as it is
    without_data = api.post("/invoices", json={"recipient_identifier": "shop-4711", "items": ITEMS})
    assert without_data.status_code == 201 and without_data.get_json()["customer_id"] == invoice["customer_id"]

    api_customer = api.get(f"/customers/{invoice['customer_id']}").get_json()
    assert api_customer["external_id"] == "shop-4711"
    found = api.get("/customers?filter[external_id]=shop-4711").get_json()["data"]
    assert [c["id"] for c in found] == [invoice["customer_id"]]
    assert api.get("/customers?filter[external_id]=shop-0000").get_json()["data"] == []


def test_exactly_one_of_customer_id_and_recipient_identifier(api):
    customer_id = customer(api)
    count = db.session.scalar(select(func.count()).select_from(Document))
    cases = [({"customer_id": customer_id, "recipient_identifier": "x-1"}, "customer_twice", "/recipient_identifier"),
             ({}, "customer_required", "/customer_id"),
             ({"customer_id": customer_id, "recipient": RECIPIENT}, "recipient_needs_identifier", "/recipient"),
             ({"recipient_identifier": "new-1"}, "recipient_required", "/recipient"),
             ({"recipient_identifier": "  "}, "recipient_identifier_required", "/recipient_identifier")]
    for body, code, pointer in cases:
        answer = api.post("/invoices", json={**body, "items": ITEMS})
        assert answer.status_code == 422, (body, answer.get_json())
        problem = answer.get_json()
        assert problem["code"] == code and problem["errors"][0]["pointer"] == pointer, problem
    assert db.session.scalar(select(func.count()).select_from(Document)) == count
    assert contacts_of(api.org) == 1


def test_the_customer_rules_apply_to_the_recipient_with_pointers_into_it(api):
    bad = api.post("/invoices", json={"recipient_identifier": "shop-1", "items": ITEMS, "recipient": {
        "email": "not-an-address", "address": {"country_code": "XX"}}})
    assert bad.status_code == 422, bad.get_json()
    pointers = {e["pointer"]: e["code"] for e in bad.get_json()["errors"]}
    assert pointers == {"/recipient/company": "name_required", "/recipient/email": "invalid_email",
                        "/recipient/address/country_code": "invalid_country"}
    assert contacts_of(api.org) == 0 and db.session.scalar(select(func.count()).select_from(Document)) == 0
    unknown = api.post("/invoices", json={"recipient_identifier": "shop-1", "items": ITEMS,
                                          "recipient": {"company": "X", "colour": "red"}})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["pointer"] == "/recipient/colour"


def test_external_id_on_the_customer_api_is_unique_per_organization(api, api_as):
    made = api.post("/customers", json={"company": "Acme", "external_id": " crm-1 "})
    assert made.status_code == 201 and made.get_json()["external_id"] == "crm-1"
    taken = api.post("/customers", json={"company": "Other", "external_id": "crm-1"})
    assert taken.status_code == 422 and taken.get_json()["code"] == "external_id_taken"
    assert taken.get_json()["errors"][0]["pointer"] == "/external_id"
    assert contacts_of(api.org) == 1
    second = api.post("/customers", json={"company": "Other"}).get_json()
    assert second["external_id"] is None
    moved = api.patch(f"/customers/{second['id']}", json={"external_id": "crm-2"})
    assert moved.status_code == 200 and moved.get_json()["external_id"] == "crm-2"
    assert api.patch(f"/customers/{second['id']}", json={"external_id": "crm-1"}).status_code == 422
    cleared = api.patch(f"/customers/{made.get_json()['id']}", json={"external_id": ""})
    assert cleared.status_code == 200 and cleared.get_json()["external_id"] is None
    assert db.session.get(Contact, int(made.get_json()["id"])).external_id is None

    # another organization: its own identifiers, never ours
    other = api_as("owner")
    mine = other.post("/customers", json={"company": "Theirs", "external_id": "crm-2"})
    assert mine.status_code == 201  # the same identifier in another organization is another customer
    invoice = other.post("/invoices", json={"recipient_identifier": "crm-2", "items": ITEMS}).get_json()
    assert invoice["customer_id"] == mine.get_json()["id"]
    assert other.get("/customers?filter[external_id]=crm-2").get_json()["data"][0]["company"] == "Theirs"
    assert other.get(f"/customers/{second['id']}").status_code == 404


def test_two_requests_at_once_with_one_new_identifier_make_one_customer(api, monkeypatch):
    """The first look finds nothing for both; the second insert meets uq_contact_external_id, is undone and the
    invoice goes to the customer the first request made."""
    first = api.post("/invoices", json={"recipient_identifier": "race-1", "recipient": RECIPIENT, "items": ITEMS})
    assert first.status_code == 201
    real = contacts.by_external_id
    calls = []

    def blind_once(org_id, identifier):  # the racing request looked before the other one committed
        calls.append(identifier)
        return None if len(calls) <= 3 else real(org_id, identifier)

    monkeypatch.setattr(contacts, "by_external_id", blind_once)
    raced = api.post("/invoices", json={"recipient_identifier": "race-1", "recipient": RECIPIENT, "items": ITEMS})
    assert raced.status_code == 201, raced.get_json()
    assert raced.get_json()["customer_id"] == first.get_json()["customer_id"]
    assert len(calls) == 4  # blind three times (the insert met the index), then found the winner's customer
    assert contacts_of(api.org) == 1
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.org_id == api.org.id)) == 2


def test_a_recipient_with_an_issued_invoice_and_staff_tokens(api_as):
    staff = api_as("staff")
    issued = staff.post("/invoices", json={"recipient_identifier": "shop-9", "recipient": RECIPIENT, "items": ITEMS,
                                           "status": "issued"})
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["status"] == "issued" and issued.get_json()["document_number"]
    doc = db.session.get(Document, int(issued.get_json()["id"]))
    assert doc.buyer_name == "Doe Design"
    bookkeeper = api_as("bookkeeper", org=staff.org)
    refused = bookkeeper.post("/invoices", json={"recipient_identifier": "shop-10", "recipient": RECIPIENT,
                                                 "items": ITEMS})
    assert refused.status_code == 403
    assert contacts_of(staff.org) == 1
