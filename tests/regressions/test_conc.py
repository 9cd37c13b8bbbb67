import threading

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Document
from webapp.services import payments
from tests.views.test_payments import pay, reload, form_key, invoice as make_invoice
from tests.views.test_corrections import rich_invoice


def run_parallel(app, owner, requests):
    barrier = threading.Barrier(len(requests))
    statuses, errors = [], []
    token = owner.client.csrf_token()
    cookie = owner.client.get_cookie("session").value

    def submit(url, data):
        client = app.test_client()
        client.set_cookie("session", cookie)
        try:
            barrier.wait(timeout=30)
            r = client.post(url, data=data, headers={"X-CSRFToken": token}, csrf=False)
            statuses.append(r.status_code)
        except Exception:  # noqa
            import traceback; errors.append(traceback.format_exc())

    threads = [threading.Thread(target=submit, args=rq) for rq in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, errors


@pytest.mark.parametrize("n", [1, 2, 3])
def test_two_full_credit_notes_issued_at_once(app, owner, f, n):
    inv = rich_invoice(f, owner.org)
    for _ in range(2):
        owner.client.post(f"/invoices/{inv.id}/credit", data={"mode": "full"})
    notes = db.session.scalars(select(Document).where(Document.kind == "credit_note")).all()
    statuses, errors = run_parallel(app, owner, [(f"/invoices/{x.id}/issue", {"version": x.version}) for x in notes])
    assert errors == [], errors[0]
    db.session.expire_all()
    issued = db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "credit_note", Document.status == "issued"))
    inv = reload(inv)
    print(statuses, issued, inv.credited_total, inv.gross_total)
    assert issued == 1 and inv.credited_total == inv.gross_total


@pytest.mark.parametrize("n", [1, 2, 3])
def test_two_refunds_at_once(app, owner, f, n):
    doc = make_invoice(f, owner.org)
    pay(owner.client, doc.id, "119.00")
    reqs = []
    for _ in range(2):
        key = form_key(owner.client, doc.id)
        reqs.append((f"/invoices/{doc.id}/payments/new", {"kind": "refund", "amount": "119.00", "paid_on": "2026-01-15",
                                                           "method": "card", "key": key}))
    statuses, errors = run_parallel(app, owner, reqs)
    assert errors == [], errors[0]
    d = reload(doc)
    print(statuses, d.paid_total)
    assert d.paid_total == 0 == payments.paid_total(d)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_cancel_and_payment_at_once(app, owner, f, n):
    doc = make_invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    statuses, errors = run_parallel(app, owner, [
        (f"/invoices/{doc.id}/cancel", {}),
        (f"/invoices/{doc.id}/payments/new", {"kind": "payment", "amount": "10", "paid_on": "2026-01-15", "method": "card", "key": key})])
    assert errors == [], errors[0]
    d = reload(doc)
    print(statuses, d.status, d.paid_total, d.credited_total)
    assert d.paid_total == payments.paid_total(d)
