"""The e-mail a program asks to send with an invoice: the body of ``POST /invoices/{id}/send`` and the
``email_details`` of ``POST /invoices`` (seed 004), one model. What it leaves out is what the web's send dialog
pre-fills (``services.sending.compose``): the customer's e-mail, the organization's subject and message
templates (or the default texts in the customer's language), the organization's "attach the PDF" setting."""
from __future__ import annotations

import hashlib

from flask import request
from pydantic import AliasChoices, Field

from webapp.api.schemas import Flag, Input, text
from webapp.services.sending import MAX_BODY, MAX_RECIPIENTS, MAX_SUBJECT, Message

Address = text(320, examples=["jane@example.com"])


class EmailDetails(Input):
    """An invoice's e-mail. ``subject`` and ``body`` may use the placeholders {customer_name}, {number},
    {total}, {due_date}, {link} and {company}."""
    to: list[Address] | None = Field(None, max_length=MAX_RECIPIENTS, description=(
        "The recipients; default: the customer's e-mail address"))
    cc: list[Address] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    subject: text(MAX_SUBJECT, "Default: the organization's subject template", examples=[
        "Invoice {number} from {company}"]) | None = None
    body: text(MAX_BODY, "The message; default: the organization's message template") | None = Field(
        None, validation_alias=AliasChoices("body", "message"))
    attach_pdf: Flag | None = Field(None, description="Attach the stored PDF; default: the organization's "
                                                      "setting (Settings -> E-mail; on unless turned off)")


def request_key() -> str:
    """The request's ``Idempotency-Key`` as the key the outbox and payments keep (at most 64 characters: a
    longer key is hashed), or ""."""
    key = request.headers.get("Idempotency-Key", "").strip()
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def message_of(details: EmailDetails | None) -> Message | None:
    """The use case's ``Message`` (the request's Idempotency-Key as its key: a retried request queues one
    e-mail); None for None."""
    if details is None:
        return None
    return Message(to=tuple(details.to) if details.to is not None else None, cc=tuple(details.cc),
                   subject=details.subject, body=details.body, attach_pdf=details.attach_pdf, key=request_key())


def field_map(prefix: str = "") -> dict[str, str]:
    """The send use case's fields -> the API's (``email_details.to`` inside ``POST /invoices``)."""
    return {name: f"{prefix}.{name}" if prefix else name for name in ("to", "cc", "subject", "body")}
