"""Outbox delivery through a real SMTP server on 127.0.0.1 (aiosmtpd)."""
import email
import time
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select

from tests.smtp import configure, free_port, start_server
from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.models.types import utcnow
from webapp.services import accounts, mail


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_config(app, smtp_port, monkeypatch):
    configure(app, monkeypatch, smtp_port)
    return smtp_port


def queue_reset_mail(app, to="reader@example.com"):
    with app.test_request_context():
        msg = mail.queue(kind="test", to=to, template="password_reset",
                         context={"user": type("U", (), {"name": "Reader", "email": to})(),
                                  "link": mail.external_url("auth.reset_password", token="abc"), "hours": 1})
    db.session.commit()
    return msg.id


def test_delivers_over_smtp_and_the_server_receives_it(app, smtp_config):
    controller, inbox = start_server(smtp_config)
    try:
        message_id = queue_reset_mail(app)
        report = mail.deliver_due()
    finally:
        controller.stop()
    assert report.sent == [message_id]
    assert len(inbox.messages) == 1
    received = email.message_from_string(inbox.messages[0].as_string(), policy=policy.default)
    assert received["To"] == "reader@example.com"
    assert received["Subject"] == "Reset your Tallybook password"
    text = received.get_body(("plain",)).get_content()
    assert "https://tallybook.test/auth/reset/abc" in text
    html = received.get_body(("html",)).get_content()
    assert 'href="https://tallybook.test/auth/reset/abc"' in html
    row = db.session.get(OutboxMessage, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_server_down_keeps_the_message_queued_with_the_error_then_sends_it(app, smtp_config):
    message_id = queue_reset_mail(app)
    report = mail.deliver_due()  # nothing listens on the port
    assert report.retrying == [message_id]
    row = db.session.get(OutboxMessage, message_id)
    assert row.status == "queued" and row.attempts == 1
    assert "Connection refused" in row.last_error or "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)  # backoff
    assert mail.deliver_due().sent == []  # not due yet

    controller, inbox = start_server(smtp_config)
    try:
        report = mail.deliver_due(now=utcnow() + timedelta(minutes=2))
    finally:
        controller.stop()
    assert report.sent == [message_id]
    assert len(inbox.messages) == 1
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_backoff_grows_and_gives_up_after_max_attempts(app, smtp_config, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    message_id = queue_reset_mail(app)
    now = utcnow()
    waits = []
    for _ in range(3):
        mail.deliver_due(now=now)
        row = db.session.get(OutboxMessage, message_id)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits[0] == timedelta(minutes=1) and waits[1] == timedelta(minutes=2)
    assert row.status == "failed" and row.attempts == 3


def test_file_delivery_writes_eml_files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    message_id = queue_reset_mail(app)
    assert mail.deliver_due().sent == [message_id]
    row = db.session.get(OutboxMessage, message_id)
    path = tmp_path / row.delivered_file
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Reset your Tallybook password"
    assert "https://tallybook.test/auth/reset/abc" in parsed.get_body(("plain",)).get_content()


def test_mail_is_written_in_the_same_transaction_as_the_change(app, login_as):
    owner = login_as("owner")

    def boom(*args, **kwargs):
        raise RuntimeError("audit storage exploded")

    import webapp.services.accounts as accounts_module
    original = accounts_module.audit.record
    accounts_module.audit.record = boom
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        r = owner.client.post("/settings/members/invite", data={"email": "x@example.com", "role": "staff"})
    finally:
        accounts_module.audit.record = original
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert r.status_code == 500
    assert db.session.scalar(select(OutboxMessage)) is None  # rolled back with the invitation


def test_cli_deliver_command(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    queue_reset_mail(app)
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry, 0 failed" in result.output
    assert len(list(tmp_path.glob("*.eml"))) == 1
    time.sleep(0)  # nothing left to send on a second run
    assert "0 sent" in app.test_cli_runner().invoke(args=["outbox", "deliver"]).output


def test_owner_mail_page_lists_messages_with_clickable_links(app, login_as, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    owner = login_as("owner")
    owner.client.post("/settings/members/invite", data={"email": "friend@example.com", "role": "staff"})
    mail.deliver_due()
    page = owner.client.get("/settings/mail").data.decode()
    assert "friend@example.com" in page and "sent" in page
    row = db.session.scalar(select(OutboxMessage))
    detail = owner.client.get(f"/settings/mail/{row.id}").data.decode()
    assert '<a href="https://tallybook.test/auth/invitations/' in detail
    assert row.delivered_file in detail
    # file delivery shows token links; with a real mail server they are hidden
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    hidden = owner.client.get(f"/settings/mail/{row.id}").data.decode()
    assert "[link hidden: only the recipient sees it]" in hidden and "/auth/invitations/" not in hidden
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    # another organization's owner sees neither the list entry nor the message
    stranger = login_as("owner")
    assert "friend@example.com" not in stranger.client.get("/settings/mail").data.decode()
    assert stranger.client.get(f"/settings/mail/{row.id}").status_code == 404


def test_owner_never_sees_the_account_mail_of_other_members(app, login_as, f):
    owner = login_as("owner")
    member = f.member(owner.org, "bookkeeper")
    with app.test_request_context():
        accounts.request_password_reset(member.user.email)
        accounts.request_password_reset(owner.user.email)
    db.session.commit()
    page = owner.client.get("/settings/mail").data.decode()
    assert owner.user.email in page and member.user.email not in page
    theirs = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addrs == member.user.email))
    assert owner.client.get(f"/settings/mail/{theirs.id}").status_code == 404


def test_a_message_that_cannot_be_built_fails_alone(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    broken = OutboxMessage(kind="test", sender="a@example.com", to_addrs="b@example.com", subject="bad\nheader",
                           body_text="x", message_id="<1@x>")
    db.session.add(broken)
    db.session.commit()
    good_id = queue_reset_mail(app)
    report = mail.deliver_due()
    assert report.failed == [broken.id] and report.sent == [good_id]
    assert db.session.get(OutboxMessage, broken.id).status == "failed"
    assert "ValueError" in db.session.get(OutboxMessage, broken.id).last_error


@pytest.mark.slow
def test_two_deliverers_at_once_send_each_message_once(app, tmp_path, monkeypatch):
    import threading

    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    ids = [queue_reset_mail(app, to=f"r{i}@example.com") for i in range(6)]
    sent: list[int] = []
    lock = threading.Lock()

    class SlowTransport:
        def send(self, message):
            time.sleep(0.05)
            with lock:
                sent.append(message.id)
            return ""

        def close(self):
            pass

        def reset(self):
            pass

    def worker():
        with app.app_context():
            mail.deliver_due(transport=SlowTransport())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(ids)
    db.session.expire_all()
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"sent"}


def test_a_claim_of_a_dead_deliverer_is_taken_up_again(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    message_id = queue_reset_mail(app)
    row = db.session.get(OutboxMessage, message_id)
    row.status, row.attempts, row.last_attempt_at = "sending", 1, utcnow() - timedelta(minutes=11)
    db.session.commit()
    assert mail.deliver_due().sent == [message_id]
    assert db.session.get(OutboxMessage, message_id).attempts == 2
