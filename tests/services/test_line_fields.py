"""EN 16931 line fields (issue 14, item 3): the price base quantity (BT-149), a line's period (BG-26), its
allowances and charges (BG-27 / BG-28) and the reason codes of document-level ones (BT-98 / BT-105), through
the calculation, the use cases' refusals, copies and credit notes, and the rule that issued documents never change.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import ActionError, InvalidInput
from webapp.extensions import db
from webapp.models import Document, DocumentLine, DocumentLineAdjustment
from webapp.models.document import ImmutableDocumentError
from webapp.services import corrections, drafts as draft_service, issuing
from webapp.usecases import Actor, drafts

D = Decimal


def actor_of(member) -> Actor:
    return Actor(org=member.org, user=member.user, role=member.role)


def allowance(amount: str, reason: str = "", code: str = "") -> drafts.LineAdjustmentInput:
    return drafts.LineAdjustmentInput(D(amount), reason, code)


def new_document(owner, f, *lines: drafts.NewLine, adjustments=()) -> Document:
    contact = f.contact(owner.org, "Buyer GmbH")
    doc = drafts.create_document(actor_of(owner), drafts.DocumentInput(
        contact_id=contact.id, currency="EUR", prices_include_tax=False, lines=lines, adjustments=tuple(adjustments)))
    db.session.commit()
    return doc


def priced_per_ten() -> drafts.NewLine:
    # 3 units at 12.50 per 10 units: 3 x 12.50 / 10 = 3.75
    return drafts.NewLine(description="Screws", quantity=D(3), unit_price=D("12.50"), base_quantity=D(10),
                          tax_percent=D(19))


def with_allowance_and_charge() -> drafts.NewLine:
    # 2 x 10.00 - 1.00 (code 95, discount) + 0.50 (code ABK, miscellaneous) = 19.50
    return drafts.NewLine(description="Service", quantity=D(2), unit_price=D("10.00"), tax_percent=D(19),
                          period=drafts.LinePeriod(date(2026, 11, 1), date(2026, 11, 30)),
                          allowances=(allowance("1.00", code="95"),),
                          charges=(allowance("0.50", "Small order", "abk"),))


def test_line_net_follows_the_base_quantity_and_the_line_allowances_and_charges(owner, f):
    doc = new_document(owner, f, priced_per_ten(), with_allowance_and_charge())
    first, second = doc.lines
    assert (first.base_quantity, first.net_amount) == (D(10), 375)
    assert second.net_amount == 1950
    assert (second.period_start, second.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [(a.kind, a.amount, a.reason, a.reason_code) for a in second.adjustments] == [
        ("allowance", D("1.00"), "", "95"), ("charge", D("0.50"), "Small order", "ABK")]
    # VAT once per group: 23.25 x 19 % = 4.4175 -> 4.42
    assert doc.line_total == 2325 and doc.net_total == 2325 and doc.tax_total == 442 and doc.gross_total == 2767
    assert doc.tax_breakdown == [{"category": "S", "rate": "19", "base": 2325, "tax": 442, "note": ""}]
    # the stored figures survive a reload (ScaledDecimal, the new table)
    db.session.expire_all()
    again = db.session.get(Document, doc.id)
    assert [line.net_amount for line in again.lines] == [375, 1950]
    assert again.lines[1].amounts("allowance") == (D("1.00"),) and again.lines[1].amounts("charge") == (D("0.50"),)


def test_a_line_without_the_new_fields_totals_as_before(owner, f):
    doc = new_document(owner, f, drafts.NewLine(description="Bread", quantity=D(3), unit_price=D("3.3333"),
                                                tax_percent=D(19)))
    line = doc.lines[0]
    assert (line.base_quantity, line.period_start, line.period_end, line.adjustments) == (D(1), None, None, [])
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (1000, 190, 1190)


def test_rounding_half_up_per_line_then_once_per_group(owner, f):
    # 1 x 0.05 / 2 = 0.025 -> 0.03 (half up); 7 x 1.00 - 0.333 ... : amounts round to the cent first
    doc = new_document(owner, f, drafts.NewLine(description="Half", quantity=D(1), unit_price=D("0.05"),
                                                base_quantity=D(2), tax_percent=D(19)))
    assert doc.lines[0].net_amount == 3 and doc.tax_total == 1  # 0.03 x 19 % = 0.0057 -> 0.01


def test_a_document_level_allowance_carries_its_reason_code(owner, f):
    doc = new_document(owner, f, priced_per_ten(), adjustments=[
        drafts.NewAdjustment(kind="allowance", amount=D("0.75"), reason_code="95", tax_percent=D(19)),
        drafts.NewAdjustment(kind="charge", amount=D("1.00"), reason="Freight", reason_code="FC", tax_percent=D(19))])
    assert [(a.kind, a.reason, a.reason_code) for a in doc.adjustments] == [("allowance", "", "95"),
                                                                             ("charge", "Freight", "FC")]
    assert (doc.line_total, doc.allowance_total, doc.charge_total, doc.net_total) == (375, 75, 100, 400)


@pytest.mark.parametrize("line,code,field", [
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), base_quantity=D(0)),
     "base_quantity_not_positive", "lines.0.base_quantity"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), base_quantity=D(-5)),
     "base_quantity_not_positive", "lines.0.base_quantity"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1),
                    period=drafts.LinePeriod(date(2026, 5, 2), date(2026, 5, 1))), "line_period_invalid",
     "lines.0.period_end"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), allowances=(allowance("1", code="FC"),)),
     "unknown_reason_code", "lines.0.allowances.0.reason_code"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), charges=(allowance("1", code="95"),)),
     "unknown_reason_code", "lines.0.charges.0.reason_code"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), allowances=(allowance("1"),)),
     "reason_required", "lines.0.allowances.0.reason"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), charges=(allowance("0", "Fee"),)),
     "amount_not_positive", "lines.0.charges.0.amount"),
    (drafts.NewLine(description="x", quantity=D(1), unit_price=D(1), charges=(allowance("0.001", "Fee"),)),
     "amount_precision", "lines.0.charges.0.amount"),
])
def test_wrong_line_fields_are_refused_with_their_field_and_nothing_is_saved(owner, f, line, code, field):
    contact = f.contact(owner.org, "Buyer GmbH")
    before = db.session.scalar(select(func.count()).select_from(Document))
    with pytest.raises(InvalidInput) as refused:
        drafts.create_document(actor_of(owner), drafts.DocumentInput(contact_id=contact.id, lines=(line,)))
    assert [(e.code, e.field) for e in refused.value.errors] == [(code, field)]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Document)) == before


def test_a_document_allowance_needs_a_reason_or_a_code(owner, f):
    contact = f.contact(owner.org, "Buyer GmbH")
    with pytest.raises(InvalidInput) as refused:
        drafts.create_document(actor_of(owner), drafts.DocumentInput(contact_id=contact.id, lines=(
            priced_per_ten(),), adjustments=(drafts.NewAdjustment(kind="charge", amount=D(1)),
                                             drafts.NewAdjustment(kind="charge", amount=D(1), reason_code="XYZ"))))
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("reason_required", "adjustments.0.reason"), ("unknown_reason_code", "adjustments.1.reason_code")]


def test_the_web_editor_changing_a_line_keeps_what_it_does_not_show(owner, f):
    doc = new_document(owner, f, with_allowance_and_charge())
    line = doc.lines[0]
    # the editor's LineInput: description, quantity, unit, price, discount, rate; nothing else
    change = drafts.change_line(actor_of(owner), doc.id, line.id, doc.version, drafts.LineInput(
        description="Service, more", quantity=D(3), unit="piece", unit_price=D("10.00"),
        tax_rate_id=line.tax_rate_id))
    db.session.commit()
    line = change.line
    assert line.description == "Service, more" and line.net_amount == 2950  # 30.00 - 1.00 + 0.50
    assert (line.period_start, line.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [(a.kind, a.reason_code) for a in line.adjustments] == [("allowance", "95"), ("charge", "ABK")]
    # the API's change: only the charges, the allowance stays; then the period goes
    change = drafts.change_line(actor_of(owner), doc.id, line.id, None, drafts.LineInput(
        description=line.description, quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
        tax_rate_id=line.tax_rate_id, base_quantity=D(2), charges=(), period=drafts.LinePeriod()))
    db.session.commit()
    line = db.session.get(DocumentLine, line.id)
    assert [(a.kind, a.amount) for a in line.adjustments] == [("allowance", D("1.00"))]
    assert (line.period_start, line.period_end, line.base_quantity) == (None, None, D(2))
    assert line.net_amount == 1400 and change.document.net_total == 1400  # 3 x 10.00 / 2 - 1.00
    assert db.session.scalar(select(func.count()).select_from(DocumentLineAdjustment)) == 1  # the charge is gone


def test_a_change_of_a_line_is_refused_with_every_mistake_and_changes_nothing(owner, f):
    doc = new_document(owner, f, with_allowance_and_charge())
    line = doc.lines[0]
    with pytest.raises(InvalidInput) as refused:
        drafts.change_line(actor_of(owner), doc.id, line.id, None, drafts.LineInput(
            description="x", quantity=D(1), unit="piece", unit_price=D(1), base_quantity=D(0),
            allowances=(allowance("1"),)))
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("base_quantity_not_positive", "base_quantity"), ("reason_required", "allowances.0.reason")]
    db.session.rollback()
    assert db.session.get(DocumentLine, line.id).net_amount == 1950


def test_the_editor_keeps_a_reason_or_a_code_on_document_adjustments(owner, f):
    doc = f.draft(owner.org)
    charge = draft_service.add_adjustment(owner.org, doc, "charge")
    db.session.commit()
    with pytest.raises(ActionError) as refused:
        drafts.change_adjustment(actor_of(owner), doc.id, charge.id, None, drafts.AdjustmentInput(
            reason="", amount=D("4.90")))
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    db.session.rollback()
    drafts.change_adjustment(actor_of(owner), doc.id, charge.id, None, drafts.AdjustmentInput(
        reason="", amount=D("4.90"), reason_code="fc"))
    assert (charge.reason, charge.reason_code, doc.charge_total) == ("", "FC", 490)


def test_copies_carry_the_line_fields(owner, f):
    doc = new_document(owner, f, priced_per_ten(), with_allowance_and_charge(), adjustments=[
        drafts.NewAdjustment(kind="charge", amount=D(1), reason="Freight", reason_code="FC", tax_percent=D(19))])
    issuing.issue(owner.org, owner.user, doc)
    db.session.commit()
    for copy in (draft_service.duplicate(owner.org, owner.user, doc),
                 draft_service.copy_document(owner.org, owner.user, doc, kind="quote")):
        assert [(x.base_quantity, x.period_start, x.period_end, x.net_amount) for x in copy.lines] == [
            (D(10), None, None, 375), (D(1), date(2026, 11, 1), date(2026, 11, 30), 1950)]
        assert [(a.kind, a.amount, a.reason, a.reason_code) for a in copy.lines[1].adjustments] == [
            ("allowance", D("1.00"), "", "95"), ("charge", D("0.50"), "Small order", "ABK")]
        assert [a.reason_code for a in copy.adjustments] == ["FC"]
        assert copy.gross_total == doc.gross_total
    db.session.commit()
    # the originals' rows were copied, not moved
    assert len(db.session.get(Document, doc.id).lines[1].adjustments) == 2


def test_a_full_credit_note_mirrors_the_line_fields_to_the_cent(owner, f):
    doc = new_document(owner, f, priced_per_ten(), with_allowance_and_charge())
    issuing.issue(owner.org, owner.user, doc)
    note = corrections.full_credit_note(owner.org, owner.user, doc)
    assert [line.net_amount for line in note.lines] == [-375, -1950]
    assert [(a.kind, a.amount, a.reason_code) for a in note.lines[1].adjustments] == [
        ("allowance", D("-1.00"), "95"), ("charge", D("-0.50"), "ABK")]
    assert note.lines[0].base_quantity == D(10) and note.lines[1].period_end == date(2026, 11, 30)
    assert (note.net_total, note.tax_total, note.gross_total) == (-2325, -442, -2767)


def test_a_credit_of_part_of_a_line_credits_its_share_of_the_allowances_and_charges(owner, f):
    line = drafts.NewLine(description="Service", quantity=D(3), unit_price=D("10.00"), tax_percent=D(19),
                          allowances=(allowance("1.00", code="95"),), charges=(allowance("0.50", "Fee"),))
    doc = new_document(owner, f, line)  # 30.00 - 1.00 + 0.50 = 29.50
    issuing.issue(owner.org, owner.user, doc)
    note = corrections.lines_credit_note(owner.org, owner.user, doc, {doc.lines[0].id: D(1)})
    credited = note.lines[0]
    # a third of the line: -10.00 + 0.33 (1.00 / 3, rounded) - 0.17 (0.50 / 3, rounded half up)
    assert [a.amount for a in credited.adjustments] == [D("-0.33"), D("-0.17")]
    assert credited.net_amount == -984


def test_an_issued_documents_line_fields_cannot_change(owner, f):
    doc = new_document(owner, f, with_allowance_and_charge(), adjustments=[
        drafts.NewAdjustment(kind="charge", amount=D(1), reason="Freight", tax_percent=D(19))])
    issuing.issue(owner.org, owner.user, doc)
    db.session.commit()
    line_id = doc.lines[0].id
    attempts = [
        lambda line: setattr(line, "base_quantity", D(5)),
        lambda line: setattr(line, "period_end", date(2027, 1, 1)),
        lambda line: setattr(line.adjustments[0], "amount", D("9.00")),
        lambda line: setattr(line.adjustments[0], "reason_code", "100"),
        lambda line: line.adjustments.pop(),
        lambda line: db.session.delete(line.adjustments[0]),
        lambda line: line.adjustments.append(DocumentLineAdjustment(kind="charge", amount=D(1), reason="sneaky")),
        lambda line: db.session.add(DocumentLineAdjustment(line_id=line.id, kind="charge", amount=D(1),
                                                           reason="sneaky")),
        lambda line: setattr(line.document.adjustments[0], "reason_code", "FC"),
    ]
    for attempt in attempts:
        attempt(db.session.get(DocumentLine, line_id))
        with pytest.raises(ImmutableDocumentError, match="lines cannot change"):
            db.session.flush()
        db.session.rollback()
    assert db.session.get(Document, doc.id).adjustments[0].reason_code == ""
    # a line adjustment of the issued document cannot be moved to a draft's line either
    other = new_document(owner, f, priced_per_ten())
    adjustment = db.session.scalar(select(DocumentLineAdjustment).where(DocumentLineAdjustment.line_id == line_id))
    adjustment.line_id = other.lines[0].id
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    line = db.session.get(DocumentLine, line_id)
    assert [(a.amount, a.reason_code) for a in line.adjustments] == [(D("1.00"), "95"), (D("0.50"), "ABK")]
    assert (line.base_quantity, line.period_end, line.net_amount) == (D(1), date(2026, 11, 30), 1950)
    # and the use case says so in words
    with pytest.raises(ActionError, match="issued"):
        drafts.change_line(actor_of(owner), doc.id, line_id, None, drafts.LineInput(
            description="x", quantity=D(1), unit="piece", unit_price=D(1), base_quantity=D(2)))


def test_the_editor_and_the_document_show_the_line_fields(owner, f):
    doc = new_document(owner, f, priced_per_ten(), with_allowance_and_charge())
    editor = owner.client.get(f"/invoices/{doc.id}/edit")
    assert editor.status_code == 200
    html = editor.get_data(as_text=True)
    second = doc.lines[1]
    assert f'id="line-fields-{doc.lines[0].id}"' in html and f'id="line-fields-{second.id}"' in html
    for text in ("Unit price per 10 ", "Small order", "Discount"):  # the code 95 in words: no reason was given
        assert text in html, text
    issuing.issue(owner.org, owner.user, doc)
    db.session.commit()
    page = owner.client.get(f"/invoices/{doc.id}").get_data(as_text=True)
    assert page.count('class="line-extra"') == 2 and "Small order" in page and "Period: " in page
