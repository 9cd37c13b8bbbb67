"""The SMTP server goes away in the middle of a batch of invoice e-mails and comes back later: every
message arrives once, none is lost, none twice, and the ones that waited say why."""
import asyncio
import email
import threading
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.smtp import configure, free_port
from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.models.types import utcnow
from webapp.services import mail, sending

BATCH, BEFORE_OUTAGE = 12, 5


class FlakyInbox:
    """Accepts ``accept`` messages, then hangs on the next DATA (a server about to go away)."""

    def __init__(self, accept: int | None = None):
        self.accept, self.messages = accept, []
        self.full = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.accept is not None and len(self.messages) >= self.accept:
            self.full.set()
            while True:  # never answers; cancelled when the server stops
                await asyncio.sleep(0.05)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"  # (``full`` is set only when the next message comes: the client has this answer then)


def queue_invoice_mails(owner, f) -> list[int]:
    ids = []
    for i in range(BATCH):
        doc = f.issued(owner.org, contact_=f.contact(owner.org, f"Buyer {i}", email=f"buyer{i}@example.com"))
        with owner.client.application.test_request_context():
            ids.append(sending.send(owner.org, owner.user, doc, sending.compose(doc, owner.org)).id)
        db.session.commit()
    return ids


@pytest.mark.slow
def test_the_smtp_server_goes_away_mid_batch_and_comes_back(app, owner, f, monkeypatch):
    port = free_port()
    configure(app, monkeypatch, port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 3)
    ids = queue_invoice_mails(owner, f)

    first = FlakyInbox(accept=BEFORE_OUTAGE)
    controller = Controller(first, hostname="127.0.0.1", port=port)
    controller.start()
    reports = []

    def deliverer():
        with app.app_context():
            reports.append(mail.deliver_due())
            db.session.remove()

    thread = threading.Thread(target=deliverer)
    thread.start()
    assert first.full.wait(30)
    controller.stop()  # the server goes away while the next message is being sent
    thread.join(60)
    report = reports[0]
    assert len(first.messages) == BEFORE_OUTAGE
    assert len(report.sent) == BEFORE_OUTAGE and len(report.retrying) == BATCH - BEFORE_OUTAGE and not report.failed
    db.session.expire_all()
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all()
    assert sorted(m.id for m in waiting) == sorted(report.retrying)
    assert all(m.last_error and m.next_attempt_at > utcnow() for m in waiting)
    assert mail.deliver_due().sent == []  # still away, and not due yet: nothing is tried, nothing lost

    second = FlakyInbox()
    controller = Controller(second, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = mail.deliver_due(now=utcnow() + timedelta(minutes=5))
        again = mail.deliver_due(now=utcnow() + timedelta(hours=1))
    finally:
        controller.stop()
    assert sorted(report.sent) == sorted(m.id for m in waiting) and again.sent == []

    received = first.messages + second.messages
    message_ids = [m["Message-ID"] for m in received]
    assert len(received) == BATCH and len(set(message_ids)) == BATCH  # every one, each once
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
    assert {r.message_id for r in rows} == set(message_ids)
    assert {r.status for r in rows} == {"sent"} and all(r.last_error == "" for r in rows)
    assert sorted(r.attempts for r in rows) == [1] * BEFORE_OUTAGE + [2] * (BATCH - BEFORE_OUTAGE)
    for m in received:  # each carries its invoice as PDF
        pdfs = [p for p in m.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
