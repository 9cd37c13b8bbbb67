"""Webhooks: events written in the transaction of the change (an outbox, as the e-mails), delivered by the
worker, signed per the Standard Webhooks spec.

- **Emission**: ``audit.record`` calls ``on_audit`` for every audit event; the actions that are webhook events
  (``EVENTS_OF_ACTIONS``) become one ``WebhookDelivery`` row per enabled endpoint of the organization that
  wants the event, in the caller's transaction (one query for the endpoints; nothing is written when there
  are none). ``data`` is the object as it was at the event (a small payload built here from the row in hand,
  no further queries).
- **Delivery**: ``deliver_due`` claims due rows one by one (a conditional UPDATE committed before sending, as
  the e-mail outbox: two workers never send the same row), POSTs the body with the ``webhook-id``,
  ``webhook-timestamp`` and ``webhook-signature`` headers, logs the attempt and retries with backoff
  (``SCHEDULE``) until three days after the event, then gives up (``failed``).
- **SSRF guard**: the URL's host is resolved once (``resolve``), every address must be public (``refusal``),
  and the connection goes to the vetted address (no second lookup), with the Host header and TLS SNI of the
  URL's name; redirects are not followed, the timeout is 5 seconds, at most 64 KB of the answer are read.
  ``WEBHOOKS_ALLOW_PRIVATE`` (tests, development) lets loopback and private addresses through.
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from standardwebhooks import Webhook

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.services import claims, deductions
from webapp.models import Contact, Document, Organization, Payment, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webapp.models.types import utcnow
from webapp.models.webhook import DELIVERED, FAILED, QUEUED

EVENT_TYPES = (
    "invoice.created", "invoice.finalized", "invoice.sent", "invoice.viewed", "invoice.paid", "invoice.cancelled",
    "invoice.reactivated", "payment.recorded", "credit_note.finalized", "quote.accepted", "quote.declined",
    "customer.created", "customer.updated",
)
# audit action -> {document kind -> event}: sales documents only (a purchase invoice is the supplier's)
EVENTS_OF_ACTIONS = {
    "document.created": {"invoice": "invoice.created"},
    "document.duplicated": {"invoice": "invoice.created"},  # a copy: duplicate, reactivate, a converted quote
    "document.issued": {"invoice": "invoice.finalized", "credit_note": "credit_note.finalized"},
    "document.sent": {"invoice": "invoice.sent"},
    "document.viewed": {"invoice": "invoice.viewed"},
    "document.cancelled": {"invoice": "invoice.cancelled"},
    "document.reactivated": {"invoice": "invoice.reactivated"},
    "document.accepted": {"quote": "quote.accepted"},
    "document.declined": {"quote": "quote.declined"},
}
CONTACT_EVENTS = {"contact.created": "customer.created", "contact.updated": "customer.updated"}

TIMEOUT = 5.0  # seconds, to connect and for each read
MAX_RESPONSE = 64 * 1024  # bytes of the receiver's answer read (and the first 500 kept in the log)
RETRY_FOR = timedelta(days=3)
# the wait after the 1st, 2nd ... failed attempt; the last repeats until RETRY_FOR after the event has passed
SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
            timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20))
CLAIM_LEASE = timedelta(minutes=2)  # a delivery claimed by a worker that died is taken up again after this
MAX_URL = 2000
USER_AGENT = "Tallybook-Webhooks/1.0"


# --- endpoints ------------------------------------------------------------------------------------

def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def check_url(url: str) -> str:
    """The URL as stored, or an ActionError on ``url``: http or https, a host, no user name or password. The
    addresses are checked at each delivery (a name may point elsewhere by then)."""
    url = (url or "").strip()
    if not url:
        raise ActionError("url_required", "Enter the URL that receives the events.", "url")
    if len(url) > MAX_URL:
        raise ActionError("url_too_long", "At most {count} characters.", "url", count=MAX_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ActionError("invalid_url", "Enter a whole URL, e.g. https://shop.example.com/hooks/tallybook.",
                          "url") from None
    if parts.scheme not in ("http", "https"):
        raise ActionError("invalid_url_scheme", "The URL must start with https:// (or http://).", "url")
    if not parts.hostname:
        raise ActionError("invalid_url", "Enter a whole URL, e.g. https://shop.example.com/hooks/tallybook.", "url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ActionError("url_with_credentials", "Leave the user name and password out of the URL: every event "
                          "is signed with the endpoint's secret instead.", "url")
    if port == 0 or any(c.isspace() for c in url):
        raise ActionError("invalid_url", "Enter a whole URL, e.g. https://shop.example.com/hooks/tallybook.", "url")
    return url


def check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ActionError("unknown_event", "There is no event {event}.", "events", event=unknown[0][:60])
    return [e for e in EVENT_TYPES if e in events]  # in the list's order, once each


def endpoints_of(org_id: int) -> list[WebhookEndpoint]:
    return db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id)
                              .order_by(WebhookEndpoint.id)).all()


# --- emission -------------------------------------------------------------------------------------

def on_audit(org: Organization, action: str, obj, data: dict) -> None:
    """The webhook events of an audit event (``audit.record`` calls this in the change's transaction)."""
    if isinstance(obj, Document):
        if obj.flow != status_table.SALES:
            return
        if action == "payment.recorded" and obj.kind == status_table.INVOICE:
            payment = db.session.get(Payment, data.get("payment_id")) if data.get("payment_id") else None
            if payment is None:
                return
            emit(org, "payment.recorded", payment_data(payment, obj))
            before = status_table.payment_state(obj.gross_total, obj.credited_total, obj.paid_total - payment.amount)
            settled = (status_table.PAID, status_table.OVERPAID)
            if obj.payment_state in settled and before not in settled:
                emit(org, "invoice.paid", invoice_data(obj))
            return
        event_type = EVENTS_OF_ACTIONS.get(action, {}).get(obj.kind)
        if event_type is None:
            return
        extra = {}
        if action == "document.cancelled" and data.get("credit_note_id"):
            extra["credit_note_id"] = str(data["credit_note_id"])
        if action == "document.reactivated" and data.get("copy_id"):
            extra["reactivated_as_id"] = str(data["copy_id"])
        emit(org, event_type, {**invoice_data(obj), **extra})
    elif isinstance(obj, Contact) and action in CONTACT_EVENTS and obj.is_customer:
        emit(org, CONTACT_EVENTS[action], customer_data(obj))


def emit(org: Organization, event_type: str, data: dict) -> list[WebhookDelivery]:
    """Queue the event for every enabled endpoint of ``org`` that wants it (flushed with the caller's change)."""
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org.id, WebhookEndpoint.enabled.is_(True))) if e.wants(event_type)]
    if not endpoints:
        return []
    now = utcnow()
    event_id = "msg_" + secrets.token_urlsafe(18)
    payload = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data}, ensure_ascii=False,
                         separators=(",", ":"), default=_json_value)
    rows = [WebhookDelivery(org_id=org.id, endpoint_id=e.id, event_id=event_id, event_type=event_type,
                            payload=payload, status=QUEUED, attempts=0, next_attempt_at=now, last_error="",
                            created_at=now) for e in endpoints]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a webhook payload")


def payment_status(doc: Document) -> str | None:
    """As the API states it: OPEN, DUE (unpaid past the due date), PARTIALLY_PAID, PAID, OVERPAID, CREDITED."""
    state = doc.payment_state
    if state is None:
        return None
    if state == status_table.UNPAID:
        return "DUE" if doc.is_overdue else "OPEN"
    return state.upper()


def invoice_data(doc: Document) -> dict:
    """An invoice, credit note or quote as events carry it: the API's main fields, from the row in hand."""
    due = doc.amount_due
    invoice = doc.kind == status_table.INVOICE and not doc.is_draft
    return {
        "id": str(doc.id), "object": "invoice", "kind": doc.kind, "flow": doc.flow, "status": doc.current_status,
        "document_number": doc.number, "document_date": doc.issue_date, "due_date": doc.due_date,
        "currency": doc.currency, "customer_id": str(doc.contact_id) if doc.contact_id else None,
        "customer_name": doc.buyer_name, "total_extratax_amount": doc.net_total,
        "total_tax_amount": doc.tax_total, "total_tax_included_amount": doc.gross_total,
        "payment_status": payment_status(doc), "amount_due": max(due, 0) if invoice else 0,
        "amount_paid": deductions.paid_in_money(doc), "amount_credited": doc.credited_total,
        "amount_prepaid": doc.prepaid_total,  # the advance invoices a final invoice deducts (frozen at issue)
        "related_id": str(doc.related_id) if doc.related_id else None,
    }


def customer_data(contact: Contact) -> dict:
    return {
        "id": str(contact.id), "object": "customer", "display_name": contact.display_name,
        "company": contact.company_name, "person_name": contact.person_name, "email": contact.email,
        "locale": contact.locale, "currency": contact.currency, "vat_number": contact.vat_id,
        "country_code": contact.country, "is_business": contact.is_business, "archived": contact.archived,
    }


def payment_data(payment: Payment, doc: Document) -> dict:
    return {
        "id": str(payment.id), "object": "payment", "invoice_id": str(doc.id), "document_number": doc.number,
        "customer_id": str(doc.contact_id) if doc.contact_id else None, "amount": payment.amount,
        "currency": payment.currency, "paid_on": payment.paid_on, "method": payment.method,
        "reference": payment.reference, "invoice_payment_status": payment_status(doc),
        "invoice_amount_due": max(doc.amount_due, 0),
    }


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (same ``webhook-id`` and body) to the same endpoint, due now."""
    now = utcnow()
    again = WebhookDelivery(org_id=delivery.org_id, endpoint_id=delivery.endpoint_id, event_id=delivery.event_id,
                            event_type=delivery.event_type, payload=delivery.payload, status=QUEUED, attempts=0,
                            next_attempt_at=now, last_error="", created_at=now, resent_from_id=delivery.id)
    db.session.add(again)
    db.session.flush()
    return again


# --- the SSRF guard -------------------------------------------------------------------------------

class Refused(Exception):
    """A delivery not attempted: the URL's host resolves to an address deliveries never reach."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the one lookup of a delivery; tests stub this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def refusal(address: str, allow_private: bool = False) -> str | None:
    """Why deliveries never go to ``address`` (None: they may): loopback, private, link-local (cloud metadata),
    multicast, reserved, unspecified or otherwise not global. ``allow_private`` lets loopback and private
    addresses through (tests, development), never link-local, multicast, reserved or unspecified ones."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return None if allow_private else "loopback"
    if ip.is_private:
        return None if allow_private else "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return None if allow_private else "not public"
    return None


def vetted_address(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: ``host`` resolved once, and every address it has must be allowed."""
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"could not resolve {host}: {exc}") from exc
    if not addresses:
        raise Refused(f"{host} has no address")
    for address in addresses:
        reason = refusal(address, allow_private)
        if reason is not None:
            raise Refused(f"{host} resolves to {address}, a {reason} address: webhooks are never delivered there")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the vetted address; the Host header names the URL's host."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the vetted address; SNI and the certificate check use the URL's host."""

    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Answer:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


def post(url: str, body: str, headers: dict[str, str], allow_private: bool = False) -> Answer:
    """POST ``body`` to ``url`` through the guard; never raises for the network's or the receiver's failures."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme not in ("http", "https") or not host or parts.username is not None:
            raise Refused("not an http(s) URL without credentials")
        address = vetted_address(host, port, allow_private)
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(host, address, port, TIMEOUT, ssl.create_default_context())
        else:
            connection = _PinnedHTTPConnection(host, address, port, TIMEOUT)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            text = response.read(MAX_RESPONSE)
        finally:
            connection.close()
    except Refused as exc:
        return Answer(None, f"refused: {exc}"[:2000], took())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:2000], took())
    code = response.status
    if 300 <= code < 400:
        return Answer(code, f"redirect to {response.getheader('Location', '')[:300]} not followed", took())
    if not 200 <= code < 300:
        return Answer(code, f"HTTP {code}: {text[:500].decode('utf-8', 'replace')}", took())
    return Answer(code, "", took())


# --- delivery -------------------------------------------------------------------------------------

def signed_headers(delivery: WebhookDelivery, secret: str, now: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks' headers for the delivery's body, signed now."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.event_id, now, delivery.payload),
    }


def next_attempt(delivery: WebhookDelivery, now: datetime) -> datetime | None:
    """When to try again after the delivery's ``attempts``-th failure; None: three days are over, give up."""
    wait = SCHEDULE[min(delivery.attempts, len(SCHEDULE)) - 1] if delivery.attempts else SCHEDULE[0]
    when = now + wait
    return when if when <= delivery.created_at + RETRY_FOR else None


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _claim_next(now: datetime, skip: set[int]) -> WebhookDelivery | None:
    return claims.claim_next(WebhookDelivery, now, skip, CLAIM_LEASE)


def _record(delivery: WebhookDelivery, answer: Answer, enabled: bool, now: datetime, report: DeliveryReport) -> None:
    finished = utcnow()
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=finished, status_code=answer.status_code,
                                  error=answer.error, duration_ms=answer.duration_ms))
    if answer.ok:
        delivery.status, delivery.delivered_at = DELIVERED, finished
        report.delivered.append(delivery.id)
        return
    when = next_attempt(delivery, max(now, finished)) if enabled else None
    if when is None:
        delivery.status = FAILED
        report.failed.append(delivery.id)
    else:
        delivery.status, delivery.next_attempt_at = QUEUED, when
        report.retrying.append(delivery.id)
    current_app.logger.warning("webhook delivery %s not delivered: %s", delivery.id, answer.error)


def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send up to ``limit`` due deliveries, each claimed, sent and committed on its own."""
    allow_private = bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))
    now = now or utcnow()
    report = DeliveryReport()
    tried: set[int] = set()
    while len(report.delivered) + len(report.retrying) + len(report.failed) < limit:
        delivery = _claim_next(now, tried)
        if delivery is None:
            break
        delivery_id = delivery.id
        tried.add(delivery_id)
        endpoint = delivery.endpoint
        enabled = endpoint.enabled
        if not enabled:
            answer = Answer(None, "the endpoint is disabled", 0)
        else:
            url, body, headers = endpoint.url, delivery.payload, signed_headers(delivery, endpoint.secret)
            db.session.commit()  # no transaction stays open while the receiver answers
            answer = post(url, body, headers, allow_private)
        try:
            _record(delivery, answer, enabled, now, report)
            db.session.commit()
        except (ObjectDeletedError, StaleDataError):  # the endpoint (and its deliveries) was deleted meanwhile
            db.session.rollback()
    return report
