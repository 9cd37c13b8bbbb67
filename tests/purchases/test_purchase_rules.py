"""The rules of a purchase beyond the inbox (issue 17): the quick entry's VAT per rate, a supplier's credit note
typed by hand, the rounding amount a supplier's invoice states (BT-114) against payments and their voiding, what
happens to the supplier's stated figures when the draft changes, a deleted draft's file, savepoints and their
file hooks, expense categories used by booked purchases, and no payment confirmation for a purchase. SQLite and
PostgreSQL."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from webapp.domain.errors import ActionError, InvalidInput
from webapp.extensions import db
from webapp.models import Document, DocumentFile, TaxRate
from webapp.services import payments as payment_service
from webapp.services import purchases, storage
from webapp.services.transaction import after_commit, after_rollback
from webapp.usecases import Actor
from webapp.usecases import drafts as draft_usecases
from webapp.usecases import expense_categories as category_usecases
from webapp.usecases import payments as payment_usecases
from webapp.usecases.inbox import QuickRowInput, Upload, attach_supplier_file, quick_entry, receive_files
from webapp.usecases.issuing import issue

FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"
EXAMPLE4 = (FIXTURES / "CII_example4.xml").read_bytes()


@pytest.fixture
def actor(owner) -> Actor:
    return Actor(org=owner.org, user=owner.user, role=owner.role)


def rates(actor: Actor) -> dict[Decimal, TaxRate]:
    return {r.percent.normalize(): r for r in db.session.scalars(select(TaxRate).where(TaxRate.org_id == actor.org.id))}


def fresh(doc_id: int) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc_id)


def typed(actor: Actor, f, rows, kind: str = "invoice") -> Document:
    doc = purchases.new_purchase(actor.org, actor.user, f.contact(actor.org, company="Papier GmbH"), kind)
    db.session.commit()
    quick_entry(actor, doc.id, doc.version, rows)
    db.session.commit()
    return fresh(doc.id)


def book(actor: Actor, doc: Document) -> Document:
    issue(actor, doc.id, doc.version)
    db.session.commit()
    return fresh(doc.id)


def test_a_quick_entry_keeps_the_vat_of_a_row_left_to_the_calculator_beside_one_typed_at_the_same_rate(actor, f):
    r19 = rates(actor)[Decimal(19)].id
    doc = typed(actor, f, [QuickRowInput(r19, Decimal("100.00"), Decimal("18.99")),
                           QuickRowInput(r19, Decimal("50.00"), None)])
    # 18.99 as printed for the first row, 19 % of 50.00 for the second
    assert doc.stated_totals["tax_breakdown"] == [{"category": "S", "rate": "19", "base": 15000, "tax": 1899 + 950,
                                                   "note": ""}]
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (15000, 2849, 17849)
    assert [(str(d.where), d.stated, d.calculated) for d in purchases.differences(doc)] == [
        ("VAT (BT-110)", 2849, 2850), ("Total with VAT (BT-112)", 17849, 17850), ("VAT S 19 %: VAT", 2849, 2850)]


def test_typing_anew_states_only_what_is_typed_now(actor, f):
    r19 = rates(actor)[Decimal(19)].id
    doc = typed(actor, f, [QuickRowInput(r19, Decimal("100.00"), Decimal("18.99"))])
    for line in list(doc.lines):
        draft_usecases.remove_line(actor, doc.id, line.id, fresh(doc.id).version)
        db.session.commit()
    quick_entry(actor, doc.id, fresh(doc.id).version, [QuickRowInput(r19, Decimal("10.00"))])
    db.session.commit()
    doc = fresh(doc.id)
    assert doc.stated_totals is None and (doc.net_total, doc.tax_total) == (1000, 190)


def test_a_supplier_credit_note_typed_as_printed_books_as_what_it_credits(actor, f):
    r19 = rates(actor)[Decimal(19)].id
    doc = typed(actor, f, [QuickRowInput(r19, Decimal("100.00"), Decimal("19.00"))], kind="credit_note")
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (-10000, -1900, -11900)
    assert doc.stated_totals["tax_breakdown"][0]["base"] == -10000
    doc = book(actor, doc)
    assert doc.status == "issued" and doc.number.startswith("PCN-") and doc.gross_total == -11900


def test_a_supplier_credit_note_with_a_positive_total_is_not_booked(actor, f):
    supplier = f.contact(actor.org, company="Papier GmbH")
    doc = purchases.new_purchase(actor.org, actor.user, supplier, "credit_note")
    db.session.commit()
    line = draft_usecases.add_line(actor, doc.id, doc.version).line
    db.session.commit()
    draft_usecases.change_line(actor, doc.id, line.id, fresh(doc.id).version, draft_usecases.LineInput(
        description="Returned paper", quantity=Decimal(2), unit="unit", unit_price=Decimal("10.00")))
    db.session.commit()
    with pytest.raises(ActionError) as refused:
        issue(actor, doc.id, fresh(doc.id).version)
    assert refused.value.code == "not_ready_to_book" and "below zero" in refused.value.english
    db.session.rollback()
    assert fresh(doc.id).status == "draft" and fresh(doc.id).number is None


def test_the_rounding_amount_a_supplier_states_is_paid_and_voided_like_any_amount(actor):
    rounded = EXAMPLE4.replace(b"<ram:GrandTotalAmount>4675</ram:GrandTotalAmount>",
                               b"<ram:RoundingAmount>0.30</ram:RoundingAmount><ram:GrandTotalAmount>4675"
                               b"</ram:GrandTotalAmount>").replace(b"<ram:DuePayableAmount>4675</ram:DuePayableAmount>",
                                                                   b"<ram:DuePayableAmount>4675.30</ram:DuePayableAmount>")
    (outcome,) = receive_files(actor, [Upload("rounded.xml", rounded)])
    assert outcome.error is None, outcome.error
    db.session.commit()
    doc = book(actor, outcome.document)
    assert (doc.gross_total, doc.payable_total, doc.amount_due) == (467500, 467530, 467530)
    assert doc.paid_total == payment_service.paid_total(doc) == -30  # the rounding, as settled by the document
    _, payment = payment_usecases.record_payment(actor, doc.id, payment_usecases.PaymentInput(
        amount=Decimal("4675.30"), paid_on=date.today(), key="pay-1"))
    db.session.commit()
    doc = fresh(doc.id)
    assert (doc.amount_due, doc.payment_state, doc.paid_total) == (0, "paid", payment_service.paid_total(doc))
    payment_usecases.void_payment(actor, doc.id, payment.id, "wrong account")
    db.session.commit()
    doc = fresh(doc.id)
    assert (doc.amount_due, doc.payment_state, doc.paid_total) == (467530, "unpaid", -30)
    assert payment_service.paid_total(doc) == -30


def test_a_purchase_is_paid_to_its_supplier_and_confirms_nothing_to_anyone(actor):
    (outcome,) = receive_files(actor, [Upload("a.xml", EXAMPLE4)])
    db.session.commit()
    doc = book(actor, outcome.document)
    with pytest.raises(ActionError) as refused:
        payment_usecases.mark_paid(actor, doc.id, payment_usecases.MarkPaid(key="k1", send_confirmation=True))
    assert refused.value.code == "no_confirmation_for_purchases"
    db.session.rollback()
    done = payment_usecases.mark_paid(actor, doc.id, payment_usecases.MarkPaid(key="k2"))
    db.session.commit()
    assert done.confirmation_to == "" and fresh(doc.id).payment_state == "paid"


def test_the_stated_figures_go_with_a_change_of_currency_and_the_link_with_a_change_of_supplier(actor, f):
    (outcome,) = receive_files(actor, [Upload("a.xml", EXAMPLE4)])
    db.session.commit()
    doc = fresh(outcome.document.id)
    assert doc.stated_totals and doc.lines[0].stated_net == 100000
    # a category chosen leaves the supplier's net in place; a quantity typed lets it go
    category = category_usecases.add_category(actor, category_usecases.CategoryInput("Materials", "3400"))
    db.session.commit()
    line = doc.lines[0]
    draft_usecases.change_line(actor, doc.id, line.id, doc.version, draft_usecases.LineInput(
        description=line.description, quantity=line.quantity, unit_price=line.unit_price, unit=line.unit,
        tax_rate_id=line.tax_rate_id, keep_tax=True, expense_category_id=category.id, set_category=True))
    db.session.commit()
    doc = fresh(doc.id)
    assert doc.lines[0].expense_category_id == category.id and doc.lines[0].stated_net == 100000
    draft_usecases.change_header(actor, doc.id, doc.version, draft_usecases.HeaderInput(
        currency="EUR", prices_include_tax=False, chosen_issue_date=doc.chosen_issue_date, service_date=doc.service_date,
        service_period_end=doc.service_period_end, payment_terms_days=doc.payment_terms_days))
    db.session.commit()
    doc = fresh(doc.id)
    assert doc.currency == "EUR" and doc.stated_totals is None and doc.lines[0].stated_net is None
    assert purchases.differences(doc) == [] and doc.gross_total == 467500  # now Tallybook's own figures


def test_deleting_a_purchase_draft_removes_the_suppliers_file_once_committed(actor, f):
    doc = purchases.new_purchase(actor.org, actor.user, f.contact(actor.org, company="Papier GmbH"))
    db.session.commit()
    attached = attach_supplier_file(actor, doc.id, Upload("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    db.session.commit()
    path, file_id = storage.local_path(attached.org_id, attached.file_key), attached.id
    assert path is not None and path.is_file()
    draft_usecases.delete_draft(actor, doc.id, fresh(doc.id).version)
    db.session.commit()
    assert not path.exists() and db.session.get(Document, doc.id) is None
    assert db.session.scalar(select(DocumentFile).where(DocumentFile.id == file_id)) is None


def test_a_savepoint_hands_its_hooks_to_the_transaction_around_it(app):
    ran: list[str] = []
    db.session.execute(select(1))
    after_commit(lambda: ran.append("outer commit"))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("inner commit"))
        after_rollback(lambda: ran.append("inner rollback"))
    assert ran == []  # a savepoint committed: nothing is final yet
    savepoint = db.session.begin_nested()
    after_commit(lambda: ran.append("lost commit"))
    after_rollback(lambda: ran.append("undone"))
    savepoint.rollback()
    assert ran == ["undone"]
    db.session.rollback()
    assert ran == ["undone", "inner rollback"]  # the outer transaction rolled back: the inner's file goes too
    ran.clear()
    db.session.execute(select(1))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("inner commit"))
    db.session.commit()
    assert ran == ["inner commit"]


def test_an_upload_refused_after_its_file_was_written_leaves_no_file(actor, monkeypatch):
    """The inbox writes a file inside a savepoint; when that savepoint rolls back, the file goes with it."""
    from webapp.services import inbox

    folder = Path(current_app.config["ATTACHMENT_DIR"]) / str(actor.org.id)
    before = sorted(folder.iterdir()) if folder.is_dir() else []
    real = inbox.audit.record

    def refuse_after_writing(org, user, action, *args, **kwargs):
        if action == "document.file_received":
            raise ActionError("file_refused_late", "Refused after the file was written.", "file")
        return real(org, user, action, *args, **kwargs)

    monkeypatch.setattr(inbox.audit, "record", refuse_after_writing)
    (outcome,) = receive_files(actor, [Upload("a.xml", EXAMPLE4)])
    assert outcome.error is not None and outcome.error.code == "file_refused_late"
    db.session.commit()
    assert (sorted(folder.iterdir()) if folder.is_dir() else []) == before


def test_a_categorys_account_stays_while_booked_purchases_use_it(actor):
    category = category_usecases.add_category(actor, category_usecases.CategoryInput("Materials", ""))
    db.session.commit()
    (outcome,) = receive_files(actor, [Upload("a.xml", EXAMPLE4)])
    db.session.commit()
    doc = fresh(outcome.document.id)
    for line in doc.lines:
        line.expense_category_id = category.id
    db.session.commit()
    # a draft's use binds nothing; an account added to a category without one neither
    category_usecases.change_category(actor, category.id, category_usecases.CategoryInput("Materials", "3400"))
    db.session.commit()
    book(actor, doc)
    category_usecases.change_category(actor, category.id, category_usecases.CategoryInput("Raw materials", "3400"))
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        category_usecases.change_category(actor, category.id, category_usecases.CategoryInput("Raw materials", "3410"))
    assert [e.code for e in refused.value.errors] == ["account_in_use"]
    db.session.rollback()
    db.session.expire_all()
    assert (category.name, category.account) == ("Raw materials", "3400")


def test_an_amount_due_the_suppliers_own_totals_do_not_give_is_named(actor):
    odd = EXAMPLE4.replace(b"<ram:DuePayableAmount>4675</ram:DuePayableAmount>",
                           b"<ram:DuePayableAmount>4675.10</ram:DuePayableAmount>")
    (outcome,) = receive_files(actor, [Upload("odd.xml", odd)])
    assert outcome.error is None, outcome.error
    doc = outcome.document
    assert [(str(d.where), d.stated, d.calculated) for d in purchases.differences(doc)] == [
        ("Amount due (BT-115)", 467510, 467500)]
    assert doc.payable_total == 467500  # booked as its totals give it


def test_a_vat_breakdown_in_an_unknown_category_is_refused(actor):
    start = EXAMPLE4.index(b"<ram:ApplicableTradeTax>", EXAMPLE4.index(b"<ram:ApplicableHeaderTradeSettlement>"))
    odd = EXAMPLE4[:start] + EXAMPLE4[start:].replace(b"<ram:CategoryCode>S</ram:CategoryCode>",
                                                      b"<ram:CategoryCode>Q</ram:CategoryCode>", 1)
    (outcome,) = receive_files(actor, [Upload("odd.xml", odd)])
    assert outcome.error is not None and outcome.error.code == "file_unknown_vat_category"
    assert outcome.error.english.startswith("The VAT breakdown names the VAT category Q")
