"""Sending issued invoices by e-mail: the message from the organization's template, through the outbox.

The subject and body are templates with placeholders (``domain/placeholders.py``: ``{customer_name}``,
``{number}``, ``{total}``, ``{due_date}``, ``{link}``, ``{company}``). An organization that has not written
its own gets the default text in the customer's language.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from email_validator import EmailNotValidError, validate_email
from flask import render_template
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select

from webapp.domain.errors import ActionError, InvalidInput, Text
from webapp.domain.placeholders import PLACEHOLDERS, fill, unknown_placeholders
from webapp.extensions import db
from webapp.i18n import customer_language, document_locale, format_day, format_money
from webapp.models import Document, Organization, OutboxMessage, User
from webapp.models.types import utcnow
from webapp.services import audit, mail
from webapp.services.links import new_public_link, public_link
from webapp.services.state import require


def _n(text: str) -> str:
    """Marks a default text for the message catalogs; translated in the customer's language when used."""
    return text


DEFAULT_SUBJECT = _n("Invoice {number} from {company}")
DEFAULT_QUOTE_SUBJECT = _n("Quote {number} from {company}")
DEFAULT_QUOTE_BODY = _n("Dear {customer_name},\n\nhere is our quote {number} of {total}, valid until {due_date}.\n\n"
                        "You can view it, download it and accept it here:\n{link}\n\nKind regards,\n{company}")
DEFAULT_CREDIT_SUBJECT = _n("Credit note {number} from {company}")
DEFAULT_CREDIT_BODY = _n("Dear {customer_name},\n\nhere is credit note {number} of {total}.\n\n"
                         "You can view and download it here:\n{link}\n\nKind regards,\n{company}")
DEFAULT_BODY = _n("Dear {customer_name},\n\nhere is invoice {number} of {total}, due on {due_date}.\n\n"
                  "You can view and download it here:\n{link}\n\nKind regards,\n{company}")
MAX_RECIPIENTS = 10
MAX_SUBJECT, MAX_BODY = 300, 20000


def placeholder_values(doc: Document, org: Organization, link: str | None) -> dict[str, str]:
    """What the placeholders stand for, formatted in the customer's language. Without a link, ``{link}`` stays."""
    locale = document_locale(doc, org)
    values = {
        "customer_name": (doc.buyer or {}).get("person_name") or doc.buyer_name,
        "number": doc.number or "",
        "total": format_money(abs(doc.gross_total), doc.currency, locale),
        "due_date": format_day(doc.valid_until if doc.kind == "quote" else doc.due_date, locale),
        "company": (doc.seller or {}).get("name") or org.name,
    }
    if link:
        values["link"] = link
    return values


@dataclass
class Draft:
    """The send dialog's contents."""
    to: str
    cc: str
    subject: str
    body: str
    attach_pdf: bool
    key: str = ""  # idempotency key of the dialog: sending the same dialog twice queues one message


@dataclass(frozen=True)
class Message:
    """What a program asks to send (the API's send body, ``email_details``): a field left None takes the send
    dialog's default (``compose``: the customer's e-mail, the organization's or the default texts, its PDF
    setting)."""
    to: tuple[str, ...] | None = None
    cc: tuple[str, ...] = ()
    subject: str | None = None
    body: str | None = None
    attach_pdf: bool | None = None
    key: str = ""


def draft_for(doc: Document, org: Organization, message: Message) -> Draft:
    """The dialog as ``message`` fills it in: what it leaves out is what the dialog pre-fills."""
    base = compose(doc, org)
    return Draft(to=", ".join(message.to) if message.to is not None else base.to, cc=", ".join(message.cc),
                 subject=base.subject if message.subject is None else message.subject,
                 body=base.body if message.body is None else message.body,
                 attach_pdf=base.attach_pdf if message.attach_pdf is None else message.attach_pdf,
                 key=message.key or base.key)


def split_addresses(value: str | list[str] | tuple[str, ...]) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    return [a.strip() for item in items for a in re.split(r"[,;\s]+", item or "") if a.strip()]


def normalize_addresses(value: str | list[str] | tuple[str, ...], required: bool, field: str = "to") -> str:
    """A list of e-mail addresses checked and normalized ("a@x.com, b@y.com"); refused (``ActionError`` on
    ``field``) when one is not an address, there are too many, or none where one is required."""
    found = split_addresses(value)
    if not found:
        if required:
            raise ActionError("recipient_required", "Enter the recipient's e-mail address.", field)
        return ""
    if len(found) > MAX_RECIPIENTS:
        raise ActionError("too_many_recipients", "At most {max} addresses.", field, max=MAX_RECIPIENTS)
    normalized = []
    for address in found:
        try:
            normalized.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError:
            raise ActionError("invalid_email", "“{address}” is not a valid e-mail address.", field,
                              address=address[:100]) from None
    return ", ".join(dict.fromkeys(normalized))


def _text_errors(name: str, value: str, maximum: int, missing: Text) -> list[ActionError]:
    if not (value or "").strip():
        return [ActionError(f"{name}_required", missing, name)]
    if len(value) > maximum:
        return [ActionError(f"{name}_too_long", "At most {max} characters.", name, max=maximum)]
    unknown = unknown_placeholders(value)
    if unknown:
        return [ActionError("unknown_placeholder", "Unknown placeholder {unknown}. Use {known}.", name,
                            unknown=", ".join("{" + u + "}" for u in unknown),
                            known=", ".join("{" + p + "}" for p in PLACEHOLDERS))]
    return []


def check(draft: Draft) -> Draft:
    """The dialog's contents checked (the same rules as the send form's): recipients, subject and message;
    the addresses normalized. Every mistake at once (``InvalidInput``), each naming its field."""
    errors: list[ActionError] = []
    addresses_ = {}
    for name, required in (("to", True), ("cc", False)):
        try:
            addresses_[name] = normalize_addresses(getattr(draft, name), required, name)
        except ActionError as exc:
            errors.append(exc)
    errors += _text_errors("subject", draft.subject, MAX_SUBJECT, Text("Enter a subject."))
    errors += _text_errors("body", draft.body, MAX_BODY, Text("Enter the message."))
    if errors:
        raise InvalidInput(errors)
    return replace(draft, **addresses_)


def compose(doc: Document, org: Organization) -> Draft:
    """The dialog prefilled: the customer's e-mail and the organization's (or the default) texts.

    The texts keep their ``{placeholders}``: they are filled once, when the message is sent, so the link
    is the one valid then and a customer named "Team {company}" stays as written.
    """
    with customer_language(document_locale(doc, org)):
        if doc.kind == "quote":
            subject, body = gettext(DEFAULT_QUOTE_SUBJECT), gettext(DEFAULT_QUOTE_BODY)
        elif doc.kind == "credit_note":
            subject, body = gettext(DEFAULT_CREDIT_SUBJECT), gettext(DEFAULT_CREDIT_BODY)
        else:
            subject = org.invoice_email_subject or gettext(DEFAULT_SUBJECT)
            body = org.invoice_email_body or gettext(DEFAULT_BODY)
    contact_email = doc.contact.email if doc.contact is not None else ""
    return Draft(to=contact_email or (doc.buyer or {}).get("email", ""), cc="", subject=subject, body=body,
                 attach_pdf=org.invoice_email_attach_pdf, key=secrets.token_urlsafe(16))


def preview(doc: Document, org: Organization, subject: str, body: str) -> tuple[str, str]:
    """Subject and body as the customer will read them (a missing link shows as a note)."""
    values = placeholder_values(doc, org, public_link(doc) or "[a new customer link, made when sending]")
    return fill(subject, values), fill(body, values)


def matches(message: OutboxMessage, doc: Document, org: Organization, draft: Draft) -> bool:
    """Whether ``message`` is what sending ``draft`` for ``doc`` would queue (the same form sent twice)."""
    values = placeholder_values(doc, org, public_link(doc))
    return (message.document_id == doc.id and message.to_addrs == mail.addresses(draft.to)
            and message.cc_addrs == mail.addresses(draft.cc) and message.attach_pdf == draft.attach_pdf
            and message.subject == mail.header_text(fill(draft.subject, values))
            and message.body_text == fill(draft.body, values))


def body_html(text: str) -> Markup:
    """The plain-text body as HTML: escaped, paragraphs kept, links clickable."""
    from flask import current_app

    linkify = current_app.jinja_env.filters["linkify"]
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(linkify(line) for line in p.split("\n")))
                           for p in paragraphs)


def already_sent(org: Organization, key: str) -> OutboxMessage | None:
    if not key:
        return None
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.org_id == org.id,
                                                         OutboxMessage.idempotency_key == key))


def send(org: Organization, actor: User, doc: Document, message: Draft) -> OutboxMessage:
    """Queue the e-mail (same transaction), mark the invoice sent and record it on its timeline.

    Placeholders left in the texts are filled now; a revoked customer link is replaced by a new one
    when the text asks for ``{link}``.
    """
    require(doc, "send")
    if "{link}" in message.subject + message.body and doc.public_token is None:
        new_public_link(org, actor, doc)
    values = placeholder_values(doc, org, public_link(doc))
    subject, body = fill(message.subject, values), fill(message.body, values)
    locale = document_locale(doc, org)
    with customer_language(locale):
        html = render_template("email/invoice.html", body=body_html(body), doc=doc, locale=locale)
    outbox = mail.queue_message(kind=doc.kind, org=org, to=message.to, cc=message.cc, subject=subject,
                                body_text=body, body_html=html, document=doc, attach_pdf=message.attach_pdf,
                                idempotency_key=message.key or None)
    doc.sent_at = utcnow()
    recipients = ", ".join(outbox.recipients)
    xml = mail.einvoice_attachment(doc)  # an XRechnung goes along always (build_email reads it at delivery)
    attached = " and ".join(([("the PDF")] if message.attach_pdf else []) + ([f"the {xml} XML"] if xml else []))
    audit.record(org, actor, "document.sent", doc,
                 summary=f"{actor.email} sent {doc.number} to {recipients}"
                         + (f" with {attached} attached" if attached else ""),
                 outbox_id=outbox.id, to=outbox.to_addrs, cc=outbox.cc_addrs, attach_pdf=message.attach_pdf,
                 **({"attach_xml": xml} if xml else {}))
    db.session.flush()
    return outbox
