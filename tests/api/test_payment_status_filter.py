"""GET /invoices?filter[payment_status]=...: each value finds exactly the invoices whose payment_status says so
(services/webhooks.payment_status), from the balance columns in SQL, with the cursor pagination."""
from __future__ import annotations

from datetime import date, timedelta

from tests.api.test_seed_flows import customer, issued_invoice
from webapp.extensions import db
from webapp.models import Document
from webapp.queries.documents import PAYMENT_STATUSES
from webapp.services.webhooks import payment_status

GROSS = 178500  # 10 x 150.00 + 19 % VAT


def pay(api, invoice: dict, amount: int) -> None:
    answer = api.post(f"/invoices/{invoice['id']}/attach_payment", json={"transaction_data": {"amount": amount}})
    assert answer.status_code in (200, 201), answer.get_json()


def test_each_payment_status_finds_its_invoices_and_only_those(api):
    who = customer(api, company="Filter GmbH")
    past = (date.today() - timedelta(days=40)).isoformat()  # the series' dates stay in order: these first
    rows = {"DUE": issued_invoice(api, who, issue_date=past)}
    assert rows["DUE"]["due_date"] < date.today().isoformat()
    rows["PARTIALLY_PAID"] = issued_invoice(api, who, issue_date=past)  # partly paid and overdue: still partial
    pay(api, rows["PARTIALLY_PAID"], 50000)
    rows["OPEN"] = issued_invoice(api, who)
    rows["PAID"] = issued_invoice(api, who)
    pay(api, rows["PAID"], GROSS)
    rows["OVERPAID"] = issued_invoice(api, who)
    pay(api, rows["OVERPAID"], GROSS + 100)
    rows["CREDITED"] = issued_invoice(api, who)
    assert api.post(f"/invoices/{rows['CREDITED']['id']}/cancel").status_code == 200
    draft = api.post("/invoices", json={"customer_id": who, "items": [{"description": "D", "unit_price": "1"}]})
    assert draft.status_code == 201
    db.session.expire_all()
    states = {d.id: payment_status(d) for d in db.session.query(Document).filter(Document.org_id == api.org.id)}
    for value, row in rows.items():
        assert states[int(row["id"])] == value, (value, states)
    for value in PAYMENT_STATUSES:
        answer = api.get(f"/invoices?filter[payment_status]={value}")
        assert answer.status_code == 200, answer.get_json()
        found = [d["id"] for d in answer.get_json()["data"]]
        expected = sorted((i for i, s in states.items() if s == value), reverse=True)
        assert found == [str(i) for i in expected] and rows[value]["id"] in found, (value, found, states)
        assert all(d["payment_status"] == value for d in answer.get_json()["data"])
    # with the cursor: one at a time, newest first
    page = api.get("/invoices?filter[payment_status]=OPEN&limit=1").get_json()
    assert page["has_more"] is False and [d["id"] for d in page["data"]] == [rows["OPEN"]["id"]]
    refused = api.get("/invoices?filter[payment_status]=UNPAID")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
