"""One shop order, one invoice: ``order_id`` (seed 003) on invoices, unique among the organization's invoices
that are not cancelled, filterable, carried into the reactivated copy of a cancelled invoice."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.api.test_invoices import customer
from webapp.extensions import db
from webapp.models import Document
from webapp.services import drafts
from webapp.usecases import Actor
from webapp.usecases import corrections

ITEMS = [{"description": "Order 1001: 2 mugs", "quantity": 2, "unit_extratax_amount": 1250}]


def invoices_of(org) -> int:
    return db.session.scalar(select(func.count()).select_from(Document).where(Document.org_id == org.id))


def test_an_order_is_invoiced_once_and_found_by_its_id(api):
    customer_id = customer(api)
    first = api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-1001", "items": ITEMS,
                                        "status": "issued"})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["order_id"] == "ORDER-1001" and first.get_json()["type"] == "LINKED_WITH_ORDER"
    count = invoices_of(api.org)

    again = api.post("/invoices", json={"customer_id": customer_id, "order_id": " ORDER-1001 ", "items": ITEMS})
    assert again.status_code == 422
    problem = again.get_json()
    assert problem["code"] == "order_already_invoiced"
    assert problem["errors"][0]["pointer"] == "/order_id"
    assert first.get_json()["document_number"] in problem["detail"]
    assert invoices_of(api.org) == count  # nothing was written

    other = api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-1002", "items": ITEMS})
    assert other.status_code == 201 and other.get_json()["order_id"] == "ORDER-1002"
    plain = api.post("/invoices", json={"customer_id": customer_id, "items": ITEMS})
    assert plain.get_json()["order_id"] is None and plain.get_json()["type"] == "NOT_LINKED_WITH_ORDER"

    found = api.get("/invoices?filter[order_id]=ORDER-1001").get_json()["data"]
    assert [d["id"] for d in found] == [first.get_json()["id"]]
    # a draft may not take an order another invoice bills; removing it with "" works
    taken = api.patch(f"/invoices/{plain.get_json()['id']}", json={"order_id": "ORDER-1002"})
    assert taken.status_code == 422 and taken.get_json()["code"] == "order_already_invoiced"
    cleared = api.patch(f"/invoices/{other.get_json()['id']}", json={"order_id": ""})
    assert cleared.status_code == 200 and cleared.get_json()["order_id"] is None
    moved = api.patch(f"/invoices/{plain.get_json()['id']}", json={"order_id": "ORDER-1002"})
    assert moved.status_code == 200 and moved.get_json()["order_id"] == "ORDER-1002"


def test_a_cancelled_invoices_order_goes_to_its_reactivated_copy_and_a_duplicate_never_takes_it(api):
    customer_id = customer(api)
    issued = api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-7", "items": ITEMS,
                                         "status": "issued"}).get_json()
    invoice = db.session.get(Document, int(issued["id"]))
    actor = Actor(org=api.org, user=api.row.created_by, role="owner")
    duplicate = drafts.duplicate(api.org, actor.user, invoice)
    assert duplicate.order_reference is None
    db.session.commit()
    corrections.cancel(actor, invoice.id)
    db.session.commit()
    copy = corrections.reactivate(actor, invoice.id)
    db.session.commit()
    assert copy.order_reference == "ORDER-7" and copy.related_id == invoice.id
    refused = api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-7", "items": ITEMS})
    assert refused.status_code == 422 and refused.get_json()["code"] == "order_already_invoiced"


def test_two_requests_at_once_meet_the_unique_index_and_get_the_same_answer(api, monkeypatch):
    """The check reads before it writes; a request racing past it meets uq_document_order_reference."""
    customer_id = customer(api)
    assert api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-9", "items": ITEMS}
                    ).status_code == 201
    count = invoices_of(api.org)
    monkeypatch.setattr(drafts, "check_order_reference", lambda doc, order: (order or "").strip() or None)
    raced = api.post("/invoices", json={"customer_id": customer_id, "order_id": "ORDER-9", "items": ITEMS})
    assert raced.status_code == 422, raced.get_json()
    assert raced.get_json()["code"] == "order_already_invoiced"
    assert invoices_of(api.org) == count


def test_an_invoice_issued_elsewhere_is_imported_with_its_number_and_the_series_is_untouched(api):
    from webapp.services.numbering import peek_number

    customer_id = customer(api)
    next_in_series = peek_number(api.org, "invoice", date.today())
    imported = api.post("/invoices", json={"customer_id": customer_id, "status": "paid", "number": "2023-0815",
                                           "issue_date": "2023-05-02", "items": ITEMS,
                                           "payment_details": {"paid_on": "2023-05-10"}})
    assert imported.status_code == 201, imported.get_json()
    body = imported.get_json()
    assert body["document_number"] == "2023-0815" and body["imported"] is True
    assert body["document_date"] == "2023-05-02" and body["payment_status"] == "PAID"
    row = db.session.get(Document, int(body["id"]))
    assert row.imported and row.pdf.startswith(b"%PDF")
    count = invoices_of(api.org)

    for payload, code in (({"number": "2023-0815"}, "number_taken"),
                          ({"number": "no spaces!"}, "invalid_number"),
                          ({"number": "2023-0816", "status": "draft"}, "number_needs_issued")):
        refused = api.post("/invoices", json={"customer_id": customer_id, "status": "issued",
                                              "issue_date": "2023-05-03", "items": ITEMS, **payload})
        assert refused.status_code == 422 and refused.get_json()["code"] == code, refused.get_json()
        assert refused.get_json()["errors"][0]["pointer"] == "/number"
    assert invoices_of(api.org) == count

    issued = api.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": ITEMS}).get_json()
    assert issued["document_number"] == next_in_series and issued["imported"] is False
