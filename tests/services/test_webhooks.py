"""Webhooks end to end: events written with the change, delivered by the worker to a real receiver on 127.0.0.1
that checks every signature (standardwebhooks), retried while it is down, never sent to private, loopback or
link-local addresses (a stubbed resolver and a socket guard: no connection is even tried), redirects not
followed. No traffic leaves loopback."""
from __future__ import annotations

import json
import socket
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests import webhook_receiver
from tests.webhook_receiver import closed_port, start_receiver
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookDelivery
from webapp.models.types import utcnow
from webapp.services import corrections, drafts, issuing, quotes, webhooks
from webapp.usecases import Actor
from webapp.usecases import webhooks as usecase


receiver, loopback_allowed = webhook_receiver.receiver, webhook_receiver.loopback_allowed  # fixtures

def owner_actor(org) -> Actor:
    return Actor(org, next(m.user for m in org.memberships if m.role == "owner"), "owner")


def endpoint(org, url, events=()):
    row = usecase.create_endpoint(owner_actor(org), usecase.EndpointInput(url=url, events=list(events)))
    db.session.commit()
    return row


def deliveries(org=None):
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if org is not None:
        stmt = stmt.where(WebhookDelivery.org_id == org.id)
    return db.session.scalars(stmt).all()


def test_a_full_flow_arrives_in_order_each_event_signed(api, receiver, loopback_allowed):
    hook = endpoint(api.org, receiver.url("/tallybook?shop=1"))
    customer = api.post("/customers", json={"company": "Acme Inc", "email": "buyer@acme.example"}).get_json()
    draft = api.post("/invoices", json={"customer_id": customer["id"], "items": [
        {"description": "Bread", "quantity": 2, "unit_extratax_amount": 1000}]}).get_json()
    finalized = api.post(f"/invoices/{draft['id']}/finalize").get_json()
    assert finalized["status"] == "issued"
    api.post(f"/invoices/{draft['id']}/attach_payment", json={"transaction_data": {"amount": 1000}})
    api.post(f"/invoices/{draft['id']}/attach_payment", json={})
    assert len(receiver.requests) == 0  # nothing leaves before the worker runs

    report = webhooks.deliver_due()

    assert len(report.delivered) == 6 and report.retrying == [] and report.failed == []
    events = receiver.verified(hook.secret)  # raises unless every signature is right
    assert [e["type"] for e in events] == ["customer.created", "invoice.created", "invoice.finalized",
                                           "payment.recorded", "payment.recorded", "invoice.paid"]
    assert events[0]["data"]["id"] == customer["id"] and events[0]["data"]["object"] == "customer"
    assert events[1]["data"] == {**events[1]["data"], "id": draft["id"], "object": "invoice", "status": "draft",
                                 "customer_id": customer["id"]}
    issued = events[2]["data"]
    assert issued["document_number"] == finalized["document_number"] and issued["status"] == "issued"
    assert issued["total_tax_included_amount"] == finalized["total_tax_included_amount"] == 2380
    assert issued["payment_status"] == "OPEN" and issued["amount_due"] == 2380
    assert [(e["data"]["object"], e["data"]["amount"], e["data"]["invoice_id"]) for e in events[3:5]] == [
        ("payment", 1000, draft["id"]), ("payment", 1380, draft["id"])]
    assert events[5]["data"]["payment_status"] == "PAID" and events[5]["data"]["amount_paid"] == 2380
    rows = deliveries(api.org)
    assert [r.event_id for r in rows] == [r.headers["webhook-id"] for r in receiver.requests]
    assert all(r.event_id.startswith("msg_") for r in rows) and len({r.event_id for r in rows}) == 6
    assert {(r.status, r.attempts, r.last_status_code) for r in rows} == {("delivered", 1, 204)}
    assert {r.path for r in receiver.requests} == {"/tallybook?shop=1"}
    assert receiver.requests[0].headers["Content-Type"] == "application/json"
    assert receiver.requests[0].headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 6
    assert webhooks.deliver_due().delivered == []  # delivered once


def test_no_endpoint_writes_nothing_and_each_endpoint_gets_what_it_asked_for(app):
    org = factories.complete_org(factories.organization())
    factories.issued(org)
    assert deliveries() == []
    invoices_only = endpoint(org, "https://shop.example.com/a", ["invoice.finalized"])
    everything = endpoint(org, "https://erp.example.com/b")
    disabled = endpoint(org, "https://old.example.com/c")
    usecase.update_endpoint(owner_actor(org), disabled.id, usecase.EndpointInput(enabled=False))
    other = factories.complete_org(factories.organization())
    endpoint(other, "https://other.example.com/d")
    db.session.commit()

    factories.issued(org, contact_=factories.contact(org, "Buyer AG"))

    rows = deliveries()
    assert sorted((r.endpoint_id, r.event_type) for r in rows) == sorted([
        (invoices_only.id, "invoice.finalized"), (everything.id, "invoice.created"),
        (everything.id, "invoice.finalized")])
    finalized = [r for r in rows if r.event_type == "invoice.finalized"]
    assert finalized[0].event_id == finalized[1].event_id and finalized[0].payload == finalized[1].payload
    assert {r.org_id for r in rows} == {org.id}


def test_cancel_credit_note_and_quote_decisions_are_events(app):
    org = factories.complete_org(factories.organization())
    invoice = factories.issued(org)
    hook = endpoint(org, "https://shop.example.com/hooks")
    actor = owner_actor(org)
    note = corrections.cancel(org, actor.user, invoice)
    copy = corrections.reactivate(org, actor.user, invoice)
    quote = drafts.new_draft(org, actor.user, invoice.contact, kind="quote")
    line = drafts.add_line(org, quote)
    drafts.update_line(quote, line, {"description": "Cake", "quantity": Decimal("1"), "unit_price": Decimal("30")})
    issuing.issue(org, actor.user, quote)
    quotes.decide(org, actor.user, quote, "accept")
    db.session.commit()
    rows = deliveries(org)
    assert [r.event_type for r in rows] == ["credit_note.finalized", "invoice.cancelled", "invoice.created",
                                            "invoice.reactivated", "quote.accepted"]
    payloads = [json.loads(r.payload) for r in rows]
    assert payloads[0]["data"]["id"] == str(note.id) and payloads[0]["data"]["kind"] == "credit_note"
    assert payloads[1]["data"]["credit_note_id"] == str(note.id) and payloads[1]["data"]["status"] == "cancelled"
    assert payloads[3]["data"]["reactivated_as_id"] == str(copy.id)
    assert payloads[4]["data"]["kind"] == "quote" and payloads[4]["data"]["status"] == "accepted"
    assert {r.endpoint_id for r in rows} == {hook.id}


def test_receiver_down_then_up_is_delivered_once(app, loopback_allowed):
    org = factories.complete_org(factories.organization())
    port = closed_port()
    hook = endpoint(org, f"http://127.0.0.1:{port}/hooks", ["invoice.finalized"])
    factories.issued(org)

    down = webhooks.deliver_due()
    [row] = deliveries(org)
    assert down.retrying == [row.id] and row.status == "queued" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error and row.last_status_code is None
    assert timedelta(seconds=4) < row.next_attempt_at - utcnow() <= timedelta(seconds=5)
    assert webhooks.deliver_due().retrying == []  # not due yet

    later = webhooks.deliver_due(now=utcnow() + timedelta(minutes=1))  # still down: the next wait is 5 minutes
    row = db.session.get(WebhookDelivery, row.id)
    assert later.retrying == [row.id] and row.attempts == 2
    assert timedelta(minutes=5) < row.next_attempt_at - utcnow() <= timedelta(minutes=6)

    up = start_receiver(port)
    try:
        report = webhooks.deliver_due(now=utcnow() + timedelta(minutes=7))
        again = webhooks.deliver_due(now=utcnow() + timedelta(days=1))
    finally:
        up.stop()
    assert report.delivered == [row.id] and again.delivered == [] and len(up.requests) == 1
    [event] = up.verified(hook.secret)
    assert event["type"] == "invoice.finalized"
    row = db.session.get(WebhookDelivery, row.id)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 3, 204, "")
    log = db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == row.id)
                             .order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in log] == [None, None, 204] and "Connection" in log[0].error


def test_backoff_gives_up_three_days_after_the_event(app, loopback_allowed):
    org = factories.complete_org(factories.organization())
    endpoint(org, f"http://127.0.0.1:{closed_port()}/hooks", ["invoice.finalized"])
    factories.issued(org)
    [row] = deliveries(org)
    start = row.created_at
    waits = []
    for attempts in range(1, 12):
        row.attempts = attempts
        when = webhooks.next_attempt(row, start + sum(waits, timedelta()))
        if when is None:
            break
        waits.append(when - (start + sum(waits, timedelta())))
    assert waits[:4] == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    assert timedelta(days=2) < sum(waits, timedelta()) <= timedelta(days=3)
    db.session.rollback()
    row = db.session.get(WebhookDelivery, row.id)
    row.created_at = utcnow() - timedelta(days=3) + timedelta(seconds=2)  # the last try of the three days
    db.session.commit()
    report = webhooks.deliver_due()
    row = db.session.get(WebhookDelivery, row.id)
    assert report.failed == [row.id] and row.status == "failed" and row.attempts == 1


@contextmanager
def guarded(monkeypatch):
    """Any connection attempt in the block fails the test (so a refused URL provably never reached the
    network); the guard is lifted after it, before the database is cleaned up."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args!r}")

    with monkeypatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield attempts


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fd00::1", "192.168.1.5",
                                     "172.16.0.1", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1", "fe80::1", "100.64.0.1"])
def test_a_name_resolving_to_a_private_address_is_refused_before_any_connection(app, monkeypatch, address):
    org = factories.complete_org(factories.organization())
    endpoint(org, "https://hooks.example.com/tallybook", ["invoice.finalized"])
    factories.issued(org)
    looked_up = []
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: looked_up.append((host, port)) or [address])
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)

    with guarded(monkeypatch) as attempts:
        report = webhooks.deliver_due()

    [row] = deliveries(org)
    assert attempts == [] and looked_up == [("hooks.example.com", 443)]
    assert report.retrying == [row.id] and row.last_status_code is None
    assert row.last_error.startswith("refused: hooks.example.com resolves to " + address)


def test_one_private_address_among_public_ones_is_enough_to_refuse(app, monkeypatch):
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: ["93.184.215.14", "10.1.2.3"])
    with pytest.raises(webhooks.Refused, match="10.1.2.3, a private address"):
        webhooks.vetted_address("mixed.example.com", 443, allow_private=False)
    assert webhooks.refusal("93.184.215.14") is None and webhooks.refusal("2606:4700::1111") is None
    # the setting for tests and development lets loopback and private addresses through, never link-local ones
    assert webhooks.refusal("127.0.0.1", allow_private=True) is None
    assert webhooks.refusal("fd00::1", allow_private=True) is None
    assert webhooks.refusal("169.254.169.254", allow_private=True) == "link-local"


def test_a_redirect_is_a_failure_and_its_target_is_never_asked(app, loopback_allowed):
    target = start_receiver()
    first = start_receiver()
    first.status, first.location = 302, target.url("/elsewhere")
    try:
        org = factories.complete_org(factories.organization())
        endpoint(org, first.url(), ["invoice.finalized"])
        factories.issued(org)
        report = webhooks.deliver_due()
    finally:
        first.stop()
        target.stop()
    [row] = deliveries(org)
    assert report.retrying == [row.id] and row.last_status_code == 302
    assert "not followed" in row.last_error
    assert len(first.requests) == 1 and target.requests == []


def test_an_error_answer_is_retried_with_its_status_code(app, receiver, loopback_allowed):
    receiver.status = 500
    org = factories.complete_org(factories.organization())
    endpoint(org, receiver.url(), ["invoice.finalized"])
    factories.issued(org)
    webhooks.deliver_due()
    [row] = deliveries(org)
    assert (row.status, row.last_status_code) == ("queued", 500) and row.last_error.startswith("HTTP 500")


def test_a_claimed_delivery_is_not_taken_twice_until_its_lease_ends(app, receiver, loopback_allowed):
    org = factories.complete_org(factories.organization())
    endpoint(org, receiver.url(), ["invoice.finalized"])
    factories.issued(org)
    [row] = deliveries(org)
    claimed = webhooks._claim_next(utcnow(), set())
    assert claimed.id == row.id and claimed.status == "sending"
    assert webhooks._claim_next(utcnow(), set()) is None  # another worker finds nothing
    claimed.last_attempt_at = utcnow() - webhooks.CLAIM_LEASE - timedelta(seconds=1)  # that worker died
    db.session.commit()
    assert webhooks.deliver_due().delivered == [row.id] and len(receiver.requests) == 1


def test_resend_queues_a_new_delivery_of_the_same_event(app, receiver, loopback_allowed):
    org = factories.complete_org(factories.organization())
    hook = endpoint(org, receiver.url(), ["invoice.finalized"])
    factories.issued(org)
    webhooks.deliver_due()
    [first] = deliveries(org)
    again = usecase.resend_delivery(owner_actor(org), first.id)
    db.session.commit()
    assert again.id != first.id and again.resent_from_id == first.id and again.status == "queued"
    assert webhooks.deliver_due().delivered == [again.id]
    events = receiver.verified(hook.secret)
    assert len(events) == 2 and events[0] == events[1]
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]


def test_a_disabled_endpoints_queued_deliveries_fail(app, receiver, loopback_allowed):
    org = factories.complete_org(factories.organization())
    hook = endpoint(org, receiver.url(), ["invoice.finalized"])
    factories.issued(org)
    usecase.update_endpoint(owner_actor(org), hook.id, usecase.EndpointInput(enabled=False))
    db.session.commit()
    report = webhooks.deliver_due()
    [row] = deliveries(org)
    assert report.failed == [row.id] and row.last_error == "the endpoint is disabled" and receiver.requests == []


def test_an_endpoint_deleted_while_its_delivery_is_on_the_way_ends_the_delivery_quietly(app, monkeypatch):
    org = factories.complete_org(factories.organization())
    hook = endpoint(org, "https://shop.example.com/hooks", ["invoice.finalized"])
    factories.issued(org)
    other = endpoint(org, "https://erp.example.com/hooks", ["invoice.finalized"])
    factories.issued(org)

    def deleted_meanwhile(url, body, headers, allow_private=False):
        if url.startswith("https://shop."):
            with db.engine.begin() as connection:  # another request deletes the endpoint
                connection.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == hook.id))
                connection.execute(hook.__table__.delete().where(hook.__table__.c.id == hook.id))
        return webhooks.Answer(204, "", 3)

    monkeypatch.setattr(webhooks, "post", deleted_meanwhile)
    report = webhooks.deliver_due()
    rows = deliveries(org)
    assert [(r.endpoint_id, r.status) for r in rows] == [(other.id, "delivered")]
    assert report.delivered == [rows[0].id]


def test_sending_and_the_customers_first_view_are_events(owner, f):
    from tests.views.test_sending import dialog, issued_for
    from webapp.services import links

    org = f.complete_org(owner.org)
    doc = issued_for(f, org)
    endpoint(org, "https://shop.example.com/hooks", ["invoice.sent", "invoice.viewed"])
    assert owner.client.post(f"/invoices/{doc.id}/send", data=dialog(owner.client, doc.id)).status_code == 303
    assert links.record_view(db.session.get(type(doc), doc.id)) is True
    db.session.commit()
    assert links.record_view(db.session.get(type(doc), doc.id)) is False  # the first view only
    db.session.commit()
    rows = deliveries(org)
    assert [r.event_type for r in rows] == ["invoice.sent", "invoice.viewed"]
    assert {json.loads(r.payload)["data"]["document_number"] for r in rows} == {doc.number}
