"""The use cases: one function per action, with permission, state, version and validation checked inside,
refusals as ActionError with a stable code, and nothing written when they refuse."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, DocumentNote, Payment
from webapp.services import locks
from webapp.usecases import Actor, drafts, issuing, notes, payments
from webapp.usecases.documents import allowed_actions

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def actor_of(member) -> Actor:
    return Actor(org=member.org, user=member.user, role=member.role)


def payment_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_a_role_without_the_permission_is_refused_with_forbidden(owner, login_as, f):
    doc = f.issued(owner.org)
    staff = login_as("staff", org=owner.org)
    payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("5"), date.today(), key="k1"))
    db.session.commit()
    payment = db.session.scalar(select(Payment))
    with pytest.raises(ActionError) as refused:
        payments.void_payment(actor_of(staff), doc.id, payment.id, "typo")
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    db.session.rollback()
    assert db.session.get(Payment, payment.id).voided_at is None


def test_another_organizations_document_is_not_found(owner, login_as, f):
    doc = f.draft(owner.org)
    stranger = login_as("owner")
    f.complete_org(stranger.org)
    with pytest.raises(ActionError) as refused:
        drafts.duplicate(actor_of(stranger), doc.id)
    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_change_to_an_older_version_is_refused_and_changes_nothing(owner, f):
    doc = f.draft(owner.org)
    line = doc.lines[0]
    stale = doc.version - 1
    with pytest.raises(ActionError) as refused:
        drafts.change_line(actor_of(owner), doc.id, line.id, stale, drafts.LineInput(
            description="Other", quantity=Decimal("9"), unit="piece", unit_price=Decimal("1")))
    assert (refused.value.code, refused.value.status) == ("document_changed", 409)
    db.session.rollback()
    assert db.session.get(Document, doc.id).lines[0].quantity == Decimal("2")


def test_an_issued_document_refuses_editing_with_its_code(owner, f):
    doc = f.issued(owner.org)
    with pytest.raises(ActionError) as refused:
        drafts.add_line(actor_of(owner), doc.id, doc.version)
    assert refused.value.code == "document_not_draft"


def test_payment_amounts_are_checked_against_the_invoice_currency(owner, f):
    doc = f.issued(owner.org)
    with pytest.raises(ActionError) as refused:
        payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(Decimal("1.005"), date.today(),
                                                                               key="k2"))
    assert (refused.value.code, refused.value.field) == ("amount_precision", "amount")
    db.session.rollback()
    with pytest.raises(ActionError) as refused:
        payments.record_payment(actor_of(owner), doc.id, payments.PaymentInput(
            Decimal("1"), date.today(), refund=True, key="k3"))
    assert refused.value.code == "refund_exceeds_paid"
    db.session.rollback()
    assert payment_rows() == 0


def test_the_same_payment_form_twice_records_one_payment(owner, f):
    doc = f.issued(owner.org)
    data = payments.PaymentInput(Decimal("7.50"), date.today(), key="same-form")
    first = payments.record_payment(actor_of(owner), doc.id, data)[1].id
    db.session.commit()
    second = payments.record_payment(actor_of(owner), doc.id, data)[1].id
    db.session.commit()
    assert first == second and payment_rows() == 1
    assert db.session.get(Document, doc.id).paid_total == 750


def test_issue_gives_the_number_and_a_double_click_is_already_done(owner, f):
    doc = f.draft(owner.org)
    version = doc.version
    issued = issuing.issue(actor_of(owner), doc.id, version)
    db.session.commit()
    assert issued.number == f"INV-{date.today().year}-0001" and issued.pdf.startswith(b"%PDF")
    with pytest.raises(ActionError) as refused:
        issuing.issue(actor_of(owner), doc.id, version)
    assert refused.value.code in {"already_done", "document_changed", "document_not_draft"}


def test_the_buttons_are_the_actions_the_status_and_role_allow(owner, login_as, f):
    doc = f.issued(owner.org)
    staff = login_as("staff", org=owner.org)
    assert {"credit", "cancel", "pay", "send"} <= set(allowed_actions(actor_of(owner), doc))
    staff_actions = set(allowed_actions(actor_of(staff), doc))
    assert "pay" in staff_actions and "credit" not in staff_actions and "void_payment" not in staff_actions


def test_a_file_written_for_a_note_that_is_rolled_back_is_removed(owner, f, app):
    doc = f.draft(owner.org)
    note = notes.add_note(actor_of(owner), doc.id, notes.NoteInput(body="scan", files=[notes.NoteFile("a.png", PNG)]))
    path = Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / note.files[0].file_key
    assert path.read_bytes() == PNG
    db.session.rollback()
    assert not path.exists()
    assert db.session.scalar(select(func.count()).select_from(DocumentNote)) == 0


def test_deleting_a_draft_removes_its_files_only_once_committed(owner, f, app):
    doc = f.draft(owner.org)
    note = notes.add_note(actor_of(owner), doc.id, notes.NoteInput(body="", files=[notes.NoteFile("b.png", PNG)]))
    db.session.commit()
    path = Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / note.files[0].file_key
    drafts.delete_draft(actor_of(owner), doc.id, db.session.get(Document, doc.id).version)
    assert path.exists()  # not yet: the deletion may still roll back
    db.session.rollback()
    assert path.exists() and db.session.get(Document, doc.id) is not None
    drafts.delete_draft(actor_of(owner), doc.id, db.session.get(Document, doc.id).version)
    db.session.commit()
    assert not path.exists() and db.session.get(Document, doc.id) is None


def test_the_number_lock_is_refused_after_a_change_instead_of_losing_it(owner, f):
    doc = f.draft(owner.org)
    db.session.get(Document, doc.id).notes = "typed"
    db.session.flush()
    with pytest.raises(RuntimeError, match="begin_write"):
        locks.begin_write()
    db.session.rollback()


def test_a_refused_action_over_the_web_leaves_every_row_as_it_was(owner, f):
    doc = f.issued(owner.org)
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", data={
        "kind": "refund", "amount": "5.00", "paid_on": date.today().isoformat(), "method": "cash", "key": "web-1"})
    assert r.status_code == 422 and "A refund cannot be more than what was paid" in r.data.decode()
    assert payment_rows() == 0 and db.session.get(Document, doc.id).paid_total == 0
