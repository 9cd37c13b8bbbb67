"""An organization's e-mails carry its sender name and Reply-To; the address (and envelope sender) stays the
configured MAIL_DEFAULT_SENDER's, so SPF/DKIM keep working. Checked on what a real SMTP server receives."""
import email
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.smtp import configure, free_port, start_server
from tests.views.test_sending import dialog, issued_for
from tests.views.test_settings import GOOD, snapshot
from webapp.extensions import db
from webapp.models import Organization, OutboxMessage
from webapp.services import accounts, mail

SENDER = "Tallybook <billing@tallybook.test>"


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    port = free_port()
    configure(app, monkeypatch, port)
    controller, inbox = start_server(port)
    yield inbox
    controller.stop()


def received(inbox, n=-1):
    return email.message_from_bytes(inbox.messages[n].as_bytes(), policy=policy.default)


def send_invoice(app, owner, f):
    doc = issued_for(f, owner.org)
    assert owner.client.post(f"/invoices/{doc.id}/send", data=dialog(owner.client, doc.id)).status_code == 303
    with app.test_request_context():
        assert len(mail.deliver_due().sent) == 1
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.document_id == doc.id))


def test_by_default_the_invoice_mail_comes_from_the_org_name_and_replies_go_to_its_email(app, owner, f, smtp):
    assert owner.client.post("/settings/", data=GOOD).status_code == 303  # e-mail info@mueller.example
    row = send_invoice(app, owner, f)
    assert row.reply_to == "info@mueller.example"
    message = received(smtp)
    assert message["From"].addresses[0].display_name == "Müller Werkstatt"
    assert message["From"].addresses[0].addr_spec == "billing@tallybook.test"  # the configured address
    assert message["Reply-To"] == "info@mueller.example"
    assert message["X-MailFrom"] == "billing@tallybook.test"  # the envelope sender the server saw


def test_the_sender_name_and_reply_to_set_in_settings_are_used(app, owner, f, smtp):
    r = owner.client.post("/settings/", data={**GOOD, "email_sender_name": "Radladen Müller, Buchhaltung",
                                              "email_reply_to": "buero@radladen.example"})
    assert r.status_code == 303
    org = db.session.get(Organization, owner.org.id)
    assert (org.email_sender_name, org.email_reply_to) == ("Radladen Müller, Buchhaltung", "buero@radladen.example")
    page = owner.client.get("/settings/").data.decode()
    now = page.split('id="email-identity-now"')[1][:400]
    assert "Radladen Müller, Buchhaltung" in now and "buero@radladen.example" in now

    send_invoice(app, owner, f)
    message = received(smtp)
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Radladen Müller, Buchhaltung", "billing@tallybook.test")
    assert message["Reply-To"] == "buero@radladen.example"
    assert message["X-MailFrom"] == "billing@tallybook.test"


def test_a_line_break_in_the_sender_name_never_makes_a_header(app, owner, f, smtp):
    r = owner.client.post("/settings/", data={**GOOD, "email_sender_name": "Shop\r\nBcc: x@evil.example"})
    assert r.status_code == 303
    send_invoice(app, owner, f)
    message = received(smtp)
    assert message["Bcc"] is None and message["From"].addresses[0].display_name == "Shop Bcc: x@evil.example"
    assert [r.strip() for r in message["X-RcptTo"].split(",")] == ["kunde@example.com"]


@pytest.mark.parametrize("field, value, error", [
    ("email_reply_to", "not-an-address", "Enter a valid e-mail address."),
    ("email_reply_to", "a@example.com, b@evil.example", "Enter a valid e-mail address."),
    ("email_sender_name", "x" * 101, "Field cannot be longer than 100 characters."),
])
def test_a_bad_sender_setting_is_422_beside_the_field_and_changes_nothing(owner, field, value, error):
    owner.client.post("/settings/", data=GOOD)
    before = snapshot(owner.org.id)
    r = owner.client.post("/settings/", data={**GOOD, field: value, "legal_name": "Changed GmbH"})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find(f'id="{field}-error"')
    assert at > 0 and error in html[at:at + 300]
    assert snapshot(owner.org.id) == before


def test_invitations_carry_the_org_identity_and_account_mail_the_configured_sender(app, owner, f, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", SENDER)
    owner.client.post("/settings/", data={**GOOD, "email_reply_to": "team@mueller.example"})
    assert owner.client.post("/settings/members/invite", data={"email": "new@example.com", "role": "staff"}
                             ).status_code == 303
    invitation = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert (invitation.sender, invitation.reply_to) == ("Müller Werkstatt <billing@tallybook.test>",
                                                       "team@mueller.example")
    with app.test_request_context():
        accounts.request_password_reset(owner.user.email)
        db.session.commit()
    reset = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert (reset.sender, reset.reply_to) == (SENDER, "")  # not the organization's: the user's own account
    with app.test_request_context():  # file delivery writes the same headers
        assert len(mail.deliver_due().sent) == 2
    files = {m.kind: Path(app.config["MAIL_FILE_DIR"]) / db.session.get(OutboxMessage, m.id).delivered_file
             for m in (invitation, reset)}
    invited = email.message_from_bytes(files["invitation"].read_bytes(), policy=policy.default)
    assert invited["Reply-To"] == "team@mueller.example"
    assert invited["From"].addresses[0].display_name == "Müller Werkstatt"
    account = email.message_from_bytes(files["password_reset"].read_bytes(), policy=policy.default)
    assert account["Reply-To"] is None and account["From"] == SENDER
    page = owner.client.get(f"/settings/mail/{invitation.id}").data.decode()
    assert 'id="mail-reply-to">team@mueller.example<' in page
