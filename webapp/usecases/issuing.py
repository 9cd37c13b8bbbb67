"""Issuing a draft: the PDF is laid out before the number lock is taken, the number taken under it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, Text
from webapp.models import Document
from webapp.services import issuing, locks, payments
from webapp.services.state import check_version, require
from webapp.usecases import Actor, load, usecase

if TYPE_CHECKING:
    from webapp.services.sending import Message
    from webapp.usecases.drafts import DocumentInput


def new_key() -> str:
    import secrets

    return "api-" + secrets.token_hex(16)


STALE_ISSUE_MESSAGE = Text("This draft was changed elsewhere (in another tab or by someone else) since this page "
                           "was opened, so it was not issued. You now see the current state: check it and issue "
                           "again.")
JUST_ISSUED = {"invoice": Text("This invoice was just issued."),
               "credit_note": Text("This credit note was just issued."),
               "quote": Text("This quote was just issued.")}


@usecase
def issue(actor: Actor, document_id: int, version: int | None, today: date | None = None) -> Document:
    """Give the draft its number, dates, frozen copies and stored PDF.

    The PDF is rendered first, without the write lock (milliseconds under the lock instead of up to seconds);
    under the lock the draft is read again and the prepared PDF used only if nothing changed meanwhile."""
    doc = load(actor, Document, document_id, "document")
    actor.require(status_table.permission_for(doc.kind, "issue", doc.flow))
    was_draft = doc.is_draft
    prepared = issuing.prepare_issue_pdf(actor.org, doc, today) if doc.version == version else None
    locks.begin_write()  # the number lock: the number is taken in this transaction
    doc = load(actor, Document, document_id, "document")  # the same kind: the permission holds
    if was_draft and not doc.is_draft:  # a request a moment faster issued it (a double click)
        raise ActionError("already_done", JUST_ISSUED[doc.kind])
    check_version(doc, version, STALE_ISSUE_MESSAGE)
    issuing.issue(actor.org, actor.user, doc, today=today, prepared=prepared)
    return doc


@dataclass(frozen=True)
class PaidWith:
    """A payment recorded with the issue (the API's ``status: paid``): None amount pays what is due."""
    paid_on: date
    amount: int | None = None  # minor units
    method: str = "bank_transfer"
    reference: str = ""
    key: str = ""


@usecase
def create_issued(actor: Actor, data: "DocumentInput", paid: PaidWith | None = None,
                  send: "Message | None" = None, number: str | None = None) -> Document:
    """A new document issued at once (and paid, with ``paid``; e-mailed, with ``send``): one transaction that
    takes the number lock before it writes anything, then the same steps as the editor's create, issue, the
    payment form and the send dialog (a refused message refuses the whole: nothing is issued)."""
    from webapp.usecases.drafts import create_document
    from webapp.usecases.sending import send_checked

    actor.require(status_table.permission_for(data.kind, "issue", data.flow))
    if paid is not None:
        actor.require(status_table.permission_for(data.kind, "pay", data.flow))
    if send is not None:
        actor.require(status_table.permission_for(data.kind, "send", data.flow))
    locks.begin_write()
    doc = create_document(actor, data)
    issuing.issue(actor.org, actor.user, doc, number=number)  # number: imported with its own
    if paid is not None:
        require(doc, "pay")
        amount = doc.amount_due if paid.amount is None else paid.amount
        if amount <= 0:
            raise ActionError("amount_not_positive", "Enter an amount above 0.", "payment_details.amount")
        payments.record(actor.org, actor.user, doc, payments.PaymentInput(
            amount=amount, paid_on=paid.paid_on, method=paid.method, reference=paid.reference,
            key=paid.key or new_key(), allow_overpayment=True))
    if send is not None:
        require(doc, "send")
        send_checked(actor, doc, send)
    return doc
