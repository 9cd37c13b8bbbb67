"""The JSON API walked route by route (app.url_map), with tokens: without one every route answers 401 and
changes nothing; another organization's token gets 404 for every id and changes nothing; each role's token is
allowed exactly what the declared table says; a GET writes nothing (but the token's last use)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests import factories
from tests.security.routes import UNSAFE, api_rules, build
from tests.security.test_tenancy import table_contents
from webapp.domain.roles import ROLES, can
from webapp.extensions import db
from webapp.models import ApiToken
from webapp.models.types import utcnow

METHODS = {"GET", *UNSAFE}
PUBLIC = {"api.openapi_document"}
ON_ISSUED = {"api.invoice_xml"}  # GETs tried on an issued invoice (a draft has no e-invoice: 422)
# endpoint -> the permission a token's role needs ("view": every role)
DECLARED = {
    "api.list_customers": "view", "api.get_customer": "view", "api.get_customer_address": "view",
    "api.create_customer": "manage_customers", "api.update_customer": "manage_customers",
    "api.archive_customer": "manage_customers", "api.restore_customer": "manage_customers",
    "api.put_customer_address": "manage_customers",
    "api.list_suppliers": "view", "api.get_supplier": "view", "api.get_supplier_address": "view",
    "api.create_supplier": "manage_customers", "api.update_supplier": "manage_customers",
    "api.archive_supplier": "manage_customers", "api.restore_supplier": "manage_customers",
    "api.put_supplier_address": "manage_customers",
    "api.list_invoices": "view", "api.get_invoice": "view", "api.list_items": "view", "api.invoice_pdf": "view",
    "api.invoice_xml": "view",
    "api.create_invoice": "edit_drafts", "api.update_invoice": "edit_drafts", "api.delete_invoice": "edit_drafts",
    "api.add_item": "edit_drafts", "api.update_item": "edit_drafts", "api.delete_item": "edit_drafts",
    "api.finalize_invoice": "issue_documents", "api.attach_payment": "record_payments",
    "api.list_products": "view", "api.get_product": "view", "api.create_product": "manage_products",
    "api.update_product": "manage_products", "api.archive_product": "manage_products",
    "api.restore_product": "manage_products",
    "api.list_tax_rates": "view", "api.get_tax_rate": "view", "api.create_tax_rate": "manage_tax_rates",
    "api.update_tax_rate": "manage_tax_rates", "api.delete_tax_rate": "manage_tax_rates",
    "api.archive_tax_rate": "manage_tax_rates", "api.restore_tax_rate": "manage_tax_rates",
    # the document actions (webapp/api/actions.py)
    "api.send_invoice": "issue_documents", "api.set_paid": "record_payments",
    "api.cancel_invoice": "correct_documents", "api.change_recipient": "correct_documents",
    "api.reactivate_invoice": "correct_documents", "api.create_credit_note": "correct_documents",
    "api.accept_quote": "issue_documents", "api.decline_quote": "issue_documents", "api.convert_quote": "edit_drafts",
    "api.list_notes": "view", "api.get_note": "view", "api.add_notes": "add_notes",
    "api.add_note_files": "add_notes", "api.note_file": "view", "api.note_first_file": "view",
    "api.get_link": "view", "api.renew_link": "issue_documents", "api.revoke_link": "issue_documents",
    "api.list_webhook_endpoints": "manage_api", "api.create_webhook_endpoint": "manage_api",
    "api.get_webhook_endpoint": "manage_api", "api.update_webhook_endpoint": "manage_api",
    "api.delete_webhook_endpoint": "manage_api", "api.rotate_webhook_secret": "manage_api",
    "api.list_webhook_deliveries": "manage_api", "api.resend_webhook_delivery": "manage_api",
    "api.import_purchase": "upload_purchases", "api.list_expense_categories": "view",
    "api.import_bank_statement": "reconcile_bank", "api.confirm_bank_transaction": "reconcile_bank",
}
# a body each route accepts, so the walk reaches the use case (and its permission and tenancy checks)
BODIES = {
    "api.create_customer": {"company": "Walker"}, "api.create_supplier": {"company": "Walker"},
    "api.update_customer": {"notes": "walked"}, "api.update_supplier": {"notes": "walked"},
    "api.put_customer_address": {"city": "Walkton"}, "api.put_supplier_address": {"city": "Walkton"},
    "api.create_invoice": {"customer_id": "{contact_id}", "items": [{"description": "Walk", "unit_price": "1"}]},
    "api.update_invoice": {"notes": "walked"}, "api.add_item": {"description": "Walk", "unit_price": "1"},
    "api.update_item": {"quantity": "2"},
    "api.create_product": {"name": "Walker", "unit_price": "1.50"}, "api.update_product": {"description": "walked"},
    "api.create_tax_rate": {"name": "Walker", "percentage": "5", "category": "S"},
    "api.update_tax_rate": {"name": "Walked rate"},
    "api.send_invoice": {"subject": "Walked"}, "api.set_paid": {"send_notification": True},
    "api.cancel_invoice": {"reason": "walked"}, "api.change_recipient": {"customer_id": "{contact_id}"},
    "api.create_credit_note": {"mode": "full"}, "api.add_notes": {"body": "walked"},
    "api.create_webhook_endpoint": {"url": "https://walker.example.com/hooks"},
    "api.update_webhook_endpoint": {"description": "walked"},
}


def and_the_catalog(objects):
    """``objects`` plus a product and a tax rate of ``org``, not the default (the catalog's routes); the product
    uses the rate, so a walk's DELETE of the rate is refused and the rate's other routes still find it."""
    def with_catalog(org) -> dict:
        found = objects(org)
        from webapp.models import TaxRate

        rate = TaxRate(org_id=org.id, name="Victim rate", percent=Decimal("8.5"), category="S")
        db.session.add(rate)
        db.session.flush()
        product = factories.product(org, "Victim loaf", "2.50", tax_rate_id=rate.id)
        return {**found, "product_id": product.id, "rate_id": rate.id}
    return with_catalog


def and_a_webhook(objects):
    """``objects`` plus a webhook endpoint of ``org`` with one delivery (the webhook routes' ids)."""
    def with_webhook(org) -> dict:
        found = objects(org)
        from webapp.models import WebhookDelivery, WebhookEndpoint

        endpoint = WebhookEndpoint(org_id=org.id, url="https://victim.example.com/hooks", description="Victim hook",
                                   events=["invoice.paid"], secret="whsec_" + "A" * 32)
        db.session.add(endpoint)
        db.session.flush()
        delivery = WebhookDelivery(org_id=org.id, endpoint_id=endpoint.id, event_id="msg_victim", event_type="invoice.paid",
                                   payload='{"type":"invoice.paid","data":{}}', status="delivered")
        db.session.add(delivery)
        db.session.commit()
        return {**found, "endpoint_id": endpoint.id, "delivery_id": delivery.id}
    return with_webhook


def and_a_note(objects):
    """``objects`` plus a note with a file on the draft (the notes' routes: list, file download)."""
    def with_note(org) -> dict:
        found = objects(org)
        from webapp.models import Document
        from webapp.services import notes

        doc = db.session.get(Document, found["document_id"])
        actor = next(m.user for m in org.memberships if m.role == "owner")
        note = notes.add(org, actor, doc, "Victim note", [notes.Upload("victim.pdf", b"%PDF-1.4 victim")])
        db.session.commit()
        return {**found, "note_id": note.id, "file_id": note.files[0].id}
    return with_note


@and_a_webhook
@and_a_note
@and_the_catalog
def objects_of(org) -> dict:
    """One object of each kind the API's routes take ids of, in ``org``."""
    contact = factories.contact(org, "Victim GmbH", email="victim@example.com")
    contact.is_supplier = True
    db.session.commit()
    draft = factories.draft(org, contact, lines=[("Victim line", "1", "5")])
    return {"contact_id": contact.id, "document_id": draft.id, "line_id": draft.lines[0].id,
            "transaction_id": factories.bank_transaction(org).id}


def quiet(token_row_id: int) -> None:
    """Mark the token as just used, so the walk's requests do not write its last use (once a minute)."""
    db.session.get(ApiToken, token_row_id).last_used_at = utcnow()
    db.session.commit()


def test_every_api_route_is_declared(app):
    endpoints = {r.endpoint for r in api_rules(app, METHODS)}
    assert endpoints - PUBLIC - DECLARED.keys() == set(), "declare the role of these API routes"
    assert DECLARED.keys() - endpoints == set(), "declared routes that do not exist"


def _open(app, api, rule, method, values):
    url = build(app, rule, values)
    headers = {"Authorization": f"Bearer {api.token}"} if api is not None else {}
    body = BODIES.get(rule.endpoint, {}) if method in UNSAFE else None
    if body is not None:  # ids of the objects the walk uses
        body = json.loads(json.dumps(body).replace('"{contact_id}"', json.dumps(str(values["contact_id"]))))
    client = api.client if api is not None else app.test_client()
    return client.open(url, method=method, json=body, headers=headers, csrf=False), url


@pytest.mark.slow  # a snapshot of every table per request: once, in the PostgreSQL pass
def test_without_a_token_every_route_is_401_and_changes_nothing(app, api):
    values = objects_of(api.org)
    tried = 0
    for rule in api_rules(app, METHODS):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods & METHODS):
            before = table_contents()
            answer, url = _open(app, None, rule, method, values)
            assert answer.status_code == 401, (method, url, answer.status_code)
            assert answer.mimetype == "application/problem+json"
            assert table_contents() == before, (method, url)
            tried += 1
    assert tried >= 16


@pytest.mark.slow  # a snapshot of every table per request: once, in the PostgreSQL pass
def test_another_organizations_token_gets_404_for_every_id_and_changes_nothing(app, api, api_as):
    victim = objects_of(api.org)
    attacker = api_as("owner")
    quiet(attacker.row.id)
    tried = []
    for rule in api_rules(app, METHODS):
        if not set(rule.arguments) & victim.keys():
            continue
        for method in sorted(rule.methods & METHODS):
            before = table_contents()
            answer, url = _open(app, attacker, rule, method, victim)
            assert answer.status_code == 404, (method, url, answer.status_code, answer.get_json())
            assert b"Victim" not in answer.data
            assert table_contents() == before, (method, url)
            tried.append((method, rule.rule))
    assert len(tried) >= 12


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_each_roles_token_may_do_what_the_table_declares(app, api_as, role):
    program = api_as(role)
    quiet(program.row.id)
    values = objects_of(program.org)
    # the DELETEs last: a role that may delete the draft would otherwise leave the later routes a 404, where a
    # role that may not act must be told 403
    walk = sorted(((rule, method) for rule in api_rules(app, METHODS) if rule.endpoint not in PUBLIC
                   for method in rule.methods & METHODS), key=lambda pair: (pair[1] == "DELETE", pair[0].rule, pair[1]))
    for rule, method in walk:
        before = table_contents()
        answer, url = _open(app, program, rule, method, values)
        if can(role, DECLARED[rule.endpoint]):  # allowed: anything but a refusal of the role (the state may refuse)
            assert answer.status_code not in (401, 403) and answer.status_code < 500, (
                role, method, url, answer.status_code, answer.get_json())
        else:
            assert answer.status_code == 403, (role, method, url, answer.status_code)
            assert answer.get_json()["code"] == "forbidden"
            assert table_contents() == before, (role, method, url)


@pytest.mark.slow  # a snapshot of every table per request: once, in the PostgreSQL pass
def test_a_get_writes_nothing(app, api):
    values = objects_of(api.org)
    # what only an issued document has (a draft's answer is a refusal): tried on an issued invoice
    issued = {**values, "document_id": factories.issued(api.org, contact_=factories.contact(api.org, "Issued AG")).id}
    quiet(api.row.id)
    for rule in api_rules(app, {"GET"}):
        before = table_contents()
        answer, url = _open(app, api, rule, "GET", issued if rule.endpoint in ON_ISSUED else values)
        assert answer.status_code == 200, (url, answer.status_code)
        assert table_contents() == before, url
