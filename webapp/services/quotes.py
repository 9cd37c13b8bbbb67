"""Quotes after they are sent: accepted or declined (by the customer on the public page, or recorded by a
member), expired after ``valid_until`` (derived, never stored), converted into an invoice draft."""
from __future__ import annotations

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.i18n import customer_language, locale_for, user_language
from webapp.models import AuditEvent, Document, Membership, Organization, OutboxMessage, User
from webapp.models.types import utcnow
from webapp.services import audit, drafts, mail
from webapp.services.state import require


def decide(org: Organization, actor: User | None, quote: Document, action: str, note: str = "") -> None:
    """``action`` is "accept" or "decline"; ``actor`` None means the customer on the public page, and then the
    quote's owner is told by e-mail (through the outbox, in this transaction) and the timeline says so."""
    require(quote, action)
    quote.status = status_table.next_status(quote.kind, quote.current_status, action)
    quote.decided_at = utcnow()
    who = actor.email if actor is not None else f"{quote.buyer_name} (on the quote's page)"
    summary = f"{who} {quote.status} quote {quote.number}" + (f": {note}" if note else "")
    data = {}
    if actor is None:
        told = owners_to_tell(org, quote)
        if told:
            messages = _tell(org, quote, told, note)
            summary += f" (e-mail to {', '.join(u.email for u in told)})"
            data = {"outbox_id": messages[0].id, "told": [u.id for u in told]}
            if len(messages) > 1:  # one e-mail per language
                data["outbox_ids"] = [m.id for m in messages]
    audit.record(org, actor, f"document.{quote.status}", quote, summary=summary, **data)


def owners_to_tell(org: Organization, quote: Document) -> list[User]:
    """Who hears of the customer's decision: the member who created the quote, else the one who issued it
    (while they are still members), else the organization's owners."""
    issued_by = db.session.scalar(
        select(AuditEvent.actor_id).where(AuditEvent.org_id == org.id, AuditEvent.object_type == "document",
                                          AuditEvent.object_id == quote.id, AuditEvent.action == "document.issued")
        .order_by(AuditEvent.id.desc()).limit(1))
    members = select(User).join(Membership, Membership.user_id == User.id).where(Membership.org_id == org.id)
    for user_id in dict.fromkeys(i for i in (quote.created_by_id, issued_by) if i is not None):
        user = db.session.scalar(members.where(User.id == user_id))
        if user is not None:
            return [user]
    return list(db.session.scalars(members.where(Membership.role == "owner").order_by(User.id)))


def _tell(org: Organization, quote: Document, told: list[User], note: str) -> list[OutboxMessage]:
    """The e-mail to the members told of the customer's decision, in each member's language: one message per
    language (the members reading the same one share it), amounts in their locale."""
    by_language: dict[str, list[User]] = {}
    for user in told:
        by_language.setdefault(user_language(user, org), []).append(user)
    messages = []
    for language, users in by_language.items():
        with customer_language(language):
            message = mail.queue(kind=f"quote_{quote.status}", to=[u.email for u in users],
                                 template="quote_decision", org=org,
                                 context={"quote": quote, "org": org, "note": note, "told": users,
                                          "locale": locale_for(org, users[0]),
                                          "link": mail.external_url("invoices.show", document_id=quote.id)})
        message.document_id = quote.id  # about the quote: its timeline shows the delivery
        messages.append(message)
    return messages


def converted_invoice(quote: Document) -> Document | None:
    return db.session.scalar(select(Document).where(Document.org_id == quote.org_id, Document.kind == "invoice",
                                                    Document.related_id == quote.id))


def convert(org: Organization, actor: User, quote: Document) -> Document:
    """The accepted quote as an invoice draft, linked both ways (the invoice's ``related_id`` is the quote)."""
    require(quote, "convert")
    existing = converted_invoice(quote)
    if existing is not None:
        if existing.number:
            raise ActionError("already_converted", "Quote {number} was already converted into {invoice}.",
                              number=quote.number, invoice=existing.number)
        raise ActionError("already_converted", "Quote {number} was already converted into an invoice draft.",
                          number=quote.number)
    invoice = drafts.copy_document(org, actor, quote, kind="invoice")
    if quote.customer_reference:
        invoice.customer_reference = quote.customer_reference
    audit.record(org, actor, "document.converted", quote,
                 summary=f"{actor.email} converted quote {quote.number} into an invoice draft", invoice_id=invoice.id)
    return invoice
