"""E-invoices in the API: a customer's e_invoice_format, an invoice's buyer_reference, e_invoice_format and seed
004's is_e_invoice (create, change, answers), GET /invoices/{id}/xml, and the OpenAPI document that names them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import einvoice_docs as E
from webapp.extensions import db
from webapp.models import Contact, Document
from webapp.services import einvoice_xml

ITEMS = [{"description": "Consulting", "quantity": 2, "unit_extratax_amount": 10000}]


@pytest.fixture
def seller(api):
    E.ready(api.org)
    return api


def customer(api, **values) -> str:
    body = {"company": "Stadt Musterhausen", "email": "rechnung@musterhausen.example",
            "address": {"street_address": "Rathausplatz 1", "zip_code": "20095", "city": "Hamburg",
                        "country_code": "DE"}, **values}
    answer = api.post("/customers", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def invoice(api, customer_id: str, **values) -> dict:
    answer = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, **values})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


# --- customers ------------------------------------------------------------------------------------------

def test_a_customer_has_an_e_invoice_format_and_a_buyer_reference(seller):
    created = seller.post("/customers", json={"company": "Amt", "address": {"country_code": "DE"},
                                              "e_invoice_format": "xrechnung-cii", "buyer_reference": E.LEITWEG_ID})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["e_invoice_format"], body["buyer_reference"]) == ("xrechnung-cii", E.LEITWEG_ID)
    contact = db.session.get(Contact, int(body["id"]))
    assert (contact.e_invoice_format, contact.buyer_reference) == ("xrechnung-cii", E.LEITWEG_ID)
    changed = seller.patch(f"/customers/{body['id']}", json={"e_invoice_format": ""})
    assert changed.status_code == 200 and changed.get_json()["e_invoice_format"] == ""
    assert changed.get_json()["buyer_reference"] == E.LEITWEG_ID  # not given: unchanged
    assert seller.get(f"/customers/{body['id']}").get_json()["e_invoice_format"] == ""
    assert seller.post("/customers", json={"company": "Default"}).get_json()["e_invoice_format"] == ""


@pytest.mark.parametrize("change", [{"e_invoice_format": "peppol"}, {"e_invoice_format": None},
                                    {"buyer_reference": "x" * 101}])
def test_a_bad_format_or_reference_of_a_customer_is_a_422_with_its_pointer(seller, change):
    customer_id = customer(seller, e_invoice_format="facturx-cii")
    answer = seller.patch(f"/customers/{customer_id}", json=change)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["code"] == "invalid_input" and problem["errors"][0]["pointer"] == "/" + next(iter(change))
    assert db.session.get(Contact, int(customer_id)).e_invoice_format == "facturx-cii"


# --- invoices: the choice -------------------------------------------------------------------------------

def test_a_draft_follows_the_customers_format_until_it_chooses_its_own(seller):
    customer_id = customer(seller, e_invoice_format="xrechnung-cii")
    draft = invoice(seller, customer_id)
    assert (draft["e_invoice_format"], draft["is_e_invoice"], draft["buyer_reference"]) == ("xrechnung-cii", True, "")
    assert db.session.get(Document, int(draft["id"])).e_invoice_format is None
    # the customer's preference changes: so does the draft's
    seller.patch(f"/customers/{customer_id}", json={"e_invoice_format": "facturx-cii"})
    assert seller.get(f"/invoices/{draft['id']}").get_json()["e_invoice_format"] == "facturx-cii"
    own = seller.patch(f"/invoices/{draft['id']}", json={"e_invoice_format": "xrechnung-ubl",
                                                         "buyer_reference": E.LEITWEG_ID})
    assert own.status_code == 200, own.get_json()
    assert (own.get_json()["e_invoice_format"], own.get_json()["buyer_reference"]) == ("xrechnung-ubl", E.LEITWEG_ID)
    none = seller.patch(f"/invoices/{draft['id']}", json={"e_invoice_format": ""})
    assert (none.get_json()["e_invoice_format"], none.get_json()["is_e_invoice"]) == ("", False)
    back = seller.patch(f"/invoices/{draft['id']}", json={"e_invoice_format": None})  # null: the customer's again
    assert back.get_json()["e_invoice_format"] == "facturx-cii"
    assert db.session.get(Document, int(draft["id"])).e_invoice_format is None
    untouched = seller.patch(f"/invoices/{draft['id']}", json={"notes": "Thanks"})
    assert untouched.get_json()["buyer_reference"] == E.LEITWEG_ID  # not given: unchanged
    # issued: frozen, and the list says the same
    issued = seller.post(f"/invoices/{draft['id']}/finalize").get_json()
    assert (issued["e_invoice_format"], issued["buyer_reference"]) == ("facturx-cii", E.LEITWEG_ID)
    listed = {i["id"]: i for i in seller.get("/invoices").get_json()["data"]}
    assert listed[draft["id"]]["e_invoice_format"] == "facturx-cii"


@pytest.mark.parametrize("preference, body, stored", [
    ("", {"is_e_invoice": True}, "xrechnung-ubl"),  # no preference: XRechnung UBL
    ("xrechnung-cii", {"is_e_invoice": True}, "xrechnung-cii"),  # the customer's
    ("facturx-cii", {"is_e_invoice": True, "e_invoice_format": "xrechnung-ubl"}, "xrechnung-ubl"),
    ("xrechnung-cii", {"is_e_invoice": False}, ""),
    ("xrechnung-cii", {"is_e_invoice": False, "e_invoice_format": ""}, ""),
    ("xrechnung-cii", {}, None),
    ("xrechnung-cii", {"e_invoice_format": "facturx-cii"}, "facturx-cii"),
])
def test_seed_004s_is_e_invoice_switch(seller, preference, body, stored):
    draft = invoice(seller, customer(seller, e_invoice_format=preference), **body)
    assert db.session.get(Document, int(draft["id"])).e_invoice_format == stored
    effective = stored if stored is not None else preference
    assert (draft["e_invoice_format"], draft["is_e_invoice"]) == (effective, effective != "")


def test_the_switch_on_a_draft_keeps_a_chosen_format_and_turns_it_off(seller):
    draft = invoice(seller, customer(seller), e_invoice_format="xrechnung-cii")
    on = seller.patch(f"/invoices/{draft['id']}", json={"is_e_invoice": True})
    assert on.get_json()["e_invoice_format"] == "xrechnung-cii"
    off = seller.patch(f"/invoices/{draft['id']}", json={"is_e_invoice": False})
    assert (off.get_json()["e_invoice_format"], off.get_json()["is_e_invoice"]) == ("", False)
    again = seller.patch(f"/invoices/{draft['id']}", json={"is_e_invoice": True})
    assert again.get_json()["e_invoice_format"] == "xrechnung-ubl"  # the customer has no preference


@pytest.mark.parametrize("body, pointer", [
    ({"is_e_invoice": False, "e_invoice_format": "xrechnung-ubl"}, "/is_e_invoice"),
    ({"is_e_invoice": True, "e_invoice_format": ""}, "/is_e_invoice"),
    ({"e_invoice_format": "peppol"}, "/e_invoice_format"),
    ({"is_e_invoice": "yes"}, "/is_e_invoice"),
    ({"buyer_reference": "x" * 101}, "/buyer_reference"),
])
def test_a_contradiction_or_a_bad_value_is_a_422_and_makes_nothing(seller, body, pointer):
    customer_id = customer(seller)
    before = db.session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1))
    answer = seller.post("/invoices", json={"customer_id": customer_id, "items": ITEMS, **body})
    assert answer.status_code == 422, answer.get_json()
    assert [e["pointer"] for e in answer.get_json()["errors"]] == [pointer]
    assert db.session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) == before
    draft = invoice(seller, customer_id)
    changed = seller.patch(f"/invoices/{draft['id']}", json=body)
    assert changed.status_code == 422 and [e["pointer"] for e in changed.get_json()["errors"]] == [pointer]
    assert db.session.get(Document, int(draft["id"])).e_invoice_format is None


def test_an_invoice_issued_at_once_keeps_its_buyer_reference_and_format(seller):
    created = seller.post("/invoices", json={"customer_id": customer(seller), "items": ITEMS, "status": "issued",
                                             "is_e_invoice": True, "buyer_reference": E.LEITWEG_ID})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["e_invoice_format"], body["buyer_reference"]) == ("issued", "xrechnung-ubl",
                                                                                     E.LEITWEG_ID)
    xml = seller.get(f"/invoices/{body['id']}/xml")
    assert xml.status_code == 200 and f"<cbc:BuyerReference>{E.LEITWEG_ID}</cbc:BuyerReference>".encode() in xml.data


# --- GET /invoices/{id}/xml -----------------------------------------------------------------------------

def test_the_xml_in_each_format_is_the_stored_one(seller):
    issued = invoice(seller, customer(seller, e_invoice_format="xrechnung-cii", buyer_reference=E.LEITWEG_ID),
                     status="issued")
    doc = db.session.get(Document, int(issued["id"]))
    for fmt, root in (("xrechnung-ubl", b"<Invoice"), ("xrechnung-cii", b"<rsm:CrossIndustryInvoice"),
                      ("facturx-cii", b"<rsm:CrossIndustryInvoice")):
        row = E.stored_row(doc, fmt)
        answer = seller.get(f"/invoices/{issued['id']}/xml?format={fmt}")
        assert answer.status_code == 200, fmt
        assert answer.data == row.xml and root in answer.data[:600], fmt
        assert answer.mimetype == "application/xml"
        assert answer.headers["Content-Disposition"] == f'attachment; filename="{einvoice_xml.filename(doc, fmt)}"'
    default = seller.get(f"/invoices/{issued['id']}/xml")  # the customer's format
    assert default.data == einvoice_xml.stored(doc, "xrechnung-cii").xml
    assert default.headers["Content-Disposition"].endswith(f'{doc.number}-xrechnung-cii.xml"')


def test_without_a_customer_format_the_default_is_factur_x(seller):
    issued = invoice(seller, customer(seller), status="issued")
    answer = seller.get(f"/invoices/{issued['id']}/xml")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith('-factur-x.xml"')
    assert b"urn:cen.eu:en16931:2017</ram:ID>" in answer.data


def test_a_bad_format_a_draft_a_quote_and_another_organizations_invoice_are_problems(seller, api_as):
    customer_id = customer(seller)
    issued = invoice(seller, customer_id, status="issued")
    bad = seller.get(f"/invoices/{issued['id']}/xml?format=peppol")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["code"] == "invalid_input" and bad.get_json()["errors"][0]["parameter"] == "format"
    draft = invoice(seller, customer_id)
    refused = seller.get(f"/invoices/{draft['id']}/xml?format=xrechnung-ubl")
    assert refused.status_code == 422 and refused.get_json()["code"] == "document_is_draft"
    assert refused.get_json()["detail"] == "A draft has no e-invoice yet: issue it first."
    quote = seller.post("/invoices", json={"customer_id": customer_id, "kind": "quote", "items": ITEMS,
                                           "status": "issued"})
    assert quote.status_code == 201, quote.get_json()
    no_xml = seller.get(f"/invoices/{quote.get_json()['id']}/xml")
    assert no_xml.status_code == 422 and no_xml.get_json()["code"] == "no_e_invoice"
    other = api_as("owner")
    assert other.get(f"/invoices/{issued['id']}/xml").status_code == 404
    german = seller.get(f"/invoices/{draft['id']}/xml", headers={"Accept-Language": "de"})
    assert german.get_json()["code"] == "document_is_draft"


def test_the_openapi_document_names_the_operation_and_the_fields(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/invoices/{document_id}/xml"]["get"]
    assert operation["operationId"] == "invoice_xml"
    format_parameter = next(p for p in operation["parameters"] if p["name"] == "format")
    assert "xrechnung-ubl" in str(format_parameter["schema"]) and "facturx-cii" in str(format_parameter["schema"])
    schemas = document["components"]["schemas"]
    out = next(v for k, v in schemas.items() if k.startswith("InvoiceOut"))
    assert {"buyer_reference", "e_invoice_format", "is_e_invoice"} <= set(out["properties"])
    into = next(v for k, v in schemas.items() if k.startswith("InvoiceIn"))
    assert {"buyer_reference", "e_invoice_format", "is_e_invoice"} <= set(into["properties"])
    customer_out = next(v for k, v in schemas.items() if k.startswith("CustomerOut"))
    assert "e_invoice_format" in customer_out["properties"]
