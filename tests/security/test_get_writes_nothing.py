"""No GET writes: every GET route (found by walking app.url_map, so new ones are covered) leaves every table
unchanged, as a full page and as an htmx request. The one exception is the customer's page, which records
its first visit."""
from datetime import date

from sqlalchemy import select

from tests.security.routes import build, rules
from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.models import AuditEvent, ImportJob, TaxRate

WRITES_ON_PURPOSE = {"public.document"}  # records the first visit ("viewed")


def test_every_get_route_leaves_every_table_unchanged(app, login_as, f):
    from webapp.services import corrections, drafts, issuing, notes, payments, quotes

    owner = login_as("owner")
    org = f.complete_org(owner.org)
    member = f.member(org, "staff")
    invitation, _ = f.invitation(org, email="invitee@example.com")
    message = f.outbox_message(org, to="customer@example.com")
    field = f.custom_field(org, "tier", "text")
    contact = f.contact(org, "Kunde AG", email="k@example.com", custom={"tier": "gold"})
    product = f.product(org, "Bread")
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id))
    job = ImportJob(org_id=org.id, filename="c.csv", content="Company\nX\n", mapping={"0": "company_name"})
    db.session.add(job)
    draft = f.draft(org, contact)
    adjustment = drafts.add_adjustment(org, draft, "charge")
    db.session.commit()
    invoice = f.issued(org, contact_=contact)
    payment = payments.record(org, owner.user, invoice, payments.PaymentInput(amount=100, paid_on=date.today(),
                                                                             key="get-test"))
    note = notes.add(org, owner.user, invoice, "internal", [notes.Upload("n.pdf", b"%PDF-1.4 x")])
    credit = corrections.full_credit_note(org, owner.user, invoice)
    quote = drafts.new_draft(org, owner.user, contact, kind="quote")
    drafts.update_line(quote, drafts.add_line(org, quote), {"description": "Cake"})
    db.session.commit()
    issuing.issue(org, owner.user, quote)
    db.session.commit()
    quotes.decide(org, owner.user, quote, "accept")
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.org_id == org.id))
    ids = {"membership_id": member.id, "invitation_id": invitation.id, "message_id": message.id, "org_id": org.id,
           "event_id": event.id, "contact_id": contact.id, "product_id": product.id, "rate_id": rate.id,
           "field_id": field.id, "job_id": job.id, "document_id": invoice.id, "line_id": invoice.lines[0].id,
           "adjustment_id": adjustment.id, "payment_id": payment.id, "note_id": note.id,
           "file_id": note.files[0].id, "token": invoice.public_token, "kind": "invoice"}
    tried = 0
    for rule in rules(app, {"GET"}):
        if rule.endpoint in WRITES_ON_PURPOSE:
            continue
        variants = [ids]
        if "document_id" in rule.arguments:  # every kind and status of document
            variants += [{**ids, "document_id": d.id, "line_id": d.lines[0].id if d.lines else 1}
                         for d in (draft, credit, quote)]
        for values in variants:
            url = build(app, rule, values)
            for headers in ({}, {"HX-Request": "true"}):
                before = table_contents()
                r = owner.client.get(url, headers=headers)
                assert r.status_code < 500, (url, r.status_code)
                assert table_contents() == before, (url, headers)
                tried += 1
    assert tried > 100
