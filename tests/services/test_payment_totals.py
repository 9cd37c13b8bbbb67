"""The running totals of payments (models/totals.py, kept by triggers) equal the payment rows after every kind of
change the app makes: a payment, a refund, a void, in two organizations and currencies."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Payment, PaymentTotal
from webapp.services import locks, payments


def kept() -> dict:
    return {(t.org_id, t.paid_on, t.currency, t.method, t.voided): (t.payment_count, t.received, t.refunded)
            for t in db.session.scalars(select(PaymentTotal)) if t.payment_count or t.received or t.refunded}


def expected() -> dict:
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for p in db.session.scalars(select(Payment)):
        row = sums[(p.org_id, p.paid_on, p.currency, p.method, int(p.voided_at is not None))]
        row[0], row[1], row[2] = row[0] + 1, row[1] + max(p.amount, 0), row[2] + max(-p.amount, 0)
    return {key: tuple(value) for key, value in sums.items()}


def test_the_payment_totals_follow_payments_refunds_and_voids(owner, login_as, f):
    other = login_as("owner")
    f.complete_org(other.org)
    a = f.issued(owner.org, lines=[("Work", "1", "100.00")])
    b = f.issued(other.org, contact_=f.contact(other.org, "US Inc", currency="USD"), lines=[("Work", "1", "10.00")])
    day = date.today() - timedelta(days=2)

    def pay(org, user, doc, amount, key, method="bank_transfer", paid_on=day):
        locked = locks.lock_document(org, doc.id)
        payment = payments.record(org, user, locked, payments.PaymentInput(amount=amount, paid_on=paid_on,
                                                                           method=method, key=key))
        db.session.commit()
        return payment

    first = pay(owner.org, owner.user, a, 5000, "a1")
    pay(owner.org, owner.user, a, 3000, "a2", method="card", paid_on=date.today())
    pay(owner.org, owner.user, a, -1000, "a3")
    pay(other.org, other.user, b, 1190, "b1")
    assert kept() == expected()
    assert kept()[(owner.org.id, day, "EUR", "bank_transfer", 0)] == (2, 5000, 1000)
    payments.void(owner.org, owner.user, locks.lock_document(owner.org, a.id), db.session.get(Payment, first.id), "")
    db.session.commit()
    assert kept() == expected()
    assert kept()[(owner.org.id, day, "EUR", "bank_transfer", 1)] == (1, 5000, 0)
    assert kept()[(owner.org.id, day, "EUR", "bank_transfer", 0)] == (1, 0, 1000)
