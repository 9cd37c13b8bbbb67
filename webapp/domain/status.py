"""Document statuses and the one table of allowed actions. Templates ask it which buttons to show."""
from __future__ import annotations

DRAFT, ISSUED, CANCELLED = "draft", "issued", "cancelled"
SENT, ACCEPTED, DECLINED, EXPIRED = "sent", "accepted", "declined", "expired"  # quotes
STATUS_LABELS = {DRAFT: "Draft", ISSUED: "Issued", CANCELLED: "Cancelled", SENT: "Sent", ACCEPTED: "Accepted",
                 DECLINED: "Declined", EXPIRED: "Expired"}
KIND_LABELS = {"invoice": "invoice", "credit_note": "credit note", "quote": "quote"}

# (kind, status) -> actions allowed in that status. A quote's "expired" is derived (sent, past its date).
ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    ("invoice", DRAFT): frozenset({"edit", "issue", "delete", "duplicate", "note"}),
    ("invoice", ISSUED): frozenset({"send", "pay", "mark_paid", "void_payment", "credit", "cancel",
                                    "change_recipient", "duplicate", "note"}),
    # a cancelled invoice that had been paid owes the money back: refunds and voids stay possible
    ("invoice", CANCELLED): frozenset({"pay", "void_payment", "reactivate", "duplicate", "note"}),
    ("credit_note", DRAFT): frozenset({"issue", "delete", "note"}),
    ("credit_note", ISSUED): frozenset({"send", "note"}),
    ("quote", DRAFT): frozenset({"edit", "issue", "delete", "duplicate", "note"}),
    ("quote", SENT): frozenset({"send", "accept", "decline", "duplicate", "note"}),
    ("quote", ACCEPTED): frozenset({"convert", "duplicate", "note"}),
    ("quote", DECLINED): frozenset({"duplicate", "note"}),
    ("quote", EXPIRED): frozenset({"duplicate", "note"}),
}
# action -> permission of the acting member (domain/roles.py)
ACTION_PERMISSIONS = {
    "edit": "edit_drafts",
    "issue": "issue_documents",
    "delete": "edit_drafts",
    "duplicate": "edit_drafts",
    "send": "issue_documents",
    "pay": "record_payments",
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
KIND_PERMISSIONS = {("credit_note", "issue"): "correct_documents", ("credit_note", "delete"): "correct_documents",
                    ("credit_note", "send"): "correct_documents"}


def permission_for(kind: str, action: str) -> str:
    return KIND_PERMISSIONS.get((kind, action), ACTION_PERMISSIONS[action])


ACTION_LABELS = {"void_payment": "void a payment of", "mark_paid": "marked as paid", "change_recipient":
                 "given another recipient", "pay": "paid", "note": "annotated", "credit": "credited",
                 "send": "sent", "accept": "accepted", "decline": "declined", "convert": "converted",
                 "reactivate": "reactivated", "cancel": "cancelled", "edit": "edited", "issue": "issued",
                 "delete": "deleted", "duplicate": "duplicated"}

# Payment state, derived from the balance (never stored).
UNPAID, PARTIALLY_PAID, PAID, OVERPAID, CREDITED = "unpaid", "partially_paid", "paid", "overpaid", "credited"
PAYMENT_LABELS = {UNPAID: "Unpaid", PARTIALLY_PAID: "Partially paid", PAID: "Paid", OVERPAID: "Overpaid",
                  CREDITED: "Credited"}


def payment_state(gross: int, credited: int, paid: int) -> str:
    """unpaid, partially paid, paid or overpaid, from the total, the credit notes and the payments
    (minor units); "credited" when credit notes alone brought the amount due to zero."""
    due = gross - credited - paid
    if due < 0:
        return OVERPAID
    if due == 0:
        return CREDITED if paid == 0 and credited else PAID
    return PARTIALLY_PAID if paid > 0 else UNPAID


def effective_status(kind: str, status: str, valid_until=None, today=None) -> str:
    """The status the action table is read with: a sent quote past its date is expired."""
    if kind == "quote" and status == SENT and valid_until is not None and today is not None and valid_until < today:
        return EXPIRED
    return status


class TransitionError(Exception):
    """The action is not allowed in the document's status."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def allowed(kind: str, status: str, action: str) -> bool:
    return action in ACTIONS.get((kind, status), frozenset())


def require(kind: str, status: str, action: str) -> None:
    if not allowed(kind, status, action):
        label = STATUS_LABELS.get(status, status).lower()
        what = KIND_LABELS.get(kind, kind)
        if status != DRAFT and action in {"edit", "delete", "issue"}:
            raise TransitionError(f"This {what} is {label}: issued documents are never changed. "
                                  "Corrections go through a credit note.")
        if status == DRAFT and action in {"send", "pay", "mark_paid", "void_payment", "credit", "cancel",
                                          "change_recipient", "accept", "decline"}:
            raise TransitionError(f"This {what} is a draft: issue it first.")
        article = "An" if label[0] in "aeiou" else "A"
        raise TransitionError(f"{article} {label} {what} cannot be {ACTION_LABELS.get(action, action + 'd')}.")
