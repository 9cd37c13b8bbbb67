"""The payment use case's rules, as the web and the JSON API meet them: an overpayment is recorded only when
confirmed (and the refusal carries the difference), a cancelled invoice takes refunds only."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, Payment
from webapp.services import corrections, locks
from webapp.usecases import Actor, payments


def actor_of(member) -> Actor:
    return Actor(org=member.org, user=member.user, role=member.role)


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_an_overpayment_is_refused_unless_confirmed(owner, f):
    owner.org.locale = "en_GB"
    db.session.commit()
    doc = f.issued(owner.org, lines=[("Work", "1", "100.00")])  # 119.00
    with pytest.raises(ActionError) as refused:
        payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("217.27"), date.today(),
                                                                               key="over-1"))
    error = refused.value
    assert (error.code, error.field, error.status) == ("overpayment_unconfirmed", "allow_overpayment", 422)
    assert {k: error.params[k] for k in ("excess", "due", "currency")} == {"excess": 9827, "due": 11900, "currency": "EUR"}
    assert error.message == "This is €98.27 more than the €119.00 due; tick 'Record the overpayment' to record it."
    db.session.rollback()
    assert rows() == 0
    _, payment = payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(
        Decimal("217.27"), date.today(), key="over-1", allow_overpayment=True))
    db.session.commit()
    assert payment.amount == 21727 and db.session.get(Document, doc.id).amount_due == -9827


def test_exactly_the_amount_due_and_refunds_need_no_confirmation(owner, f):
    doc = f.issued(owner.org, lines=[("Work", "1", "100.00")])
    payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("119"), date.today(), key="a"))
    db.session.commit()
    payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("19"), date.today(), refund=True,
                                                                           key="b"))
    db.session.commit()
    assert db.session.get(Document, doc.id).paid_total == 10000


def test_a_cancelled_invoice_refuses_money_in_with_its_code_and_takes_refunds(owner, f):
    doc = f.issued(owner.org, lines=[("Work", "1", "100.00")])
    payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("50"), date.today(), key="p1"))
    db.session.commit()
    corrections.cancel(owner.org, owner.user, locks.lock_document(owner.org, doc.id))
    db.session.commit()
    for data in (payments.PaymentInput(Decimal("10"), date.today(), key="p2"),
                 payments.PaymentInput(Decimal("10"), date.today(), key="p3", allow_overpayment=True)):
        with pytest.raises(ActionError) as refused:
            payments.record_payment(actor_of(owner), doc.id, data)
        assert (refused.value.code, refused.value.status) == ("document_cancelled", 422)
        db.session.rollback()
    with pytest.raises(ActionError) as refused:
        payments.mark_paid(actor_of(owner), doc.id, payments.MarkPaid(key="p4"))
    assert refused.value.code == "document_cancelled"
    db.session.rollback()
    assert rows() == 1
    payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("50"), date.today(), refund=True,
                                                                           key="p5"))
    db.session.commit()
    assert db.session.get(Document, doc.id).paid_total == 0 and rows() == 2


def test_the_payment_form_offers_what_the_status_allows(owner, f):
    doc = f.issued(owner.org)
    assert payments.payment_form(actor_of(owner), doc.id).kinds == ("payment", "refund")
    corrections.cancel(owner.org, owner.user, locks.lock_document(owner.org, doc.id))
    db.session.commit()
    assert payments.payment_form(actor_of(owner), doc.id).kinds == ("refund",)
    with pytest.raises(ActionError) as refused:
        payments.payment_form(actor_of(owner), f.draft(owner.org).id)
    assert refused.value.code == "document_is_draft"
