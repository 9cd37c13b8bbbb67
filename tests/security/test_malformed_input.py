"""Malformed and hostile form values on the correction and payment routes (huge, tiny, NaN, infinite, negative
ids, unknown choices, over-long keys, NUL characters): never a 5xx, a refusal changes no row, and what is
accepted is stored without the NUL characters that PostgreSQL's text columns refuse."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.security.test_tenancy import table_contents
from tests.views.test_corrections import rich_invoice
from webapp.extensions import db
from webapp.models import AuditEvent, Document, DocumentNote, Payment
from webapp.services import payments


def payment(key: str, **values) -> dict:
    return {"kind": "payment", "amount": "1", "paid_on": "2026-01-01", "method": "card", "key": key, **values}


def refused_cases(inv: Document) -> list[tuple[str, str, dict, str]]:
    """(name, path under the invoice, form, expected text of the refusal) for ``inv``."""
    group = f"{inv.tax_breakdown[0]['category']}|{inv.tax_breakdown[0]['rate']}"
    line = f"q{inv.lines[0].id}"
    nothing_recorded = "Nothing was recorded"
    return [
        ("recipient id beyond 64 bits", "change-recipient", {"contact_id": "9" * 20}, "Nothing was changed"),
        ("negative recipient id", "change-recipient", {"contact_id": "-5"}, "Nothing was changed"),
        ("credit amount of 30 digits", "credit", {"mode": "amount", "amount": "9" * 30, "group": group}, ""),
        ("credit amount below a cent", "credit", {"mode": "amount", "amount": "0.000001", "group": group},
         "must reduce the invoice"),
        ("credit in an unknown VAT group", "credit", {"mode": "amount", "amount": "1", "group": "S|abc"},
         "Choose one of the invoice&#39;s VAT rates."),
        ("unknown credit mode", "credit", {"mode": "zzz"}, ""),
        ("credit quantity of 30 digits", "credit", {"mode": "lines", line: "9" * 30}, "too large"),
        ("credit quantity that rounds to nothing", "credit", {"mode": "lines", line: "0.0001"},
         "must reduce the invoice"),
        ("payment of 30 digits", "payments/new", payment("k1", amount="9" * 30), nothing_recorded),
        ("payment of NaN", "payments/new", payment("k2", amount="NaN"), nothing_recorded),
        ("payment of Infinity", "payments/new", payment("k3", amount="Infinity"), nothing_recorded),
        ("payment in exponent notation", "payments/new", payment("k4", amount="1e5"), nothing_recorded),
        ("unknown payment kind", "payments/new", payment("k5", kind="xx"), nothing_recorded),
        ("payment in the year 1", "payments/new", payment("k6", paid_on="0001-01-01"), nothing_recorded),
        ("payment form key of 65 characters", "payments/new", payment("k" * 65), "longer than 64 characters"),
    ]


def test_malformed_corrections_and_payments_are_refused_and_change_nothing(owner, f):
    """Each refused with 422 and its reason (nothing half-done: no credit note, payment or audit event)."""
    inv = rich_invoice(f, owner.org)
    for name, path, data, reason in refused_cases(inv):
        before = table_contents()
        r = owner.client.post(f"/invoices/{inv.id}/{path}", data=data)
        assert r.status_code == 422, (name, r.status_code)
        assert reason in r.data.decode(), name
        assert table_contents() == before, name


def test_mark_paid_with_an_over_long_form_key_records_nothing(owner, f):
    """The key is the payment's idempotency key (64 characters at most): refused with the reason, no row."""
    from tests.views.test_payments import invoice

    inv = invoice(f, owner.org)
    before = table_contents()
    r = owner.client.post(f"/invoices/{inv.id}/mark-paid", data={"key": "k" * 65}, follow_redirects=True)
    assert r.status_code == 200 and "Field cannot be longer than 64 characters." in r.data.decode()
    assert table_contents() == before


@pytest.fixture
def paid_invoice(owner, f):
    inv = rich_invoice(f, owner.org)
    assert owner.client.post(f"/invoices/{inv.id}/payments/new", data=payment("paid", amount="5")).status_code == 303
    return inv


def test_nul_characters_are_removed_before_they_are_stored(owner, paid_invoice):
    """A NUL in a payment's note and reference, a void or cancel reason, or an internal note is dropped
    (PostgreSQL refuses it in text; SQLite would store it): accepted, with the text around it kept."""
    inv, c = paid_invoice, owner.client
    r = c.post(f"/invoices/{inv.id}/payments/new", data=payment("k5", note="a\x00b", reference="r\x00"))
    assert r.status_code == 303
    recorded = db.session.scalar(select(Payment).where(Payment.idempotency_key == "k5"))
    assert (recorded.note, recorded.reference, recorded.amount) == ("ab", "r", 100)
    first = db.session.scalar(select(Payment).where(Payment.idempotency_key == "paid"))
    assert c.post(f"/invoices/{inv.id}/payments/{first.id}/void", data={"reason": "x\x00y"}).status_code == 303
    db.session.expire_all()
    voided = db.session.get(Payment, first.id)
    assert voided.is_void and "\x00" not in voided.void_reason and {"x", "y"} <= set(voided.void_reason)
    assert c.post(f"/invoices/{inv.id}/notes", data={"body": "x\x00y"}).status_code == 303
    assert [n.body for n in db.session.scalars(select(DocumentNote))] == ["xy"]
    assert c.post(f"/invoices/{inv.id}/cancel", data={"reason": "x\x00y"}).status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.status == "issued" and "\x00" not in note.notes and {"x", "y"} <= set(note.notes)
    inv = db.session.get(Document, inv.id)
    assert inv.status == "cancelled" and inv.paid_total == 100 == payments.paid_total(inv)
    events = db.session.scalars(select(AuditEvent.summary)).all()
    assert not any("\x00" in summary for summary in events)


def _all_forms():
    from webapp.forms import Form

    seen, todo = [], list(Form.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_a_text_or_choice_field_missing_from_the_request_reads_as_empty_in_every_form(app):
    """Issue 13: a customer form posted without its ``locale`` select answered 500 (NOT NULL constraint):
    a select missing from the request was None. Every form's text and choice fields now read a missing field as
    "" (then their default or their message), whatever the form."""
    from werkzeug.datastructures import MultiDict
    from wtforms import SelectField, SelectMultipleField, StringField

    forms = _all_forms()
    assert len(forms) > 20
    checked = 0
    with app.test_request_context(method="POST"):
        for cls in forms:
            form = cls(formdata=MultiDict(), meta={"csrf": False})
            for field in form:
                textual = isinstance(field, StringField) or (
                    isinstance(field, SelectField) and not isinstance(field, SelectMultipleField)
                    and field.coerce is str)
                if textual and field.type != "PasswordField":
                    assert field.data is not None, f"{cls.__name__}.{field.name} is None when missing"
                    checked += 1
    assert checked > 50


def test_the_customer_form_without_its_selects_saves_with_the_defaults(owner):
    from webapp.models import Contact

    r = owner.client.post("/customers/new", data={"company_name": "Ohne Sprache GmbH", "country": "DE",
                                                   "is_customer": "y"})
    assert r.status_code == 303, r.status_code
    contact = db.session.scalar(select(Contact).where(Contact.company_name == "Ohne Sprache GmbH"))
    assert (contact.locale, contact.currency, contact.shipping_country) == ("", "", "")
