"""The one state model of documents: statuses, the table of allowed actions, the status each action leads
to, and the payment state. Templates ask it which buttons to show; services ask it before acting; the
database guard (models/document.py) asks it which status changes an issued document may make; the CHECK
constraints and the running totals' SQL are built from its names. Pure Python: no Flask, no SQLAlchemy.
"""
from __future__ import annotations

from datetime import date

from webapp.domain.errors import ActionError, Text
from webapp.domain.units import _n

INVOICE, CREDIT_NOTE, QUOTE = "invoice", "credit_note", "quote"
KINDS = (INVOICE, CREDIT_NOTE, QUOTE)
SALES, PURCHASES = "sales", "purchases"
FLOWS = (SALES, PURCHASES)

DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
SENT, ACCEPTED, DECLINED, EXPIRED = "sent", "accepted", "declined", "expired"  # quotes
# what the database may store: "expired" is derived (a sent quote past its date), never stored
STATUSES = (DRAFT, ISSUED, CANCELLED, SENT, ACCEPTED, DECLINED)
STATUS_LABELS = {DRAFT: _n("Draft"), ISSUED: _n("Issued"), CANCELLED: _n("Cancelled"), SENT: _n("Sent"),
                 ACCEPTED: _n("Accepted"), DECLINED: _n("Declined"), EXPIRED: _n("Expired")}
KIND_LABELS = {INVOICE: _n("invoice"), CREDIT_NOTE: _n("credit note"), QUOTE: _n("quote")}

# (kind, status) -> actions allowed in that status. A quote's "expired" is derived (sent, past its date).
ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    (INVOICE, DRAFT): frozenset({"edit", "issue", "delete", "duplicate", "note"}),
    # "pay" records money in, "refund" money paid back to the customer
    (INVOICE, ISSUED): frozenset({"send", "pay", "refund", "mark_paid", "void_payment", "credit", "cancel",
                                    "change_recipient", "duplicate", "note"}),
    # a cancelled invoice is not to be paid; if it had been paid it owes the money back: refunds and voids stay
    (INVOICE, CANCELLED): frozenset({"refund", "void_payment", "reactivate", "duplicate", "note"}),
    (CREDIT_NOTE, DRAFT): frozenset({"issue", "delete", "note"}),
    (CREDIT_NOTE, ISSUED): frozenset({"send", "note"}),
    (QUOTE, DRAFT): frozenset({"edit", "issue", "delete", "duplicate", "note"}),
    (QUOTE, SENT): frozenset({"send", "accept", "decline", "duplicate", "note"}),
    (QUOTE, ACCEPTED): frozenset({"convert", "duplicate", "note"}),
    (QUOTE, DECLINED): frozenset({"duplicate", "note"}),
    (QUOTE, EXPIRED): frozenset({"duplicate", "note"}),
}
# (kind, status, action) -> the status the action leads to. An allowed action that is not listed keeps the
# status (a payment, a note, a copy: "duplicate", "reactivate" and "convert" make a new draft).
TRANSITIONS: dict[tuple[str, str, str], str] = {
    (INVOICE, DRAFT, "issue"): ISSUED,
    (INVOICE, ISSUED, "cancel"): CANCELLED,
    (INVOICE, ISSUED, "change_recipient"): CANCELLED,  # cancelled, and a new draft for the other customer
    (CREDIT_NOTE, DRAFT, "issue"): ISSUED,
    (QUOTE, DRAFT, "issue"): SENT,
    (QUOTE, SENT, "accept"): ACCEPTED,
    (QUOTE, SENT, "decline"): DECLINED,
}
# action -> permission of the acting member (domain/roles.py)
ACTION_PERMISSIONS = {
    "edit": "edit_drafts",
    "issue": "issue_documents",
    "delete": "edit_drafts",
    "duplicate": "edit_drafts",
    "send": "issue_documents",
    "pay": "record_payments",
    "refund": "record_payments",
    "mark_paid": "record_payments",
    "void_payment": "void_payments",
    "credit": "correct_documents",
    "cancel": "correct_documents",
    "change_recipient": "correct_documents",
    "reactivate": "correct_documents",
    "accept": "issue_documents",
    "decline": "issue_documents",
    "convert": "edit_drafts",
    "note": "add_notes",
}
# Credit notes are corrections: issuing, deleting and sending them is the bookkeeper's (and owner's) job.
KIND_PERMISSIONS = {(CREDIT_NOTE, "issue"): "correct_documents", (CREDIT_NOTE, "delete"): "correct_documents",
                    (CREDIT_NOTE, "send"): "correct_documents"}


# Purchases (a supplier's invoice, booked): the owner's and the bookkeeper's, every action but a note; the sales
# actions that speak to the customer or correct what Tallybook issued are not theirs (a supplier corrects its
# invoice with its own credit note)
PURCHASE_PERMISSION = "book_purchases"
NOT_FOR_PURCHASES = frozenset({"send", "change_recipient", "reactivate", "credit", "cancel", "accept", "decline",
                               "convert", "duplicate"})


def permission_for(kind: str, action: str, flow: str = SALES) -> str:
    if flow == PURCHASES:
        return ACTION_PERMISSIONS[action] if action == "note" else PURCHASE_PERMISSION
    return KIND_PERMISSIONS.get((kind, action), ACTION_PERMISSIONS[action])


# Payment state, derived from the balance (never stored).
UNPAID, PARTIALLY_PAID, PAID, OVERPAID, CREDITED = "unpaid", "partially_paid", "paid", "overpaid", "credited"
PAYMENT_LABELS = {UNPAID: _n("Unpaid"), PARTIALLY_PAID: _n("Partially paid"), PAID: _n("Paid"),
                  OVERPAID: _n("Overpaid"), CREDITED: _n("Credited")}

# The balance state: the payment state as the database can tell it from the three balance columns alone,
# what the running totals (models/totals.py) file a document under and their SQL CASE is built from. Stored,
# so short and stable: "due" (something due, nothing paid), "partial" (something due, something paid),
# "credit" (something due, more refunded than paid), "settled" (nothing due), "over" (overpaid).
BALANCE_DUE, BALANCE_PARTIAL, BALANCE_CREDIT = "due", "partial", "credit"
BALANCE_SETTLED, BALANCE_OVER = "settled", "over"
BALANCE_STATES = (BALANCE_DUE, BALANCE_PARTIAL, BALANCE_CREDIT, BALANCE_SETTLED, BALANCE_OVER)
OPEN_BALANCE_STATES = (BALANCE_DUE, BALANCE_PARTIAL, BALANCE_CREDIT)  # something is due
# the payment state of each balance state; "settled" is paid, or credited when nothing was paid
PAYMENT_STATE_OF_BALANCE = {BALANCE_DUE: UNPAID, BALANCE_PARTIAL: PARTIALLY_PAID, BALANCE_CREDIT: UNPAID,
                            BALANCE_SETTLED: PAID, BALANCE_OVER: OVERPAID}


def balance_state(gross: int, credited: int, paid: int) -> str:
    """The balance state of a document (minor units); the SQL of models/totals.py computes the same."""
    due = gross - credited - paid
    if due > 0:
        return BALANCE_DUE if paid == 0 else BALANCE_PARTIAL if paid > 0 else BALANCE_CREDIT
    return BALANCE_SETTLED if due == 0 else BALANCE_OVER


def payment_state(gross: int, credited: int, paid: int) -> str:
    """unpaid, partially paid, paid or overpaid, from the total, the credit notes and the payments
    (minor units); "credited" when credit notes alone brought the amount due to zero."""
    balance = balance_state(gross, credited, paid)
    if balance == BALANCE_SETTLED and paid == 0 and credited:
        return CREDITED
    return PAYMENT_STATE_OF_BALANCE[balance]


def effective_status(kind: str, status: str, valid_until: date | None = None, today: date | None = None) -> str:
    """The status the action table is read with: a sent quote past its date is expired."""
    if kind == QUOTE and status == SENT and valid_until is not None and today is not None and valid_until < today:
        return EXPIRED
    return status


# the refusals with a code of their own (the others are "action_not_allowed")
NOT_DRAFT_ACTIONS = frozenset({"edit", "delete", "issue"})  # only a draft may do these
DRAFT_REFUSED_ACTIONS = frozenset({"send", "pay", "refund", "mark_paid", "void_payment", "credit", "cancel",
                                   "change_recipient", "accept", "decline"})  # a draft must be issued first
PAYMENT_IN_ACTIONS = frozenset({"pay", "mark_paid"})  # money in: a cancelled invoice is not to be paid


class TransitionError(ActionError):
    """The action is not allowed in the document's status. ``code``: ``document_not_draft`` (an issued,
    cancelled ... document asked to change), ``document_is_draft`` (a draft asked to be sent, paid ...),
    ``document_cancelled`` (money in on a cancelled invoice: only refunds and voids follow a cancellation) or
    ``action_not_allowed``."""

    def __init__(self, message: "str | Text", code: str = "action_not_allowed", **params):
        super().__init__(code, message, **params)


# what a purchase may do beyond the sales' table: a supplier's credit note is entered by hand (or read from its
# e-invoice) and edited as its invoices are, where a sale's comes from the invoice it corrects
PURCHASE_ACTIONS: dict[tuple[str, str], frozenset[str]] = {(CREDIT_NOTE, DRAFT): frozenset({"edit"})}


def allowed(kind: str, status: str, action: str, flow: str = SALES) -> bool:
    if flow == PURCHASES and action in NOT_FOR_PURCHASES:
        return False
    if flow == PURCHASES and action in PURCHASE_ACTIONS.get((kind, status), frozenset()):
        return True
    return action in ACTIONS.get((kind, status), frozenset())


def actions_of(kind: str, status: str, flow: str = SALES) -> frozenset[str]:
    """What a document of ``kind`` and ``flow`` may do in ``status``."""
    extra = PURCHASE_ACTIONS.get((kind, status), frozenset()) if flow == PURCHASES else frozenset()
    return frozenset(a for a in {*ACTIONS.get((kind, status), ()), *extra} if allowed(kind, status, a, flow))


# The refusals, each a whole sentence (translators cannot build one from "cancelled", "invoice" and "sent").
# (kind, status) -> an issued ... document asked to change (``document_not_draft``)
NOT_DRAFT_REFUSALS = {
    (INVOICE, ISSUED): Text("This invoice is issued: issued documents are never changed. "
                            "Corrections go through a credit note."),
    (INVOICE, CANCELLED): Text("This invoice is cancelled: issued documents are never changed. "
                               "Corrections go through a credit note."),
    (CREDIT_NOTE, ISSUED): Text("This credit note is issued: issued documents are never changed. "
                                "Corrections go through a credit note."),
    (QUOTE, SENT): Text("This quote is sent: issued documents are never changed. "
                        "Corrections go through a credit note."),
    (QUOTE, ACCEPTED): Text("This quote is accepted: issued documents are never changed. "
                            "Corrections go through a credit note."),
    (QUOTE, DECLINED): Text("This quote is declined: issued documents are never changed. "
                            "Corrections go through a credit note."),
    (QUOTE, EXPIRED): Text("This quote is expired: issued documents are never changed. "
                           "Corrections go through a credit note."),
}
NOT_DRAFT_OTHER = Text("This document is no longer a draft: issued documents are never changed. "
                       "Corrections go through a credit note.")
# kind -> a draft asked to be sent, paid ... (``document_is_draft``)
DRAFT_REFUSALS = {
    INVOICE: Text("This invoice is a draft: issue it first."),
    CREDIT_NOTE: Text("This credit note is a draft: issue it first."),
    QUOTE: Text("This quote is a draft: issue it first."),
}
DRAFT_OTHER = Text("This document is a draft: issue it first.")
CANCELLED_REFUSAL = Text("This invoice is cancelled and is not to be paid: only refunds and voids of its payments "
                         "can follow a cancellation.")
# (kind, status, action) -> any other refusal (``action_not_allowed``)
REFUSALS = {
    (INVOICE, DRAFT, "reactivate"): Text("A draft invoice cannot be reactivated."),
    (INVOICE, DRAFT, "convert"): Text("A draft invoice cannot be converted."),
    (INVOICE, ISSUED, "reactivate"): Text("An issued invoice cannot be reactivated."),
    (INVOICE, ISSUED, "accept"): Text("An issued invoice cannot be accepted."),
    (INVOICE, ISSUED, "decline"): Text("An issued invoice cannot be declined."),
    (INVOICE, ISSUED, "convert"): Text("An issued invoice cannot be converted."),
    (INVOICE, CANCELLED, "send"): Text("A cancelled invoice cannot be sent."),
    (INVOICE, CANCELLED, "credit"): Text("A cancelled invoice cannot be credited."),
    (INVOICE, CANCELLED, "cancel"): Text("A cancelled invoice cannot be cancelled."),
    (INVOICE, CANCELLED, "change_recipient"): Text("A cancelled invoice cannot be given another recipient."),
    (INVOICE, CANCELLED, "accept"): Text("A cancelled invoice cannot be accepted."),
    (INVOICE, CANCELLED, "decline"): Text("A cancelled invoice cannot be declined."),
    (INVOICE, CANCELLED, "convert"): Text("A cancelled invoice cannot be converted."),
    (CREDIT_NOTE, DRAFT, "edit"): Text("A draft credit note cannot be edited."),
    (CREDIT_NOTE, DRAFT, "duplicate"): Text("A draft credit note cannot be duplicated."),
    (CREDIT_NOTE, DRAFT, "reactivate"): Text("A draft credit note cannot be reactivated."),
    (CREDIT_NOTE, DRAFT, "convert"): Text("A draft credit note cannot be converted."),
    (CREDIT_NOTE, ISSUED, "duplicate"): Text("An issued credit note cannot be duplicated."),
    (CREDIT_NOTE, ISSUED, "pay"): Text("An issued credit note cannot be paid."),
    (CREDIT_NOTE, ISSUED, "refund"): Text("An issued credit note cannot be refunded."),
    (CREDIT_NOTE, ISSUED, "mark_paid"): Text("An issued credit note cannot be marked as paid."),
    (CREDIT_NOTE, ISSUED, "void_payment"): Text("An issued credit note has no payments to void."),
    (CREDIT_NOTE, ISSUED, "credit"): Text("An issued credit note cannot be credited."),
    (CREDIT_NOTE, ISSUED, "cancel"): Text("An issued credit note cannot be cancelled."),
    (CREDIT_NOTE, ISSUED, "change_recipient"): Text("An issued credit note cannot be given another recipient."),
    (CREDIT_NOTE, ISSUED, "reactivate"): Text("An issued credit note cannot be reactivated."),
    (CREDIT_NOTE, ISSUED, "accept"): Text("An issued credit note cannot be accepted."),
    (CREDIT_NOTE, ISSUED, "decline"): Text("An issued credit note cannot be declined."),
    (CREDIT_NOTE, ISSUED, "convert"): Text("An issued credit note cannot be converted."),
    (QUOTE, DRAFT, "reactivate"): Text("A draft quote cannot be reactivated."),
    (QUOTE, DRAFT, "convert"): Text("A draft quote cannot be converted."),
    (QUOTE, SENT, "pay"): Text("A sent quote cannot be paid."),
    (QUOTE, SENT, "refund"): Text("A sent quote cannot be refunded."),
    (QUOTE, SENT, "mark_paid"): Text("A sent quote cannot be marked as paid."),
    (QUOTE, SENT, "void_payment"): Text("A sent quote has no payments to void."),
    (QUOTE, SENT, "credit"): Text("A sent quote cannot be credited."),
    (QUOTE, SENT, "cancel"): Text("A sent quote cannot be cancelled."),
    (QUOTE, SENT, "change_recipient"): Text("A sent quote cannot be given another recipient."),
    (QUOTE, SENT, "reactivate"): Text("A sent quote cannot be reactivated."),
    (QUOTE, SENT, "convert"): Text("A sent quote cannot be converted."),
    (QUOTE, ACCEPTED, "send"): Text("An accepted quote cannot be sent."),
    (QUOTE, ACCEPTED, "pay"): Text("An accepted quote cannot be paid."),
    (QUOTE, ACCEPTED, "refund"): Text("An accepted quote cannot be refunded."),
    (QUOTE, ACCEPTED, "mark_paid"): Text("An accepted quote cannot be marked as paid."),
    (QUOTE, ACCEPTED, "void_payment"): Text("An accepted quote has no payments to void."),
    (QUOTE, ACCEPTED, "credit"): Text("An accepted quote cannot be credited."),
    (QUOTE, ACCEPTED, "cancel"): Text("An accepted quote cannot be cancelled."),
    (QUOTE, ACCEPTED, "change_recipient"): Text("An accepted quote cannot be given another recipient."),
    (QUOTE, ACCEPTED, "reactivate"): Text("An accepted quote cannot be reactivated."),
    (QUOTE, ACCEPTED, "accept"): Text("An accepted quote cannot be accepted."),
    (QUOTE, ACCEPTED, "decline"): Text("An accepted quote cannot be declined."),
    (QUOTE, DECLINED, "send"): Text("A declined quote cannot be sent."),
    (QUOTE, DECLINED, "pay"): Text("A declined quote cannot be paid."),
    (QUOTE, DECLINED, "refund"): Text("A declined quote cannot be refunded."),
    (QUOTE, DECLINED, "mark_paid"): Text("A declined quote cannot be marked as paid."),
    (QUOTE, DECLINED, "void_payment"): Text("A declined quote has no payments to void."),
    (QUOTE, DECLINED, "credit"): Text("A declined quote cannot be credited."),
    (QUOTE, DECLINED, "cancel"): Text("A declined quote cannot be cancelled."),
    (QUOTE, DECLINED, "change_recipient"): Text("A declined quote cannot be given another recipient."),
    (QUOTE, DECLINED, "reactivate"): Text("A declined quote cannot be reactivated."),
    (QUOTE, DECLINED, "accept"): Text("A declined quote cannot be accepted."),
    (QUOTE, DECLINED, "decline"): Text("A declined quote cannot be declined."),
    (QUOTE, DECLINED, "convert"): Text("A declined quote cannot be converted."),
    (QUOTE, EXPIRED, "send"): Text("An expired quote cannot be sent."),
    (QUOTE, EXPIRED, "pay"): Text("An expired quote cannot be paid."),
    (QUOTE, EXPIRED, "refund"): Text("An expired quote cannot be refunded."),
    (QUOTE, EXPIRED, "mark_paid"): Text("An expired quote cannot be marked as paid."),
    (QUOTE, EXPIRED, "void_payment"): Text("An expired quote has no payments to void."),
    (QUOTE, EXPIRED, "credit"): Text("An expired quote cannot be credited."),
    (QUOTE, EXPIRED, "cancel"): Text("An expired quote cannot be cancelled."),
    (QUOTE, EXPIRED, "change_recipient"): Text("An expired quote cannot be given another recipient."),
    (QUOTE, EXPIRED, "reactivate"): Text("An expired quote cannot be reactivated."),
    (QUOTE, EXPIRED, "accept"): Text("An expired quote cannot be accepted."),
    (QUOTE, EXPIRED, "decline"): Text("An expired quote cannot be declined."),
    (QUOTE, EXPIRED, "convert"): Text("An expired quote cannot be converted."),
}
REFUSAL_OTHER = Text("This action is not allowed for this document in its current status.")


NOT_FOR_PURCHASES_REFUSAL = Text("A supplier's invoice is booked as the supplier wrote it: it is not sent, credited, "
                                 "cancelled or copied here (the supplier corrects it with a credit note of its own).")


def require(kind: str, status: str, action: str, flow: str = SALES) -> None:
    if allowed(kind, status, action, flow):
        return
    params = {"kind": kind, "status": status, "action": action}
    if flow == PURCHASES and action in NOT_FOR_PURCHASES:
        raise TransitionError(NOT_FOR_PURCHASES_REFUSAL, **params)
    if status != DRAFT and action in NOT_DRAFT_ACTIONS:
        raise TransitionError(NOT_DRAFT_REFUSALS.get((kind, status), NOT_DRAFT_OTHER), "document_not_draft", **params)
    if status == DRAFT and action in DRAFT_REFUSED_ACTIONS:
        raise TransitionError(DRAFT_REFUSALS.get(kind, DRAFT_OTHER), "document_is_draft", **params)
    if status == CANCELLED and action in PAYMENT_IN_ACTIONS:
        raise TransitionError(CANCELLED_REFUSAL, "document_cancelled", **params)
    raise TransitionError(REFUSALS.get((kind, status, action), REFUSAL_OTHER), **params)


def next_status(kind: str, status: str, action: str) -> str:
    """The status ``action`` leaves a ``kind`` document in ``status`` in; TransitionError if it is not allowed."""
    require(kind, status, action)
    return TRANSITIONS.get((kind, status, action), status)


def status_change_allowed(kind: str, old: str, new: str) -> bool:
    """Whether some action allowed in ``old`` leads a ``kind`` document to ``new`` (no change: always)."""
    if old == new:
        return True
    return any(TRANSITIONS.get((kind, old, action)) == new for action in ACTIONS.get((kind, old), ()))
