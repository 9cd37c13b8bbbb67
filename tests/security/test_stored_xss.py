"""Stored XSS: payloads in every free-text field a user can fill are shown only escaped, on every page and
htmx partial (walked from app.url_map), the customer's page, the e-mail bodies and the PDF source."""
from datetime import date
from html.parser import HTMLParser

from sqlalchemy import select

from tests.security.routes import build, rules
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxMessage, TaxRate

PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "javascript:alert(3)",
            '<svg onload=alert(4)>', "'><iframe src=javascript:alert(5)>"]
TEXT = " ".join(PAYLOADS)
RAW = ("<script>alert(1)", "<img src=x onerror", "<svg onload", "<iframe src")


class Tags(HTMLParser):
    """The real tags of a page: their names and attributes (escaped text makes none)."""

    def __init__(self):
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.bad.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "svg", "object", "embed"):
            self.bad.append(f"<{tag}>")
        if tag == "script" and not any(n == "src" and (v or "").startswith("/static/") for n, v in attrs):
            self.bad.append("<script> that is not one of ours")


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, (where, raw)
    parser = Tags()
    parser.feed(html)
    assert parser.bad == [], (where, parser.bad)


def test_payloads_in_every_free_text_field_are_shown_escaped_everywhere(app, login_as, f):
    from webapp.services import corrections, drafts, notes, payments, sending
    from webapp.services.pdf import render_document_html

    owner = login_as("owner")
    org = f.complete_org(owner.org)
    org.name, org.legal_name, org.street, org.city, org.footer_text = TEXT[:200], TEXT[:200], TEXT[:200], TEXT[:100], TEXT
    org.bank_name, org.website = TEXT[:100], "https://example.com/" + TEXT[:100]
    org.invoice_email_subject, org.invoice_email_body = "{number} " + TEXT[:200], TEXT + " {link}"
    db.session.commit()
    contact = f.contact(org, TEXT[:200], person=TEXT[:200], email="k@example.com", street=TEXT[:200],
                        city=TEXT[:100], notes=TEXT, region=TEXT[:100])
    f.custom_field(org, "tier", "text", label=TEXT[:100])
    f.product(org, TEXT[:200], description=TEXT)
    f.api_token(org, name=TEXT[:100])
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.category == "AE"))
    rate.name, rate.exemption_note = TEXT[:100], TEXT
    db.session.commit()
    draft = f.draft(org, contact, lines=[(TEXT, "1", "10")])
    drafts.update_header(draft, {"notes": TEXT, "customer_reference": TEXT[:100]})
    adjustment = drafts.add_adjustment(org, draft, "charge")
    drafts.update_adjustment(draft, adjustment, TEXT[:200], adjustment.amount, None)
    db.session.commit()
    invoice = f.issued(org, contact_=contact, lines=[(TEXT, "1", "10")])
    payment = payments.record(org, owner.user, invoice, payments.PaymentInput(
        amount=100, paid_on=date.today(), reference=TEXT[:100], note=TEXT, key="xss"))
    note = notes.add(org, owner.user, invoice, TEXT, [notes.Upload(TEXT[:150] + ".pdf", b"%PDF-1.4 x")])
    credit = corrections.full_credit_note(org, owner.user, invoice, TEXT[:300])
    db.session.commit()
    sending.send(org, owner.user, invoice, sending.compose(invoice, org))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.org_id == org.id))
    ids = {"contact_id": contact.id, "document_id": invoice.id, "line_id": invoice.lines[0].id,
           "adjustment_id": adjustment.id, "payment_id": payment.id, "note_id": note.id, "file_id": note.files[0].id,
           "event_id": event.id,
           "token": invoice.public_token, "org_id": org.id, "kind": "invoice",
           "message_id": db.session.scalar(select(OutboxMessage.id))}
    pages = 0
    for rule in rules(app, {"GET"}):
        if rule.endpoint in ("static", "invoices.pdf", "public.pdf", "invoices.note_file", "invoices.note_first_file",
                             "settings.logo", "customers.export"):
            continue
        variants = [ids] + ([{**ids, "document_id": d.id, "line_id": d.lines[0].id} for d in (draft, credit)]
                            if "document_id" in rule.arguments else [])
        for values in variants:
            url = build(app, rule, values)
            for headers in ({}, {"HX-Request": "true"}):
                r = owner.client.get(url, headers=headers)
                if r.mimetype == "text/html":
                    assert_escaped(r.data.decode(), url)
                    pages += 1
    for q in ("?q=" + TEXT[:50], "?status=all"):
        assert_escaped(owner.client.get("/customers/" + q).data.decode(), q)
        assert_escaped(owner.client.get("/invoices/" + q).data.decode(), q)
    public = app.test_client().get(f"/p/{invoice.public_token}").data.decode()
    assert_escaped(public, "customer's page")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in public
    for message in db.session.scalars(select(OutboxMessage)):
        assert_escaped(message.body_html, f"e-mail {message.id}")
    with app.test_request_context():
        for doc in (draft, invoice, credit):
            assert_escaped(render_document_html(doc, org), f"PDF source of {doc.kind} {doc.id}")
    assert pages > 80
