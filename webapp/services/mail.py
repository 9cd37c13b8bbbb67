"""E-mail through the outbox.

``queue`` writes a message in the caller's transaction; ``deliver_due`` sends
queued messages after the fact, over SMTP or, with no ``MAIL_SERVER``
configured, into ``.eml`` files under ``MAIL_FILE_DIR``. Each message is claimed,
sent and committed on its own, so a crash loses nothing and repeats at most the
message in hand; failures are retried with exponential backoff.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template

from webapp.extensions import db
from webapp.services import claims
from webapp.models import Organization, OutboxMessage
from webapp.models.outbox import FAILED, QUEUED, SENT
from webapp.models.types import utcnow

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# A message claimed by a deliverer that died is taken up again after this long.
CLAIM_LEASE = timedelta(minutes=10)
SENDER_MAX = 320  # the outbox's columns for From and Reply-To
HEADER_UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")  # the email package refuses these in headers


def addresses(value: str | list[str]) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(HEADER_UNSAFE_RE.sub("", a).strip() for a in items if a and a.strip())


def external_url(endpoint: str, **values) -> str:
    """An absolute URL built from ``BASE_URL``, never from the request's Host header."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def sender_of(org: Organization | None) -> tuple[str, str]:
    """(From, Reply-To) of a message: the organization's sender name before the address of MAIL_DEFAULT_SENDER
    (the envelope sender stays the configured one, so SPF/DKIM hold) and its Reply-To address. Account mail
    (no organization) comes from MAIL_DEFAULT_SENDER as configured, without Reply-To."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    if org is None:
        return configured, ""
    configured_name, address = parseaddr(configured)
    name = HEADER_UNSAFE_RE.sub(" ", org.sender_name or configured_name).strip()[:100]
    try:
        sender = str(Address(display_name=name, addr_spec=address)) if address else configured
    except (ValueError, IndexError):  # an address the email package cannot parse: keep the configured line
        sender = configured
    if len(sender) > SENDER_MAX:
        sender = address
    return sender, addresses(org.reply_address)[:SENDER_MAX]


def header_text(text: str) -> str:
    """A subject as it can go into a header: one line, at most 300 characters."""
    return HEADER_UNSAFE_RE.sub(" ", text).strip()[:300]


def queue(*, kind: str, to: str | list[str], template: str, context: dict, org: Organization | None = None,
          cc: str | list[str] = "") -> OutboxMessage:
    """Render ``templates/email/<template>.{txt,html}`` and add the message to the outbox (flush only).

    The subject is the first line of the text template, the body the rest.
    """
    text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"email/{template}.html", **context)
    return queue_message(kind=kind, org=org, to=to, cc=cc, subject=subject, body_text=body.lstrip("\n"),
                         body_html=html)


def queue_message(*, kind: str, to: str | list[str], subject: str, body_text: str, body_html: str = "",
                  org: Organization | None = None, cc: str | list[str] = "", document=None,
                  attach_pdf: bool = False, idempotency_key: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (flush only)."""
    sender_domain = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    sender, reply_to = sender_of(org)
    message = OutboxMessage(
        org_id=org.id if org is not None else None,
        kind=kind,
        sender=sender,
        reply_to=reply_to,
        to_addrs=addresses(to),
        cc_addrs=addresses(cc),
        subject=header_text(subject),
        body_text=body_text,
        body_html=body_html,
        message_id=make_msgid(domain=sender_domain),
        status=QUEUED,
        next_attempt_at=utcnow(),
        document_id=document.id if document is not None else None,
        attach_pdf=attach_pdf and document is not None,
        idempotency_key=idempotency_key,
    )
    db.session.add(message)
    db.session.flush()
    return message


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.to_addrs
    if message.cc_addrs:
        email["Cc"] = message.cc_addrs
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.attach_pdf:
        data, name = _stored_pdf(message)
        email.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    if message.document_id and message.kind in E_INVOICE_MAIL_KINDS:
        attachment = _einvoice_xml(message)
        if attachment is not None:
            email.add_attachment(attachment[0], maintype="application", subtype="xml", filename=attachment[1])
    return email


E_INVOICE_MAIL_KINDS = ("invoice", "credit_note")  # the messages that send a document (services/sending.send)


def einvoice_attachment(doc) -> str | None:
    """The e-invoice format an e-mail of ``doc`` attaches as XML: the customer's XRechnung (UBL or CII), always,
    since for those customers the XML is the invoice (the PDF stays optional); None for every other format (a
    Factur-X is inside the PDF) and for drafts and quotes."""
    from webapp.domain.einvoice import XRECHNUNG
    from webapp.services.einvoice_xml import effective_format

    if doc.is_draft or doc.kind not in E_INVOICE_MAIL_KINDS:
        return None
    fmt = effective_format(doc)
    return fmt if fmt in XRECHNUNG else None


def _einvoice_xml(message: OutboxMessage) -> tuple[bytes, str] | None:
    """The XRechnung of the message's document as stored at issue (read now, at delivery: never built anew
    differently) and its file name; None when its customer gets no XRechnung."""
    from webapp.models import Document
    from webapp.services import einvoice_xml

    doc = db.session.get(Document, message.document_id)
    fmt = einvoice_attachment(doc) if doc is not None else None
    if fmt is None:
        return None
    return einvoice_xml.document_xml(doc, db.session.get(Organization, doc.org_id), fmt), einvoice_xml.filename(doc, fmt)


def _stored_pdf(message: OutboxMessage) -> tuple[bytes, str]:
    """The stored PDF of the message's document and its file name (the bytes issued, never re-rendered)."""
    from webapp.models import Document
    from webapp.services.pdf import filename

    doc = db.session.get(Document, message.document_id) if message.document_id else None
    if doc is None or doc.pdf is None:
        raise ValueError("the document to attach no longer has a stored PDF")
    return doc.pdf, filename(doc)


class SMTPTransport:
    """One SMTP connection for a delivery run, opened on first use."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def send(self, message: OutboxMessage) -> str:
        if self.connection is None:
            self.connection = self._connect()
        self.connection.send_message(build_email(message), to_addrs=message.recipients)
        return ""

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c["MAIL_USE_SSL"]:
            conn = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"],
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"])
            if c["MAIL_USE_TLS"]:
                conn.starttls(context=ssl.create_default_context())
        if c["MAIL_USERNAME"]:
            conn.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
        return conn

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            self.connection = None

    def reset(self) -> None:
        """Drop a connection that failed, so the next message reconnects."""
        if self.connection is not None:
            try:
                self.connection.close()
            except OSError:
                pass
        self.connection = None


class FileTransport:
    """Development delivery: one .eml file per message under MAIL_FILE_DIR."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def send(self, message: OutboxMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{message.created_at:%Y%m%d-%H%M%S}-{message.id}.eml"
        (self.directory / name).write_bytes(bytes(build_email(message)))
        return name

    def close(self) -> None:
        pass

    def reset(self) -> None:
        pass


def make_transport(config):
    if config["MAIL_SERVER"]:
        return SMTPTransport(config)
    return FileTransport(config["MAIL_FILE_DIR"])


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _claim_next(now: datetime, skip: set[int]) -> OutboxMessage | None:
    return claims.claim_next(OutboxMessage, now, skip, CLAIM_LEASE)


def deliver_due(now: datetime | None = None, limit: int = 100, transport=None) -> DeliveryReport:
    """Send up to ``limit`` due messages, each claimed, sent and committed on its own."""
    config = current_app.config
    now = now or utcnow()
    transport = transport or make_transport(config)
    report = DeliveryReport()
    tried: set[int] = set()
    try:
        while len(report.sent) + len(report.retrying) + len(report.failed) < limit:
            message = _claim_next(now, tried)
            if message is None:
                break
            tried.add(message.id)
            try:
                message.delivered_file = transport.send(message) or ""
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
                transport.reset()
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"] or not isinstance(exc, (smtplib.SMTPException, OSError)):
                    message.status = FAILED  # out of attempts, or a message that can never be sent
                    report.failed.append(message.id)
                else:
                    message.status = QUEUED
                    message.next_attempt_at = now + backoff(message.attempts)
                    report.retrying.append(message.id)
                current_app.logger.warning("outbox message %s not delivered: %s", message.id, message.last_error)
            else:
                message.status = SENT
                message.sent_at = utcnow()
                message.last_error = ""
                report.sent.append(message.id)
            db.session.commit()
    finally:
        transport.close()
    return report
