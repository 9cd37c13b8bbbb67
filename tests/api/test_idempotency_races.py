"""Two requests with one Idempotency-Key at the same moment produce one effect: one invoice, one payment; the
second answers with the first one's answer."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.views.parallel import at_once
from webapp.extensions import db
from webapp.models import Document, Payment

pytestmark = pytest.mark.slow


def _post(app, api, path, body, key):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": key}
    return lambda: client.post(f"/api/v1{path}", json=body, headers=headers, csrf=False)


def test_two_creates_with_one_key_make_one_invoice(app, api):
    customer_id = api.post("/customers", json={"company": "Race Ltd"}).get_json()["id"]
    body = {"customer_id": customer_id, "status": "issued",
            "items": [{"description": "Once", "quantity": 1, "unit_extratax_amount": 1000}]}
    first, second = at_once(_post(app, api, "/invoices", body, "order-77"),
                            _post(app, api, "/invoices", body, "order-77"))
    assert first.status_code == second.status_code == 201, (first.get_json(), second.get_json())
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["document_number"] == second.get_json()["document_number"]
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_two_payments_with_one_key_record_one_payment(app, api):
    customer_id = api.post("/customers", json={"company": "Race Ltd"}).get_json()["id"]
    doc = api.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": [
        {"description": "Once", "quantity": 1, "unit_extratax_amount": 10000}]}).get_json()
    body = {"transaction_data": {"amount": 4000}}
    answers = at_once(*(_post(app, api, f"/invoices/{doc['id']}/attach_payment", body, "pay-1") for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200], [a.get_json() for a in answers]
    assert {a.get_json()["amount_paid"] for a in answers} == {4000}
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.get(Document, int(doc["id"])).paid_total == 4000
