"""Payments on issued invoices: record one (money in, or a refund out), void one, mark an invoice as paid.
Each runs with the invoice's row locked while its balance changes. A payment above the amount due is refused
(``overpayment_unconfirmed``, with the difference) unless the input confirms it (``allow_overpayment``); a
cancelled invoice takes refunds only (``document_cancelled``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, NotFound
from webapp.domain.money import precision, round_money, to_minor
from webapp.models import Document, Payment
from webapp.services import bank, payments
from webapp.services.calculation import MAX_AMOUNT_MINOR
from webapp.extensions import db
from webapp.usecases import Actor, load, usecase
from webapp.usecases.documents import for_action


@dataclass(frozen=True)
class PaymentInput:
    amount: Decimal  # in the invoice's currency, major units, positive
    paid_on: date
    refund: bool = False  # money paid back to the customer
    method: str = "bank_transfer"
    reference: str = ""
    note: str = ""
    key: str = ""  # the form's idempotency key: the same form sent twice records one payment
    allow_overpayment: bool = False  # confirmed: record it even if it is more than the amount due


def to_minor_units(amount: Decimal, currency: str, field: str = "amount") -> int:
    """An amount typed in major units as minor units of ``currency``; more decimals than it has are refused."""
    if amount != round_money(amount, currency):
        raise ActionError("amount_precision", "{currency} amounts have at most {places} decimals.", field,
                          currency=currency, places=precision(currency))
    minor = to_minor(amount, currency)
    if abs(minor) >= MAX_AMOUNT_MINOR:
        raise ActionError("amount_too_large", "This amount is too large.", field)
    return minor


@usecase
def record_payment(actor: Actor, document_id: int, data: PaymentInput) -> tuple[Document, Payment]:
    doc = for_action(actor, document_id, "refund" if data.refund else "pay", lock=True)
    if data.amount <= 0:
        raise ActionError("amount_not_positive", "Enter an amount above 0.", "amount")
    minor = to_minor_units(data.amount, doc.currency) * (-1 if data.refund else 1)
    payment = payments.record(actor.org, actor.user, doc, payments.PaymentInput(
        amount=minor, paid_on=data.paid_on, method=data.method, reference=data.reference, note=data.note,
        key=data.key, allow_overpayment=data.allow_overpayment))
    return doc, payment


@dataclass(frozen=True)
class PaymentForm:
    """What the payment form may offer for an invoice: its kinds ("payment", "refund") and what is due."""

    document: Document
    kinds: tuple[str, ...]


def payment_form(actor: Actor, document_id: int) -> PaymentForm:
    """For the form page (GET): the invoice, if a payment or a refund may be recorded on it, and which of them
    (a cancelled invoice takes refunds only); refused with the state model's error otherwise."""
    doc = load(actor, Document, document_id, "document")
    kinds = tuple(kind for kind, action in (("payment", "pay"), ("refund", "refund"))
                  if status_table.allowed(doc.kind, doc.current_status, action))
    for_action(actor, document_id, "pay" if "payment" in kinds or not kinds else "refund")
    return PaymentForm(doc, kinds)


@usecase
def void_payment(actor: Actor, document_id: int, payment_id: int, reason: str = "") -> tuple[Document, Payment]:
    doc = for_action(actor, document_id, "void_payment", lock=True)
    payment = db.session.scalar(select(Payment).where(Payment.org_id == actor.org.id, Payment.id == payment_id,
                                                      Payment.document_id == doc.id))
    if payment is None:
        raise NotFound("payment")
    payments.void(actor.org, actor.user, doc, payment, reason)
    bank.release(payment)  # a payment recorded from a bank transaction: the transaction waits for a match again
    return doc, payment


@dataclass(frozen=True)
class MarkPaid:
    key: str
    send_confirmation: bool = False
    paid_on: date | None = None  # default: today
    method: str = "bank_transfer"
    reference: str = ""


@dataclass(frozen=True)
class MarkedPaid:
    document: Document
    payment: Payment
    confirmation_to: str  # "" when none was asked for, or the customer has no e-mail address


@usecase
def mark_paid(actor: Actor, document_id: int, data: MarkPaid) -> MarkedPaid:
    """Record what is still due as paid (today, unless ``paid_on`` says otherwise); optionally e-mail the
    customer a confirmation. Refused unless the invoice is issued (``document_is_draft``, ``document_cancelled``
    ...) and something is due (``nothing_due``)."""
    doc = for_action(actor, document_id, "mark_paid", lock=True)
    to = ""
    if data.send_confirmation and doc.flow == "purchases":  # the organization paid: no one to confirm it to
        raise ActionError("no_confirmation_for_purchases", "A payment confirmation is e-mailed to a customer; a "
                          "purchase is paid to its supplier.", "send_notification")
    if data.send_confirmation:
        to = (doc.contact.email if doc.contact else "") or (doc.buyer or {}).get("email", "")
    payment = payments.mark_paid(actor.org, actor.user, doc, data.key, to, paid_on=data.paid_on,
                                 method=data.method, reference=data.reference)
    return MarkedPaid(doc, payment, to)
