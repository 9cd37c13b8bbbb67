"""Purchases through the API (issue 17, seed 001's pattern 2): a supplier's invoice recorded with ``flow:
purchases`` and ``supplier_id``, finalized (booked: the organization's booking number from its purchases series, the
supplier's number kept and unique per supplier) and paid with the payment use case; sales lists and numbers never
see it; roles (owners and bookkeepers book and pay purchases). SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from webapp.extensions import db
from webapp.models import AuditEvent, Contact, Document

SUPPLIES = [{"description": "Office Supplies", "quantity": 1, "unit_extratax_amount": 45000}]


@pytest.fixture
def supplier(api) -> str:
    f.complete_org(api.org)
    contact = f.contact(api.org, company="Paper & Co", country="US", currency="USD")
    return str(contact.id)


def documents() -> int:
    return db.session.scalar(select(func.count()).select_from(Document))


def test_seed_001_pattern_2_record_finalize_and_pay_a_supplier_invoice(api, supplier):
    created = api.post("/invoices", json={"flow": "purchases", "currency": "USD", "supplier_id": supplier,
                                          "supplier_number": "PC-7781", "items": SUPPLIES})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["flow"], body["status"], body["supplier_id"], body["customer_id"], body["supplier_number"]) == (
        "purchases", "draft", supplier, None, "PC-7781")
    assert (body["currency"], body["total_extratax_amount"], body["document_number"]) == ("USD", 45000, None)
    gross = body["total_tax_included_amount"]
    assert db.session.get(Contact, int(supplier)).is_supplier

    booked = api.post(f"/invoices/{body['id']}/finalize")
    assert booked.status_code == 200, booked.get_json()
    booked = booked.get_json()
    assert booked["status"] == "issued" and booked["document_number"].startswith("PUR-")
    assert booked["supplier_number"] == "PC-7781" and booked["pdf_url"] is None
    assert api.get(f"/invoices/{body['id']}/pdf").status_code == 422  # the supplier's document is its own
    assert api.get(f"/invoices/{body['id']}/xml").status_code == 422
    assert (booked["payment_status"], booked["amount_due"]) == ("OPEN", gross)
    doc = db.session.get(Document, int(body["id"]))
    assert (doc.seller["name"], doc.buyer["legal_name"]) == ("Paper & Co", api.org.legal_name)
    assert doc.pdf is None and doc.public_token is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == doc.id,
                                                             AuditEvent.action == "document.booked")) is not None

    paid = api.post(f"/invoices/{body['id']}/attach_payment", json={})
    assert paid.status_code in (200, 201), paid.get_json()
    assert api.get(f"/invoices/{body['id']}").get_json()["payment_status"] == "PAID"
    # the sales side never sees it: its list, its numbers
    sales = api.get("/invoices?filter[flow]=sales").get_json()["data"]
    purchases = api.get("/invoices?filter[flow]=purchases").get_json()["data"]
    assert [p["id"] for p in purchases] == [body["id"]] and body["id"] not in [s["id"] for s in sales]
    customer = f.contact(api.org, company="Kunde GmbH")
    sale = api.post("/invoices", json={"customer_id": str(customer.id), "status": "issued",
                                       "items": [{"description": "x", "unit_extratax_amount": 100}]}).get_json()
    assert sale["document_number"].startswith("INV-") and sale["document_number"].endswith("0001")


def test_the_suppliers_number_is_unique_per_supplier(api, supplier):
    first = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "supplier_number": "A-1",
                                        "items": SUPPLIES})
    assert first.status_code == 201
    before = documents()
    again = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "supplier_number": " A-1 ",
                                        "items": SUPPLIES})
    assert again.status_code == 422, again.get_json()
    assert [e.get("pointer") for e in again.get_json()["errors"]] == ["/supplier_number"]
    assert documents() == before
    other = f.contact(api.org, company="Other Supplies")
    assert api.post("/invoices", json={"flow": "purchases", "supplier_id": str(other.id), "supplier_number": "A-1",
                                       "items": SUPPLIES}).status_code == 201  # another supplier's number
    changed = api.patch(f"/invoices/{first.get_json()['id']}", json={"supplier_number": "A-2"})
    assert changed.status_code == 200 and changed.get_json()["supplier_number"] == "A-2"


def test_a_purchase_names_a_supplier_and_no_customer(api, supplier):
    before = documents()
    for body, code in (({"flow": "purchases", "items": SUPPLIES}, "supplier_required"),
                       ({"flow": "purchases", "supplier_id": supplier, "customer_id": supplier, "items": SUPPLIES},
                        "customer_of_purchase"),
                       ({"customer_id": supplier, "supplier_number": "X", "items": SUPPLIES}, "supplier_of_sale")):
        answer = api.post("/invoices", json=body)
        assert (answer.status_code, answer.get_json()["code"]) == (422, code)
    assert documents() == before


def test_purchases_are_not_sent_credited_or_copied(api, supplier):
    body = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "status": "issued",
                                       "items": SUPPLIES})
    assert body.status_code == 201, body.get_json()
    doc_id = body.get_json()["id"]
    for action in ("send", "cancel", "credit-notes"):
        answer = api.post(f"/invoices/{doc_id}/{action}", json={})
        assert answer.status_code == 422, (action, answer.get_json())


@pytest.mark.parametrize("role, allowed", [("owner", True), ("bookkeeper", True), ("staff", False)])
def test_owners_and_bookkeepers_book_purchases(api_as, role, allowed):
    client = api_as(role)
    f.complete_org(client.org)
    supplier = f.contact(client.org, company="Paper & Co")
    answer = client.post("/invoices", json={"flow": "purchases", "supplier_id": str(supplier.id),
                                            "items": SUPPLIES})
    assert answer.status_code == (201 if allowed else 403), answer.get_json()


def test_a_booked_purchase_shows_on_its_page_without_sales_actions(api, supplier, login_as):
    booked = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "supplier_number": "PC-1",
                                         "status": "issued", "items": SUPPLIES}).get_json()
    page = login_as("owner", org=api.org).client.get(f"/invoices/{booked['id']}")
    assert page.status_code == 200
    html = page.data.decode()
    assert booked["document_number"] in html and "Paper &amp; Co" in html
    assert 'id="e-invoice"' not in html and "Credit note</a>" not in html and ">Send<" not in html
    staff = login_as("staff", org=api.org).client.get(f"/invoices/{booked['id']}")
    assert staff.status_code == 200 and "Record payment" not in staff.data.decode()  # owners and bookkeepers pay


def test_a_purchase_item_names_an_expense_category(api, supplier):
    from webapp.models import ExpenseCategory

    rent = ExpenseCategory(org_id=api.org.id, name="Rent", account="4210")
    old = ExpenseCategory(org_id=api.org.id, name="Old", archived=True)
    db.session.add_all([rent, old])
    db.session.commit()
    listed = api.get("/expense-categories").get_json()["data"]
    assert [(c["name"], c["account"], c["archived"]) for c in listed] == [("Old", "", True), ("Rent", "4210", False)]
    created = api.post("/invoices", json={"flow": "purchases", "supplier_id": supplier, "items": [
        {"description": "Office rent", "unit_extratax_amount": 80000, "expense_category_id": str(rent.id)}]})
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["items"][0]
    assert item["expense_category_id"] == str(rent.id)
    invoice_id = created.get_json()["id"]
    refused = api.patch(f"/invoices/{invoice_id}/items/{item['id']}", json={"expense_category_id": str(old.id)})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/expense_category_id"
    cleared = api.patch(f"/invoices/{invoice_id}/items/{item['id']}", json={"expense_category_id": None})
    assert cleared.status_code == 200 and cleared.get_json()["expense_category_id"] is None
    sale = api.post("/invoices", json={"customer_id": str(f_customer(api)), "items": [
        {"description": "x", "unit_extratax_amount": 100, "expense_category_id": str(rent.id)}]})
    assert sale.status_code == 422 and sale.get_json()["errors"][0]["pointer"] == "/items/0/expense_category_id"


def f_customer(api) -> int:
    return f.contact(api.org, company="Kunde").id
