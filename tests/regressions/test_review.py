import re

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Document, Payment
from tests.views.test_payments import pay, reload, invoice as make_invoice


def test_void_payment_after_refund_makes_paid_total_negative(owner, f):
    doc = make_invoice(f, owner.org)
    assert pay(owner.client, doc.id, "119.00").status_code == 303
    assert pay(owner.client, doc.id, "119.00", kind="refund").status_code == 303
    first = db.session.scalars(select(Payment).order_by(Payment.id)).first()
    r = owner.client.post(f"/invoices/{doc.id}/payments/{first.id}/void", data={"reason": "bounced"}, follow_redirects=True)
    assert "void the refund first" in r.data.decode()
    d = reload(doc)
    print("paid_total", d.paid_total, "due", d.amount_due, d.payment_state)
    assert d.paid_total >= 0, (d.paid_total, d.amount_due)


def credit_lines(client, inv, line, q):
    r = client.post(f"/invoices/{inv.id}/credit", data={"mode": "lines", f"q{line.id}": q})
    return r


def issue_last_note(client):
    note = db.session.scalars(select(Document).where(Document.kind == "credit_note").order_by(Document.id.desc())).first()
    return client.post(f"/invoices/{note.id}/issue", data={"version": note.version}, follow_redirects=True), note


def test_two_units_credited_one_at_a_time_then_cancel(owner, f):
    # 2 x 0.50 + 19 % = 1.19; each unit credited alone: 0.50 + round(0.095)=0.10 -> 0.60
    inv = f.issued(owner.org, contact_=f.contact(owner.org, "K"), lines=[("Pen", "2", "0.50")])
    line = inv.lines[0]
    assert credit_lines(owner.client, inv, line, "1").status_code == 303
    r, note = issue_last_note(owner.client)
    inv = reload(inv)
    print("after 1st:", inv.gross_total, inv.credited_total, inv.amount_due)
    r2 = credit_lines(owner.client, inv, line, "1")
    print("second line credit:", r2.status_code, re.findall(r"credits more[^<]*", r2.data.decode()))
    r3 = owner.client.post(f"/invoices/{inv.id}/cancel", follow_redirects=True)
    print("cancel:", re.findall(r"(?:credits more|Nothing)[^<]*", r3.data.decode()))
    inv = reload(inv)
    print("final:", inv.status, inv.credited_total, inv.amount_due, inv.payment_state)
    assert inv.status == "cancelled" and inv.amount_due == 0


@pytest.mark.parametrize("amount", ["0.03", "0.22"])
def test_inclusive_prices_partial_credit_then_cancel(owner, f, amount):
    owner.org.prices_include_tax = True
    db.session.commit()
    inv = f.issued(owner.org, contact_=f.contact(owner.org, "K"), lines=[("Pen", "1", "1.00")])
    assert inv.prices_include_tax and inv.gross_total == 100
    group = f"{inv.tax_breakdown[0]['category']}|{inv.tax_breakdown[0]['rate']}"
    r = owner.client.post(f"/invoices/{inv.id}/credit", data={"mode": "amount", "amount": amount, "group": group})
    assert r.status_code == 303
    issue_last_note(owner.client)
    r3 = owner.client.post(f"/invoices/{inv.id}/cancel", follow_redirects=True)
    print(amount, "cancel:", re.findall(r"(?:credits more|Nothing|is cancelled)[^<]*", r3.data.decode()))
    inv = reload(inv)
    print(amount, "final:", inv.status, inv.credited_total, inv.amount_due, inv.payment_state)
    pub = owner.client.get(f"/p/{inv.public_token}").data.decode()
    print(re.findall(r"Amount due[^<]*<?[^<]*", pub))
    assert inv.status == "cancelled" and inv.amount_due == 0
