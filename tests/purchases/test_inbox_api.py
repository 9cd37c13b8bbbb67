"""The inbox through the API: POST /api/v1/purchases/import with a multipart part or a raw body; refusals are
422 problems and store nothing; the draft is the organization's own and books and pays as any purchase."""
from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Document, DocumentFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"


def documents() -> int:
    return db.session.scalar(select(func.count()).select_from(Document))


def test_a_multipart_upload_becomes_a_draft_that_books_and_pays(api):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    answer = api.post("/purchases/import", data={"file": (io.BytesIO(data), "supplier.xml")},
                      content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    invoice = body["invoice"]
    assert (invoice["flow"], invoice["status"], invoice["supplier_number"], invoice["currency"]) == (
        "purchases", "draft", "TOSL110", "DKK")
    assert (invoice["total_extratax_amount"], invoice["total_tax_included_amount"]) == (400000, 467500)
    assert answer.headers["Location"].endswith(f"/api/v1/invoices/{invoice['id']}")
    assert (body["file"]["file_name"], body["file"]["e_invoice"], body["file"]["syntax"]) == (
        "supplier.xml", True, "cii")
    assert body["file"]["rules"].startswith("EN 16931") and body["differences"] == []
    assert not [f for f in body["file"]["findings"] if f["flag"] == "fatal"]
    booked = api.post(f"/invoices/{invoice['id']}/finalize")
    assert booked.status_code == 200 and booked.get_json()["document_number"].startswith("PUR-")
    assert booked.get_json()["amount_due"] == 467500
    paid = api.post(f"/invoices/{invoice['id']}/attach_payment", json={})
    assert paid.status_code in (200, 201) and api.get(f"/invoices/{invoice['id']}").get_json()[
        "payment_status"] == "PAID"


def test_a_raw_body_with_a_file_name(api):
    data = (FIXTURES / "ubl-tc434-example1.xml").read_bytes()
    answer = api.post("/purchases/import?file_name=koksmaat.xml", data=data, content_type="application/xml")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["file"]["file_name"] == "koksmaat.xml"
    assert body["invoice"]["total_tax_included_amount"] == 25033  # as the supplier states it
    assert body["differences"][0] == {"where": "Line 20", "stated": -10998, "calculated": 10998}


def test_refusals_are_problems_and_store_nothing(api):
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    assert api.post("/purchases/import", data=data, content_type="application/xml").status_code == 201
    before = (documents(), db.session.scalar(select(func.count()).select_from(DocumentFile)))
    for body, code in ((data, "duplicate_file"), (b"", "file_required"), (b"<a", "file_not_xml"),
                       (b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', "file_doctype_forbidden"),
                       (b"%PDF-1.7\n%broken", "file_unreadable_pdf")):
        answer = api.post("/purchases/import", data=body, content_type="application/octet-stream")
        assert answer.status_code == 422, (code, answer.get_json())
        problem = answer.get_json()
        assert problem["code"] == code and problem["detail"], problem
    assert (documents(), db.session.scalar(select(func.count()).select_from(DocumentFile))) == before


def test_a_body_over_the_request_limit_is_413(api):
    answer = api.post("/purchases/import", data=b"<x>" + b" " * (17 * 1024 * 1024), content_type="application/xml")
    assert answer.status_code == 413


def test_staff_may_upload_to_the_inbox(api_as):
    staff = api_as("staff")
    data = (FIXTURES / "CII_example4.xml").read_bytes()
    assert staff.post("/purchases/import", data=data, content_type="application/xml").status_code == 201
