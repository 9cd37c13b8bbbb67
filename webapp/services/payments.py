"""Payments on issued invoices: record (money in, or a refund out), void, mark as paid.

Every change runs with the invoice's row locked (``locks.lock_document``: ``FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite) and keeps ``Document.paid_total`` equal to the sum of the payments
that are not voided (plus, on a final invoice, the advance invoices it deducts: ``settled_by_advances``), in
the same transaction. Payments never change the issued document itself.
A payment carries the idempotency key of the form that recorded it (unique per organization), so the
same form sent twice records one payment. A payment above the amount due (an overpayment) is recorded only
when it is confirmed (``allow_overpayment``); a cancelled invoice takes refunds, never money in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from webapp.domain.errors import ActionError, Amount, Text
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.i18n import format_day, format_money, locale_for
from webapp.models import Document, Organization, Payment, User
from webapp.models.payment import METHODS
from webapp.models.types import utcnow
from webapp.services import audit, mail
from webapp.services.deductions import paid_in_money, settled_by_advances
from webapp.services.links import public_link
from webapp.services.state import require


@dataclass
class PaymentInput:
    amount: int  # minor units; negative: a refund
    paid_on: date
    method: str = "bank_transfer"
    reference: str = ""
    note: str = ""
    key: str = ""
    allow_overpayment: bool = False  # confirmed: record it even if it is more than the amount due


def by_key(org: Organization, key: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.org_id == org.id, Payment.idempotency_key == key))


def _money(org: Organization, doc: Document, minor: int) -> str:
    """An amount as audit summaries state it (stored text, in the organization's locale); messages carry an
    ``Amount`` instead, shown in the reader's locale."""
    return format_money(minor, doc.currency, locale_for(org))


def record(org: Organization, actor: User, doc: Document, data: PaymentInput) -> Payment:
    """Record a payment (or, with a negative amount, a refund) on the locked invoice ``doc``."""
    require(doc, "refund" if data.amount < 0 else "pay")
    if not data.key:
        raise ActionError("form_expired", "The form has expired; reload the page and try again.")
    existing = by_key(org, data.key)
    if existing is not None:
        if existing.document_id != doc.id:
            raise ActionError("idempotency_key_reused", "This form was already used for another invoice; reload the page.")
        return existing
    if data.amount == 0:
        raise ActionError("amount_zero", "Enter an amount other than 0.", "amount")
    if data.method not in METHODS:
        raise ActionError("invalid_method", "Choose a payment method.", "method")
    if data.paid_on > date.today():
        raise ActionError("date_in_future", "A payment cannot be dated in the future.", "paid_on")
    if doc.issue_date and (doc.issue_date - data.paid_on).days > 366:
        raise ActionError("date_too_early", "A payment cannot be dated more than a year before the invoice.", "paid_on")
    if data.amount < 0 and -data.amount > paid_in_money(doc):
        raise ActionError("refund_exceeds_paid", "A refund cannot be more than what was paid ({paid}).", "amount",
                          paid=Amount(paid_in_money(doc), doc.currency))
    if data.amount > 0 and not data.allow_overpayment:
        refuse_unconfirmed_overpayment(org, doc, data.amount)
    payment = Payment(org_id=org.id, document_id=doc.id, amount=data.amount, currency=doc.currency,
                      paid_on=data.paid_on, method=data.method, reference=data.reference[:100], note=data.note,
                      idempotency_key=data.key, created_by_id=actor.id)
    db.session.add(payment)
    db.session.flush()  # a second request with the same key fails here (unique per organization)
    doc.paid_total += data.amount
    kind = "refund" if data.amount < 0 else "payment"
    audit.record(org, actor, f"payment.{'refunded' if data.amount < 0 else 'recorded'}", doc,
                 summary=f"{actor.email} recorded a {kind} of {_money(org, doc, abs(data.amount))} "
                         f"({METHODS[data.method].lower()}) on {doc.number}",
                 payment_id=payment.id, amount=data.amount)
    return payment


OVERPAYMENT_LABEL = _n("Record the overpayment")  # the confirmation's label, which the refusal names


def refuse_unconfirmed_overpayment(org: Organization, doc: Document, amount: int) -> None:
    """Refuse (``overpayment_unconfirmed``) a payment of ``amount`` that is more than what is due on ``doc``: an
    overpayment is recorded only when it is confirmed. The message states the difference."""
    due = max(doc.amount_due, 0)
    if amount <= due:
        return
    excess = amount - due

    label = Text(OVERPAYMENT_LABEL)
    if due:
        raise ActionError("overpayment_unconfirmed", "This is {excess_amount} more than the {due_amount} due; "
                          "tick '{label}' to record it.", "allow_overpayment", excess=excess, due=due,
                          currency=doc.currency, excess_amount=Amount(excess, doc.currency),
                          due_amount=Amount(due, doc.currency), label=label)
    raise ActionError("overpayment_unconfirmed", "Nothing is due on {number}: all of the {amount} would be an "
                      "overpayment; tick '{label}' to record it.", "allow_overpayment", excess=excess, due=due,
                      currency=doc.currency, number=doc.number, amount=Amount(amount, doc.currency), label=label)


def void(org: Organization, actor: User, doc: Document, payment: Payment, reason: str) -> None:
    """Void a payment of the locked invoice ``doc``: it stays listed, struck through, and stops counting."""
    require(doc, "void_payment")
    if payment.document_id != doc.id:
        raise ActionError("payment_not_on_invoice", "This payment belongs to another invoice.")
    if payment.is_void:
        raise ActionError("payment_already_void", "This payment was already voided.")
    if paid_in_money(doc) - payment.amount < 0:
        raise ActionError("void_leaves_negative", "Voiding this payment would leave more refunded than paid: void the refund first.")
    payment.voided_at, payment.voided_by_id, payment.void_reason = utcnow(), actor.id, reason[:300]
    # the payment's row first, then the invoice's, as ``record`` does: the running totals' rows of payments and
    # documents (models/totals.py) are then always locked in the same order, so two transactions never deadlock
    db.session.flush()
    doc.paid_total -= payment.amount
    audit.record(org, actor, "payment.voided", doc,
                 summary=f"{actor.email} voided the {'refund' if payment.amount < 0 else 'payment'} of "
                         f"{_money(org, doc, abs(payment.amount))} from {format_day(payment.paid_on, locale_for(org))} on {doc.number}"
                         + (f": {reason}" if reason else ""),
                 payment_id=payment.id)


def mark_paid(org: Organization, actor: User, doc: Document, key: str, confirm_to: str = "",
              paid_on: date | None = None, method: str = "bank_transfer", reference: str = "") -> Payment:
    """Record the amount still due as paid (today by default); with ``confirm_to``, e-mail the customer a
    confirmation."""
    require(doc, "mark_paid")
    existing = by_key(org, key) if key else None
    if existing is not None and existing.document_id == doc.id:
        return existing
    if doc.amount_due <= 0:
        raise ActionError("nothing_due", "{number} has nothing left to pay.", number=doc.number)
    payment = record(org, actor, doc, PaymentInput(amount=doc.amount_due, paid_on=paid_on or date.today(), key=key,
                                                   method=method, reference=reference, note="Marked as paid"))
    if confirm_to:
        queue_confirmation(org, doc, payment, confirm_to)
    return payment


def queue_confirmation(org: Organization, doc: Document, payment: Payment, to: str) -> None:
    """The payment confirmation e-mail, in the customer's language, through the outbox."""
    from webapp.i18n import customer_language, document_locale

    locale = document_locale(doc, org)
    link = public_link(doc) or ""
    with customer_language(locale):
        mail.queue(kind="payment_confirmation", to=to, template="payment_confirmation", org=org,
                   context={"doc": doc, "payment": payment, "locale": locale, "link": link,
                            "seller": doc.seller or {}})
    db.session.flush()


def payments_of(doc: Document) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.document_id == doc.id)
                                   .order_by(Payment.paid_on, Payment.id)))


def paid_total(doc: Document) -> int:
    """The sum of the payments not voided, from the payment rows, plus the advance invoices a final invoice
    deducts (what ``Document.paid_total`` must equal)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                                 .where(Payment.document_id == doc.id, Payment.voided_at.is_(None)))
               ) + settled_by_advances(doc)
