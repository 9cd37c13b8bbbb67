"""Sending an issued invoice: the dialog, the outbox row, the e-mail over real SMTP, and the timeline."""
import email
import re
from email import policy

import pytest
from sqlalchemy import func, select

from tests.smtp import configure, free_port, start_server
from webapp.extensions import db
from webapp.models import AuditEvent, Document, OutboxMessage
from webapp.services import drafts, issuing, mail


@pytest.fixture
def smtp(app, monkeypatch):
    port = free_port()
    configure(app, monkeypatch, port)
    controller, inbox = start_server(port)
    yield inbox
    controller.stop()


def issued_for(f, org, locale="en", email_="kunde@example.com"):
    return f.issued(org, contact_=f.contact(org, "Kunde AG", email=email_, locale=locale))


def dialog(client, doc_id) -> dict:
    """The send dialog's prefilled fields."""
    r = client.get(f"/invoices/{doc_id}/send")
    assert r.status_code == 200
    html = r.data.decode()

    def value(name):
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
        return m.group(1) if m else ""

    body = re.search(r'<textarea[^>]*name="body"[^>]*>(?:\r?\n)?(.*?)</textarea>', html, re.S).group(1)
    checkbox = re.search(r'<input[^>]*name="attach_pdf"[^>]*>', html).group(0)
    import html as html_lib

    return {"to": html_lib.unescape(value("to")), "cc": "", "subject": html_lib.unescape(value("subject")),
            "body": html_lib.unescape(body), "key": value("key"),
            "attach_pdf": "y" if " checked" in checkbox else ""}


def test_the_dialog_is_prefilled_from_the_default_template_in_the_customers_language(owner, f):
    doc = issued_for(f, owner.org, locale="de_DE")
    fields = dialog(owner.client, doc.id)
    assert fields["to"] == "kunde@example.com"
    assert fields["subject"] == "Rechnung {number} von {company}"  # filled once, when sending
    assert fields["body"].startswith("Guten Tag {customer_name},") and "{link}" in fields["body"]
    assert fields["attach_pdf"] == "y" and len(fields["key"]) >= 16
    preview = owner.client.get(f"/invoices/{doc.id}/send").data.decode().split('id="send-preview"')[1]
    assert f"Rechnung {doc.number} von {owner.org.name}" in preview and "Guten Tag Kunde AG," in preview
    assert f"https://tallybook.test/p/{doc.public_token}" in preview
    assert doc.due_date.strftime("%d.%m.%Y") in preview


def test_the_organizations_template_is_used_with_its_placeholders(owner, f):
    org = owner.org
    r = owner.client.post("/settings/invoice-email", data={
        "invoice_email_subject": "{company}: {nubmer}", "invoice_email_body": "Hi"})
    assert r.status_code == 422 and "Unknown placeholder {nubmer}" in r.data.decode()
    assert db.session.get(type(org), org.id).invoice_email_subject == ""
    r = owner.client.post("/settings/invoice-email", data={
        "invoice_email_subject": "{company}: invoice {number}",
        "invoice_email_body": "Hello {customer_name}, {total} by {due_date}: {link}"})
    assert r.status_code == 303
    doc = issued_for(f, org, locale="fr_FR")
    fields = dialog(owner.client, doc.id)
    assert fields["subject"] == "{company}: invoice {number}"
    assert fields["attach_pdf"] == ""  # the organization's default was switched off with the save above
    assert owner.client.post(f"/invoices/{doc.id}/send", data=fields).status_code == 303
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == f"{org.name}: invoice {doc.number}"
    assert message.body_text.startswith("Hello Kunde AG, ") and "\u00a0€ by" in message.body_text  # French amount


def test_sending_queues_one_message_marks_the_invoice_sent_and_shows_it_on_the_timeline(app, owner, f, smtp):
    doc = issued_for(f, owner.org)
    fields = dialog(owner.client, doc.id)
    fields["cc"] = "books@example.com"
    r = owner.client.post(f"/invoices/{doc.id}/send", data=fields)
    assert r.status_code == 303
    again = owner.client.post(f"/invoices/{doc.id}/send", data=fields)  # double click / retry
    assert again.status_code == 303
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.document_id == doc.id)).all()
    assert len(messages) == 1
    message = messages[0]
    assert message.to_addrs == "kunde@example.com" and message.cc_addrs == "books@example.com" and message.attach_pdf
    assert db.session.get(Document, doc.id).sent_at is not None
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "sent " + doc.number + " to kunde@example.com, books@example.com with the PDF attached" in page
    assert "queued" in page and "Send again" in page

    with app.test_request_context():
        report = mail.deliver_due()
    assert report.sent == [message.id]
    assert len(smtp.messages) == 1
    received = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=policy.default)
    assert received["To"] == "kunde@example.com" and received["Cc"] == "books@example.com"
    assert received["Subject"] == f"Invoice {doc.number} from {owner.org.name}"
    attachments = list(received.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_filename() == f"{doc.number}.pdf"
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == db.session.get(Document, doc.id).pdf  # the stored bytes
    text = received.get_body(("plain",)).get_content()
    link = re.search(r"https://tallybook\.test(/p/\S+)", text).group(1)
    html = received.get_body(("html",)).get_content()
    assert f'<a href="https://tallybook.test{link}"' in html
    # the link opens the customer's page
    customer = app.test_client()
    page = customer.get(link)
    assert page.status_code == 200 and doc.number in page.data.decode()
    assert "delivered" in owner.client.get(f"/invoices/{doc.id}").data.decode()
    # revoked: the link answers 404
    owner.client.post(f"/invoices/{doc.id}/link/revoke")
    assert customer.get(link).status_code == 404


def test_without_attachment_and_after_a_revoked_link_a_new_link_is_made(app, owner, f, smtp):
    doc = issued_for(f, owner.org)
    fields = dialog(owner.client, doc.id)
    owner.client.post(f"/invoices/{doc.id}/link/revoke")
    old_token = doc.public_token
    fields = dialog(owner.client, doc.id)
    assert "{link}" in fields["body"]
    fields["attach_pdf"] = ""
    assert owner.client.post(f"/invoices/{doc.id}/send", data=fields).status_code == 303
    token = db.session.get(Document, doc.id).public_token
    assert token and token != old_token
    with app.test_request_context():
        mail.deliver_due()
    received = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=policy.default)
    assert list(received.iter_attachments()) == []
    assert f"https://tallybook.test/p/{token}" in received.get_body(("plain",)).get_content()
    assert app.test_client().get(f"/p/{token}").status_code == 200


def test_resending_adds_another_message(owner, f):
    doc = issued_for(f, owner.org)
    for _ in range(2):
        assert owner.client.post(f"/invoices/{doc.id}/send", data=dialog(owner.client, doc.id)).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.document_id == doc.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "document.sent", AuditEvent.object_id == doc.id)) == 2


@pytest.mark.parametrize("change, error", [
    ({"to": ""}, "Enter the recipient"),
    ({"to": "not-an-address"}, "is not a valid e-mail address"),
    ({"to": ", ".join(f"a{i}@example.com" for i in range(11))}, "At most 10"),
    ({"cc": "x@"}, "is not a valid e-mail address"),
    ({"subject": ""}, "Enter a subject"),
    ({"body": "Dear {customer}"}, "Unknown placeholder {customer}"),
    ({"key": ""}, "expired"),
])
def test_bad_input_sends_nothing_and_keeps_what_was_typed(owner, f, change, error):
    doc = issued_for(f, owner.org)
    fields = dialog(owner.client, doc.id) | {"body": "My own words, kept."} | change
    r = owner.client.post(f"/invoices/{doc.id}/send", data=fields, headers={"HX-Request": "true"})
    assert r.status_code == 422
    html = r.data.decode()
    assert error in html and 'id="send-form"' in html and "<html" not in html
    if "body" not in change:
        assert "My own words, kept." in html
    for value in change.values():
        assert value.replace("&", "&amp;") in html or value == ""  # the bad value is shown again to correct it
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.get(Document, doc.id).sent_at is None


def test_drafts_cannot_be_sent_and_bookkeepers_cannot_send(owner, f, login_as):
    draft = f.draft(owner.org)
    r = owner.client.get(f"/invoices/{draft.id}/send")
    assert r.status_code == 303
    r = owner.client.post(f"/invoices/{draft.id}/send", data={"to": "a@example.com", "subject": "s", "body": "b",
                                                             "key": "k" * 20})
    assert r.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    doc = issued_for(f, owner.org)
    bookkeeper = login_as("bookkeeper", org=owner.org)
    assert bookkeeper.client.get(f"/invoices/{doc.id}/send").status_code == 403
    stranger = login_as("owner")
    assert stranger.client.get(f"/invoices/{doc.id}/send").status_code == 404
    assert stranger.client.post(f"/invoices/{doc.id}/send", data={"to": "a@example.com"}).status_code == 404


def test_a_delivery_failure_shows_on_the_timeline(app, owner, f, monkeypatch):
    doc = issued_for(f, owner.org)
    owner.client.post(f"/invoices/{doc.id}/send", data=dialog(owner.client, doc.id))
    configure(app, monkeypatch, free_port())  # nobody listens there
    with app.test_request_context():
        report = mail.deliver_due()
    assert len(report.retrying) == 1
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "retrying" in page and "ConnectionRefusedError" in page


def test_a_used_form_never_sends_something_else(owner, f):
    a, b = issued_for(f, owner.org), issued_for(f, owner.org, email_="other@example.com")
    fields = dialog(owner.client, a.id)
    assert owner.client.post(f"/invoices/{a.id}/send", data=fields).status_code == 303
    # the same key on another invoice, or the same form changed after sending: refused, said, kept
    r = owner.client.post(f"/invoices/{b.id}/send", data=dialog(owner.client, b.id) | {"key": fields["key"]})
    assert r.status_code == 422 and "already used to send a message" in r.data.decode()
    r = owner.client.post(f"/invoices/{a.id}/send", data=fields | {"to": "right@example.com"})
    html = r.data.decode()
    assert r.status_code == 422 and "already used to send a message" in html and "right@example.com" in html
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_placeholders_are_filled_once_when_sending(owner, f):
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Team {company} {Europe}", email="t@example.com"))
    fields = dialog(owner.client, doc.id)
    owner.client.post(f"/invoices/{doc.id}/link")  # the link renewed in another tab while the dialog is open
    assert owner.client.post(f"/invoices/{doc.id}/send", data=fields).status_code == 303
    message = db.session.scalar(select(OutboxMessage))
    token = db.session.get(Document, doc.id).public_token
    assert f"/p/{token}" in message.body_text  # the link valid when it was sent
    assert "Team {company} {Europe}" in message.body_text  # a name is never filled in again


def test_unicode_line_separators_never_reach_a_header(app, owner, f, smtp):
    doc = issued_for(f, owner.org)
    fields = dialog(owner.client, doc.id) | {"subject": "Invoice\u2028Bcc: x@evil.example\u0085more"}
    assert owner.client.post(f"/invoices/{doc.id}/send", data=fields).status_code == 303
    with app.test_request_context():
        assert len(mail.deliver_due().sent) == 1
    received = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=policy.default)
    assert received["Subject"] == "Invoice Bcc: x@evil.example more" and received["Bcc"] is None


def test_credit_notes_and_quotes_are_sent_with_their_own_text(owner, f, login_as):
    from webapp.services import corrections

    invoice = issued_for(f, owner.org, locale="fr_FR")
    note = corrections.full_credit_note(owner.org, owner.user, invoice)
    db.session.commit()
    issuing.issue(owner.org, owner.user, note)
    db.session.commit()
    fields = dialog(owner.client, note.id)
    assert fields["subject"] == "Avoir {number} de {company}"
    assert owner.client.post(f"/invoices/{note.id}/send", data=fields).status_code == 303
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.document_id == note.id))
    assert message.kind == "credit_note" and message.subject == f"Avoir {note.number} de {owner.org.name}"
    assert "23,80" in message.body_text and "-23,80" not in message.body_text
    staff = login_as("staff", org=owner.org)
    assert staff.client.get(f"/invoices/{note.id}/send").status_code == 403  # credit notes: owner and bookkeeper

    quote = drafts.new_draft(owner.org, owner.user, invoice.contact, kind="quote")
    drafts.update_line(quote, drafts.add_line(owner.org, quote), {"description": "Cake"})
    db.session.commit()
    issuing.issue(owner.org, owner.user, quote)
    db.session.commit()
    fields = dialog(owner.client, quote.id)
    assert owner.client.post(f"/invoices/{quote.id}/send", data=fields).status_code == 303
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.document_id == quote.id))
    assert message.subject == f"Devis {quote.number} de {owner.org.name}"
    assert quote.valid_until.strftime("%Y") in message.body_text and "accepter" in message.body_text
