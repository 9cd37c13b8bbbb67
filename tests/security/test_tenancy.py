"""A member of organization A never reaches organization B's objects: 404, and nothing changes."""
from sqlalchemy import select

from tests.security.routes import build, rules
from tests.security.test_role_matrix import webhook_ids
from webapp.extensions import db
from webapp.models import AuditEvent, ImportJob, TaxRate


def table_contents() -> dict:
    db.session.expire_all()
    return {t.name: sorted(map(tuple, db.session.execute(select(t)).all()), key=repr)
            for t in db.metadata.sorted_tables}


def test_member_of_a_gets_404_for_every_url_of_b(app, login_as, f):
    a = login_as("owner")
    b = login_as("owner")
    b_member = f.member(b.org, "staff")
    b_invitation, token = f.invitation(b.org, email="b-invitee@example.com")
    b_message = f.outbox_message(b.org, to="b-customer@example.com")
    b_token, _ = f.api_token(b.org)
    b_event = db.session.scalar(select(AuditEvent).where(AuditEvent.org_id == b.org.id))
    b_field = f.custom_field(b.org, "secret", "text")
    b_contact = f.contact(b.org, "B Customer", email="b-customer@example.com", custom={"secret": "x"})
    b_product = f.product(b.org, "B Product")
    b_rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == b.org.id))
    b_job = ImportJob(org_id=b.org.id, filename="b.csv", content="Company\nB Two\n", mapping={"0": "company_name"})
    db.session.add(b_job)
    db.session.commit()
    f.complete_org(b.org)
    b_draft = f.draft(b.org, b_contact, lines=[("B secret line", "1", "5")])
    from webapp.services import drafts, issuing
    b_adjustment = drafts.add_adjustment(b.org, b_draft, "charge")
    db.session.commit()
    b_issued = f.issued(b.org, contact_=b_contact)
    from datetime import date

    from webapp.services import drafts, payments
    b_payment = payments.record(b.org, b.user, b_issued, payments.PaymentInput(amount=100, paid_on=date.today(),
                                                                              key="b-payment-key"))
    db.session.commit()
    from webapp.services import corrections, drafts, notes, quotes
    b_note = notes.add(b.org, b.user, b_issued, "B internal", [notes.Upload("b.pdf", b"%PDF-1.4 b secret")])
    b_credit = corrections.full_credit_note(b.org, b.user, b_issued)
    b_quote = drafts.new_draft(b.org, b.user, b_contact, kind="quote")
    drafts.update_line(b_quote, drafts.add_line(b.org, b_quote), {"description": "B quote line"})
    db.session.commit()
    issuing.issue(b.org, b.user, b_quote)
    db.session.commit()
    quotes.decide(b.org, b.user, b_quote, "accept")
    db.session.commit()
    b_ids = {"membership_id": b_member.id, "invitation_id": b_invitation.id, "message_id": b_message.id,
             "org_id": b.org.id, "event_id": b_event.id, "contact_id": b_contact.id, "product_id": b_product.id,
             "rate_id": b_rate.id, "field_id": b_field.id, "job_id": b_job.id, "document_id": b_draft.id,
             "line_id": b_draft.lines[0].id, "adjustment_id": b_adjustment.id, "payment_id": b_payment.id,
             "note_id": b_note.id, "file_id": b_note.files[0].id, "token_id": b_token.id,
             "transaction_id": f.bank_transaction(b.org).id, **webhook_ids(b.org)}
    tried = []
    for rule in rules(app, {"GET", "POST"}):
        id_args = [name for name in rule.arguments if name in b_ids]
        if not id_args:
            continue
        url = build(app, rule, b_ids)
        for method in sorted(rule.methods & {"GET", "POST"}):
            before = table_contents()
            r = a.client.open(url, method=method, data={f"m{b_member.id}-role": "owner", "role": "owner",
                                                        "contact_id": b_contact.id, "product_id": b_product.id,
                                                        "kind": "charge", "current_version": b_draft.version})
            assert r.status_code == 404, (method, url, r.status_code)
            assert table_contents() == before, (method, url)
            if "document_id" in rule.arguments:  # the issued invoice, the credit note and the quote too
                for other in (b_issued, b_credit, b_quote):
                    r = a.client.open(build(app, rule, {**b_ids, "document_id": other.id}), method=method)
                    assert r.status_code == 404, (method, url, other.kind, r.status_code)
                assert table_contents() == before, (method, url)
            tried.append(rule.endpoint)
    assert {"settings.change_role", "settings.remove_member", "settings.revoke_invitation",
            "settings.mail_message", "auth.switch", "customers.show", "customers.edit", "customers.delete",
            "customers.archive", "customers.delete_field", "customers.import_preview", "customers.import_run",
            "catalog.edit_product", "catalog.archive_product", "catalog.edit_tax_rate",
            "catalog.delete_tax_rate", "invoices.show", "invoices.edit", "invoices.update_line",
            "invoices.issue", "invoices.delete", "invoices.duplicate", "invoices.update_adjustment",
            "invoices.product_search", "invoices.send", "invoices.new_payment", "invoices.void_payment",
            "invoices.mark_paid", "invoices.credit", "invoices.cancel", "invoices.change_recipient",
            "invoices.reactivate", "invoices.accept", "invoices.decline", "invoices.convert", "invoices.add_note",
            "invoices.note_file", "invoices.note_first_file", "invoices.add_note_files", "settings.revoke_api_token", "settings.webhook", "settings.toggle_webhook",
            "settings.rotate_webhook", "settings.delete_webhook", "settings.resend_webhook"} <= set(tried)
    # every route with an object id was tried
    id_routes = {r.endpoint for r in rules(app, {"GET", "POST"}) if set(r.arguments) & set(b_ids)}
    assert id_routes == set(tried)
    # and the lists of A show nothing of B
    for url in ("/settings/members", "/settings/api", "/settings/audit", "/settings/mail", "/customers/?status=all",
                "/invoices/",
                f"/invoices/?customer={b_contact.id}", "/invoices/new?q=b", "/invoices/?q=secret", "/invoices/?kind=quote",
                "/payments/", f"/payments/?customer={b_contact.id}", "/payments/?q=b customer", "/invoices/?kind=credit_note",
                "/",
                "/customers/export.csv", "/catalog/products?status=all", "/catalog/tax-rates",
                "/customers/email-check?email=b-customer@example.com"):
        html = a.client.get(url).data.decode()
        assert b.user.email not in html and "b-invitee@example.com" not in html and "b-customer@" not in html, url
        assert "B Customer" not in html and "B Product" not in html, url


def test_ids_of_another_organization_in_form_fields_are_404(app, login_as, f):
    a = login_as("owner")
    b = login_as("owner")
    b_contact = f.contact(b.org, "B Customer")
    b_product = f.product(b.org, "B Product")
    b_rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == b.org.id))
    a_draft = f.draft(a.org, f.contact(a.org, "A Customer"))
    line = a_draft.lines[0]
    before = table_contents()
    assert a.client.post("/invoices/new", data={"contact_id": b_contact.id}).status_code == 404
    v = a_draft.version
    assert a.client.post(f"/invoices/{a_draft.id}/customer",
                         data={"contact_id": b_contact.id, "current_version": v}).status_code == 404
    assert a.client.post(f"/invoices/{a_draft.id}/lines",
                         data={"product_id": b_product.id, "current_version": v}).status_code == 404
    assert a.client.post(f"/invoices/{a_draft.id}/lines/{line.id}/product",
                         data={"product_id": b_product.id, "current_version": v}).status_code == 404
    r = a.client.post(f"/invoices/{a_draft.id}/lines/{line.id}", headers={"HX-Request": "true"}, data={
        "current_version": a_draft.version, f"l{line.id}-description": "x", f"l{line.id}-quantity": "1",
        f"l{line.id}-unit": "piece", f"l{line.id}-unit_price": "1", f"l{line.id}-tax_rate_id": str(b_rate.id)})
    assert r.status_code == 422  # not one of this organization's rates
    assert table_contents() == before
