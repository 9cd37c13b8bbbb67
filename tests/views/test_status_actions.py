"""Every status of every kind of document against every action: allowed ones succeed and change something,
refused ones answer with a clear message and change nothing (compared table by table)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.security.test_tenancy import table_contents
from webapp.domain.status import ACTIONS
from webapp.extensions import db
from webapp.models import Document, Payment
from webapp.services import corrections, drafts, issuing, payments, quotes

CASES = [("invoice", "draft"), ("invoice", "issued"), ("invoice", "cancelled"), ("credit_note", "draft"),
         ("credit_note", "issued"), ("quote", "draft"), ("quote", "sent"), ("quote", "accepted"),
         ("quote", "declined"), ("quote", "expired")]
TESTED = ["issue", "send", "pay", "refund", "void_payment", "credit", "cancel", "change_recipient", "reactivate",
          "accept", "decline", "convert", "delete"]


def make(f, org, owner, kind, status) -> Document:
    customer = f.contact(org, "Kunde AG", email="k@example.com", locale="en")
    if kind == "quote":
        doc = drafts.new_draft(org, owner, customer, kind="quote")
        line = drafts.add_line(org, doc)
        drafts.update_line(doc, line, {"description": "Cake", "quantity": Decimal(1), "unit_price": Decimal(50)})
        db.session.commit()
        if status != "draft":
            issuing.issue(org, owner, doc)
        if status in ("accepted", "declined"):
            quotes.decide(org, owner, doc, "accept" if status == "accepted" else "decline")
        db.session.commit()
        if status == "expired":
            db.session.execute(Document.__table__.update().where(Document.id == doc.id)
                               .values(valid_until=date.today() - timedelta(days=1)))
            db.session.commit()
        return doc
    if kind == "invoice" and status == "draft":
        return f.draft(org, customer)
    invoice = f.issued(org, contact_=customer)
    payments.record(org, owner, invoice, payments.PaymentInput(amount=100, paid_on=date.today(), key="k1"))
    db.session.commit()
    if kind == "invoice" and status == "cancelled":
        corrections.cancel(org, owner, invoice)
        db.session.commit()
    if kind == "invoice":
        return invoice
    note = corrections.full_credit_note(org, owner, invoice)
    db.session.commit()
    if status == "issued":
        issuing.issue(org, owner, note)
        db.session.commit()
    return note


def request_for(client, doc, action, other_contact_id, payment_id):
    base = f"/invoices/{doc.id}"
    data = {"version": doc.version}
    if action == "send":
        url, data = f"{base}/send", {"to": "k@example.com", "subject": "Hello", "body": "Hi", "key": "send-key-0001"}
    elif action == "pay":
        url, data = f"{base}/payments/new", {"kind": "payment", "amount": "1.00", "paid_on": date.today().isoformat(),
                                             "method": "cash", "key": "pay-key-00001"}
    elif action == "refund":
        url, data = f"{base}/payments/new", {"kind": "refund", "amount": "1.00", "paid_on": date.today().isoformat(),
                                             "method": "cash", "key": "refund-key-001"}
    elif action == "void_payment":
        url, data = f"{base}/payments/{payment_id}/void", {"reason": "test"}
    elif action == "credit":
        url, data = f"{base}/credit", {"mode": "full"}
    elif action == "change_recipient":
        url, data = f"{base}/change-recipient", {"contact_id": other_contact_id}
    else:
        url = f"{base}/{action}"
    return client.post(url, data=data)


@pytest.mark.parametrize("kind, status", CASES)
@pytest.mark.parametrize("action", TESTED)
def test_action_in_status(kind, status, action, login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = make(f, owner.org, owner.user, kind, status)
    assert doc.current_status == status
    other = f.contact(owner.org, "Other GmbH")
    payment = db.session.scalar(select(Payment).order_by(Payment.id))
    allowed = action in ACTIONS[(kind, status)]
    before = table_contents()
    r = request_for(owner.client, doc, action, other.id, payment.id if payment else 1)
    page = owner.client.get(r.headers.get("Location", "/")).data.decode() if r.status_code == 303 else r.data.decode()
    if allowed:
        assert r.status_code == 303, (r.status_code, r.data[:500])
        assert "flash-error" not in page, page[page.find("flash-error"):][:300]
        assert table_contents() != before
    else:
        assert r.status_code in (303, 422), r.status_code
        assert "flash-error" in page or 'role="alert"' in page
        message = page[page.find("flash-error"):][:300] if "flash-error" in page else page
        assert any(m in message for m in ("cannot be", "has no payments to void", "issue it first", "never changed", "Only issued",
                                          "is not to be paid")), message
        assert table_contents() == before


def test_the_table_covers_every_action_of_the_status_table():
    used = set().union(*ACTIONS.values())
    assert used - {"edit", "duplicate", "mark_paid", "note"} <= set(TESTED)
    assert {k for k, _ in ACTIONS} == {k for k, _ in CASES} and set(ACTIONS) == set(CASES)
