"""The one state model of documents: statuses, the table of allowed actions, the status each action leads
to, and the payment state. Templates ask it which buttons to show; services ask it before acting; the
database guard (models/document.py) asks it which status changes an issued document may make; the CHECK
constraints and the running totals' SQL are built from its names. Pure Python: no Flask, no SQLAlchemy.
"""
from __future__ import annotations

from datetime import date

from webapp.domain.errors import ActionError

INVOICE, CREDIT_NOTE, QUOTE = "invoice", "credit_note", "quote"
KINDS = (INVOICE, CREDIT_NOTE, QUOTE)
SALES, PURCHASES = "sales", "purchases"
FLOWS = (SALES, PURCHASES)

DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
SENT, ACCEPTED, DECLINED, EXPIRED = "sent", "accepted", "declined", "expired"  # quotes
# what the database may store: "expired" is derived (a sent quote past its date), never stored
STATUSES = (DRAFT, ISSUED, CANCELLED, SENT, ACCEPTED, DECLINED)
STATUS_LABELS = {DRAFT: "Draft", ISSUED: "Issued", CANCELLED: "Cancelled", SENT: "Sent", ACCEPTED: "Accepted",
                 DECLINED: "Declined", EXPIRED: "Expired"}
KIND_LABELS = {INVOICE: "invoice", CREDIT_NOTE: "credit note", QUOTE: "quote"}

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


def permission_for(kind: str, action: str) -> str:
    return KIND_PERMISSIONS.get((kind, action), ACTION_PERMISSIONS[action])


ACTION_LABELS = {"void_payment": "void a payment of", "mark_paid": "marked as paid", "change_recipient":
                 "given another recipient", "pay": "paid", "refund": "refunded", "note": "annotated",
                 "credit": "credited", "send": "sent", "accept": "accepted", "decline": "declined",
                 "convert": "converted", "reactivate": "reactivated", "cancel": "cancelled", "edit": "edited",
                 "issue": "issued", "delete": "deleted", "duplicate": "duplicated"}

# Payment state, derived from the balance (never stored).
UNPAID, PARTIALLY_PAID, PAID, OVERPAID, CREDITED = "unpaid", "partially_paid", "paid", "overpaid", "credited"
PAYMENT_LABELS = {UNPAID: "Unpaid", PARTIALLY_PAID: "Partially paid", PAID: "Paid", OVERPAID: "Overpaid",
                  CREDITED: "Credited"}

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

    def __init__(self, message: str, code: str = "action_not_allowed", **params):
        super().__init__(code, message, **params)


def allowed(kind: str, status: str, action: str) -> bool:
    return action in ACTIONS.get((kind, status), frozenset())


def require(kind: str, status: str, action: str) -> None:
    if not allowed(kind, status, action):
        label = STATUS_LABELS.get(status, status).lower()
        what = KIND_LABELS.get(kind, kind)
        params = {"kind": kind, "status": status, "action": action}
        if status != DRAFT and action in NOT_DRAFT_ACTIONS:
            raise TransitionError(f"This {what} is {label}: issued documents are never changed. "
                                  "Corrections go through a credit note.", "document_not_draft", **params)
        if status == DRAFT and action in DRAFT_REFUSED_ACTIONS:
            raise TransitionError(f"This {what} is a draft: issue it first.", "document_is_draft", **params)
        if status == CANCELLED and action in PAYMENT_IN_ACTIONS:
            raise TransitionError(f"This {what} is cancelled and is not to be paid: only refunds and voids of its "
                                  "payments can follow a cancellation.", "document_cancelled", **params)
        article = "An" if label[0] in "aeiou" else "A"
        raise TransitionError(f"{article} {label} {what} cannot be {ACTION_LABELS.get(action, action + 'd')}.",
                              **params)


def next_status(kind: str, status: str, action: str) -> str:
    """The status ``action`` leaves a ``kind`` document in ``status`` in; TransitionError if it is not allowed."""
    require(kind, status, action)
    return TRANSITIONS.get((kind, status, action), status)


def status_change_allowed(kind: str, old: str, new: str) -> bool:
    """Whether some action allowed in ``old`` leads a ``kind`` document to ``new`` (no change: always)."""
    if old == new:
        return True
    return any(TRANSITIONS.get((kind, old, action)) == new for action in ACTIONS.get((kind, old), ()))
