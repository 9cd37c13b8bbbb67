"""The role matrix: every route (walked from app.url_map, so a new route fails here until it is declared)
is tried as owner, staff, bookkeeper and anonymous, against the table below of who may use it."""
from datetime import date

import pytest
from sqlalchemy import select

from tests.security.test_headers_and_config import assert_security_headers
from tests.security.routes import build, rules
from webapp.extensions import db
from webapp.models import AuditEvent, ImportJob, TaxRate

ALL = {"owner", "staff", "bookkeeper"}
OWNER = {"owner"}
OWNER_STAFF = {"owner", "staff"}
OWNER_BOOKKEEPER = {"owner", "bookkeeper"}
PUBLIC = "public"  # anyone, without logging in
MEMBER = "member"  # anyone logged in

# endpoint -> roles that may use it (for documents: an invoice)
ALLOWED = {
    "static": PUBLIC, "healthz": PUBLIC,
    "auth.login": PUBLIC, "auth.signup": PUBLIC, "auth.request_reset": PUBLIC, "auth.reset_password": PUBLIC,
    "auth.accept_invitation": PUBLIC, "public.document": PUBLIC, "public.pdf": PUBLIC, "public.decide": PUBLIC,
    "public.logo": PUBLIC, "api_docs.reference": PUBLIC,
    "auth.logout": MEMBER, "auth.change_password": MEMBER, "auth.account": MEMBER, "auth.switch": MEMBER,
    "auth.new_organization": MEMBER,
    "dashboard.index": MEMBER,
    "catalog.products": ALL, "catalog.tax_rates": ALL,
    "catalog.new_product": OWNER_STAFF, "catalog.edit_product": OWNER_STAFF, "catalog.archive_product": OWNER_STAFF,
    "catalog.new_tax_rate": OWNER, "catalog.edit_tax_rate": OWNER, "catalog.archive_tax_rate": OWNER,
    "catalog.delete_tax_rate": OWNER, "catalog.add_default_rates": OWNER,
    "customers.index": ALL, "customers.show": ALL, "customers.email_check": ALL, "customers.export": ALL,
    "customers.new": OWNER_STAFF, "customers.edit": OWNER_STAFF, "customers.archive": OWNER_STAFF,
    "customers.restore": OWNER_STAFF, "customers.delete": OWNER_STAFF,
    "customers.import_upload": OWNER_STAFF, "customers.import_preview": OWNER_STAFF,
    "customers.import_run": OWNER_STAFF,
    "customers.fields": OWNER, "customers.delete_field": OWNER,
    "payments.index": ALL,
    **{f"bank.{name}": OWNER_BOOKKEEPER for name in (
        "index", "upload", "confirm", "set_aside", "confirm_exact", "csv_layout", "delete_csv_layout")},
    "purchases.index": ALL, "purchases.inbox_page": ALL, "purchases.upload": ALL, "purchases.supplier_file": ALL,
    "purchases.create": OWNER_BOOKKEEPER, "purchases.categories": ALL, "purchases.input_vat": ALL,
    "purchases.attach_file": OWNER_STAFF,  # tried on a sale's draft: the use case refuses it there
    **{f"purchases.{name}": OWNER_BOOKKEEPER for name in (
        "add_category", "change_category", "archive_category", "add_common_categories")},
    "invoices.index": ALL, "invoices.show": ALL, "invoices.pdf": ALL, "invoices.einvoice_xml": ALL,
    "public.einvoice": PUBLIC, "invoices.note_file": ALL,
    "invoices.note_first_file": ALL, "invoices.add_note_files": ALL,
    "invoices.preview": ALL,  # the live preview of a draft: a read, as the document page
    "invoices.add_note": ALL, "invoices.new_payment": ALL, "invoices.mark_paid": ALL,
    "invoices.void_payment": OWNER_BOOKKEEPER, "invoices.credit": OWNER_BOOKKEEPER,
    "invoices.cancel": OWNER_BOOKKEEPER, "invoices.change_recipient": OWNER_BOOKKEEPER,
    "invoices.reactivate": OWNER_BOOKKEEPER,
    "invoices.issue": OWNER_STAFF, "invoices.send": OWNER_STAFF, "invoices.delete": OWNER_STAFF,
    "invoices.renew_link": OWNER_STAFF, "invoices.revoke_link": OWNER_STAFF,
    "invoices.accept": OWNER_STAFF, "invoices.decline": OWNER_STAFF,
    **{f"invoices.{name}": OWNER_STAFF for name in (
        "new", "create", "create_with_customer", "edit", "update_header", "customer_search", "change_customer",
        "new_customer", "add_line", "update_line", "apply_product", "product_search", "remove_line", "move_line",
        "add_adjustment", "update_adjustment", "remove_adjustment", "duplicate", "convert", "set_attributes", "set_deductions",
        "quick_entry")},
    "settings.logo": ALL,
    "settings.audit_log": OWNER_BOOKKEEPER,  # the bookkeeper reads everything
    **{f"settings.{name}": OWNER for name in (
        "company", "invoice_email", "numbering", "numbering_preview", "members", "invite", "change_role",
        "remove_member", "revoke_invitation", "mail", "mail_message", "api", "revoke_api_token", "create_webhook",
        "webhook", "toggle_webhook", "rotate_webhook", "delete_webhook", "resend_webhook", "vat",
        "add_vat_registration", "remove_vat_registration")},
}
# documents the route is tried on (the others: a draft)
ON_ISSUED = {"send", "new_payment", "void_payment", "mark_paid", "credit", "cancel", "change_recipient",
             "renew_link", "revoke_link", "note_file", "note_first_file", "add_note_files", "reactivate",
             "einvoice_xml"}


def world(f, org, owner):
    """Fresh objects of every kind in ``org`` (a route may change or delete what it was given)."""
    from webapp.services import drafts, notes, payments

    contact = f.contact(org, "Kunde AG", email="k@example.com")
    draft = f.draft(org, contact)
    adjustment = drafts.add_adjustment(org, draft, "charge")
    db.session.commit()
    issued = f.issued(org, contact_=contact)
    payment = payments.record(org, owner, issued, payments.PaymentInput(amount=100, paid_on=date.today(),
                                                                       key=f"k{issued.id}"))
    note = notes.add(org, owner, issued, "n", [notes.Upload("n.pdf", b"%PDF-1.4 x")])
    job = ImportJob(org_id=org.id, filename="c.csv", content="Company\nX\n", mapping={"0": "company_name"})
    db.session.add(job)
    from webapp.models import ExpenseCategory

    category = ExpenseCategory(org_id=org.id, name=f"Rent {draft.id}")
    db.session.add(category)
    db.session.commit()
    return {"contact_id": contact.id, "product_id": f.product(org, "Bread").id,
            "rate_id": db.session.scalar(select(TaxRate.id).where(TaxRate.org_id == org.id)),
            "field_id": f.custom_field(org, f"f{draft.id}", "text").id, "job_id": job.id,
            "membership_id": f.member(org, "staff").id,
            "invitation_id": f.invitation(org, email=f"i{draft.id}@example.com")[0].id,
            "message_id": f.outbox_message(org).id, "token_id": f.api_token(org)[0].id,
            "event_id": db.session.scalar(select(AuditEvent.id).where(AuditEvent.org_id == org.id)),
            "org_id": org.id, "draft": draft, "issued": issued, "line_id": draft.lines[0].id,
            "adjustment_id": adjustment.id, "payment_id": payment.id, "note_id": note.id, "file_id": note.files[0].id,
            "token": issued.public_token, "kind": "invoice", "category_id": category.id,
            "transaction_id": f.bank_transaction(org).id, **webhook_ids(org)}


def webhook_ids(org) -> dict:
    """A webhook endpoint of ``org`` with one delivery (the webhook routes' ids)."""
    from webapp.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint(org_id=org.id, url="https://hooks.example.com/in", events=[], secret="whsec_" + "A" * 32)
    db.session.add(endpoint)
    db.session.flush()
    delivery = WebhookDelivery(org_id=org.id, endpoint_id=endpoint.id, event_id="msg_x", event_type="invoice.paid",
                               payload="{}", status="failed")
    db.session.add(delivery)
    db.session.commit()
    return {"webhook_id": endpoint.id, "delivery_id": delivery.id}


@pytest.mark.slow
@pytest.mark.parametrize("role", ["anonymous", "bookkeeper", "staff", "owner"])
def test_every_route_answers_each_role_as_declared(app, login_as, f, role):
    owner = login_as("owner")
    org = f.complete_org(owner.org)
    undeclared = sorted({r.endpoint for r in app.url_map.iter_rules() if not r.endpoint.startswith("api.")}
                        - ALLOWED.keys())
    assert not undeclared, f"declare who may use these routes: {undeclared}"
    values = None
    for rule in rules(app, {"GET", "POST"}):
        if rule.endpoint == "static":
            continue
        if values is None or "POST" in rule.methods:  # a POST may have changed or deleted what it was given
            values = world(f, org, owner.user)
        name = rule.endpoint.rsplit(".", 1)[-1]
        values["document_id"] = values["issued" if name in ON_ISSUED else "draft"].id
        url = build(app, rule, values)
        allowed = ALLOWED[rule.endpoint]
        for method in sorted(rule.methods & {"GET", "POST"}):
            client = app.test_client() if role == "anonymous" else login_as(role, org=org).client
            r = client.open(url, method=method, data={})
            where = (role, method, url, r.status_code)
            assert_security_headers(r, where)  # on every route, for every role, whatever the answer
            if role == "anonymous":
                to_login = r.status_code in (302, 303, 401) and "/auth/login" in r.headers.get(
                    "Location", r.headers.get("HX-Redirect", ""))
                assert to_login != (allowed == PUBLIC) or r.status_code == 404, where
            elif allowed in (PUBLIC, MEMBER) or role in allowed:
                assert r.status_code not in (401, 403) and r.status_code < 500, where
            else:
                assert r.status_code == 403, where
