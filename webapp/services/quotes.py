"""Quotes after they are sent: accepted or declined (by the customer on the public page, or recorded by a
member), expired after ``valid_until`` (derived, never stored), converted into an invoice draft."""
from __future__ import annotations

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.models import Document, Organization, User
from webapp.models.types import utcnow
from webapp.services import audit, drafts
from webapp.services.state import require


def decide(org: Organization, actor: User | None, quote: Document, action: str, note: str = "") -> None:
    """``action`` is "accept" or "decline"; ``actor`` None means the customer on the public page."""
    require(quote, action)
    quote.status = status_table.next_status(quote.kind, quote.current_status, action)
    quote.decided_at = utcnow()
    who = actor.email if actor is not None else f"{quote.buyer_name} (on the quote's page)"
    audit.record(org, actor, f"document.{quote.status}", quote,
                 summary=f"{who} {quote.status} quote {quote.number}" + (f": {note}" if note else ""))


def converted_invoice(quote: Document) -> Document | None:
    return db.session.scalar(select(Document).where(Document.org_id == quote.org_id, Document.kind == "invoice",
                                                    Document.related_id == quote.id))


def convert(org: Organization, actor: User, quote: Document) -> Document:
    """The accepted quote as an invoice draft, linked both ways (the invoice's ``related_id`` is the quote)."""
    require(quote, "convert")
    existing = converted_invoice(quote)
    if existing is not None:
        raise ActionError("already_converted", f"Quote {quote.number} was already converted into "
                            f"{existing.number or 'an invoice draft'}.")
    invoice = drafts.copy_document(org, actor, quote, kind="invoice")
    if quote.customer_reference:
        invoice.customer_reference = quote.customer_reference
    audit.record(org, actor, "document.converted", quote,
                 summary=f"{actor.email} converted quote {quote.number} into an invoice draft", invoice_id=invoice.id)
    return invoice
