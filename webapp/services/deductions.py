"""Advance (down-payment) invoices and the final invoice that deducts them.

An advance invoice (``Document.advance``; EN 16931 type code 386) is an ordinary invoice: its own number, VAT,
payments and credit notes. A final invoice's draft chooses issued advance invoices of the same customer and currency
(``DocumentDeduction`` rows, ``choose``); at issue ``freeze`` checks them again under the number lock (each still
issued and not cancelled nor credited, of this customer and currency, deducted by no other issued invoice, together
not above the final invoice's total) and stores their gross totals: ``prepaid_total`` (BT-113), which is counted in
``paid_total`` too, so the amount due (and every running total) is what remains after them. A deducted advance
invoice can no longer be credited or cancelled (``refuse_credit``); cancelling the final invoice releases its
advance invoices (``release``).
"""
from __future__ import annotations

from sqlalchemy import select

from webapp.domain.errors import ActionError, Amount
from webapp.extensions import db
from webapp.models import Document, DocumentDeduction, Organization

MAX_DEDUCTIONS = 50


def _deducted_by_other(advance_ids, final: Document | None) -> dict[int, str]:
    """advance id -> number of the issued invoice (other than ``final``) that deducts it."""
    if not advance_ids:
        return {}
    stmt = (select(DocumentDeduction.advance_id, Document.number)
            .join(Document, Document.id == DocumentDeduction.final_id)
            .where(DocumentDeduction.advance_id.in_(list(advance_ids)), Document.status == "issued"))
    if final is not None and final.id is not None:
        stmt = stmt.where(Document.id != final.id)
    return dict(db.session.execute(stmt).all())


def candidates(doc: Document) -> list[Document]:
    """The advance invoices the draft ``doc`` may deduct: the customer's issued advance invoices in its currency,
    not credited and deducted by no other issued invoice (those it has chosen among them)."""
    if doc.kind != "invoice" or doc.advance or doc.contact_id is None:
        return []
    advances = db.session.scalars(
        select(Document).where(Document.org_id == doc.org_id, Document.kind == "invoice", Document.flow == doc.flow,
                               Document.advance.is_(True), Document.status == "issued",
                               Document.contact_id == doc.contact_id, Document.currency == doc.currency,
                               Document.credited_total == 0, Document.id != doc.id)
        .order_by(Document.issue_date, Document.id).limit(200)).all()
    taken = _deducted_by_other([a.id for a in advances], doc)
    return [a for a in advances if a.id not in taken]


def _problem(final: Document, advance: Document | None, taken: dict[int, str]) -> ActionError | None:
    """Why ``final`` cannot deduct ``advance`` (None: it can)."""
    if advance is None or advance.org_id != final.org_id:
        return ActionError("advance_not_found", "An advance invoice to deduct was not found.", "deducted_advance_ids")
    number = advance.number or "—"
    if advance.kind != "invoice" or not advance.advance:
        return ActionError("not_an_advance_invoice", "{number} is not an advance invoice.", "deducted_advance_ids",
                           number=number)
    if advance.status == "draft":
        return ActionError("advance_not_issued", "The advance invoice is still a draft: issue it before a final "
                           "invoice deducts it.", "deducted_advance_ids")
    if advance.status != "issued" or advance.credited_total:
        return ActionError("advance_cancelled", "The advance invoice {number} was cancelled or credited: it cannot be "
                           "deducted.", "deducted_advance_ids", number=number)
    if advance.contact_id != final.contact_id:
        return ActionError("advance_other_customer", "The advance invoice {number} is for another customer.",
                           "deducted_advance_ids", number=number)
    if advance.currency != final.currency:
        return ActionError("advance_other_currency", "The advance invoice {number} is in {currency}, this invoice in "
                           "{own}.", "deducted_advance_ids", number=number, currency=advance.currency,
                           own=final.currency)
    if advance.id in taken:
        return ActionError("advance_already_deducted", "The advance invoice {number} is already deducted by "
                           "{final}.", "deducted_advance_ids", number=number, final=taken[advance.id])
    return None


def _check_final(doc: Document) -> None:
    if doc.kind != "invoice":
        raise ActionError("deductions_invoices_only", "Only an invoice deducts advance invoices.",
                          "deducted_advance_ids")
    if doc.advance:
        raise ActionError("advance_deducts", "An advance invoice cannot deduct other advance invoices.",
                          "deducted_advance_ids")


def check_advance(doc: Document) -> None:
    """Refuse to mark ``doc`` an advance invoice when it cannot be one."""
    if doc.kind != "invoice":
        raise ActionError("advance_invoices_only", "Only an invoice can be an advance invoice.", "advance")
    if doc.deductions:
        raise ActionError("advance_deducts", "An advance invoice cannot deduct other advance invoices.",
                          "advance")


def choose(doc: Document, advance_ids) -> None:
    """The advance invoices the draft ``doc`` deducts (replacing its choice). Each must be deductable now; the
    sum is checked against the total at issue (the lines may still change)."""
    wanted = list(dict.fromkeys(int(i) for i in advance_ids))
    if wanted:
        _check_final(doc)
    if len(wanted) > MAX_DEDUCTIONS:
        raise ActionError("too_many_deductions", "At most {max} advance invoices.", "deducted_advance_ids",
                          max=MAX_DEDUCTIONS)
    advances = {a.id: a for a in db.session.scalars(
        select(Document).where(Document.org_id == doc.org_id, Document.id.in_(wanted)))} if wanted else {}
    taken = _deducted_by_other(wanted, doc)
    for advance_id in wanted:
        problem = _problem(doc, advances.get(advance_id), taken)
        if problem is not None:
            raise problem
    kept = {d.advance_id: d for d in doc.deductions}
    for advance_id, deduction in kept.items():
        if advance_id not in advances:
            doc.deductions.remove(deduction)
    for advance_id in wanted:
        advance = advances[advance_id]
        deduction = kept.get(advance_id)
        if deduction is None:
            deduction = DocumentDeduction(org_id=doc.org_id, advance_id=advance_id)
            doc.deductions.append(deduction)
        deduction.amount, deduction.tax_amount = advance.gross_total, advance.tax_total
        deduction.advance = advance


def freeze(org: Organization, doc: Document) -> None:
    """At issue, under the number lock: check the draft's deductions again (the advance invoices' rows locked) and
    freeze them: their amounts, ``prepaid_total`` (BT-113) and the same counted as settled in ``paid_total``."""
    with db.session.no_autoflush:
        deductions = list(doc.deductions)
        if not deductions:
            doc.prepaid_total = 0
            return
        _check_final(doc)
        ids = [d.advance_id for d in deductions]
        advances = {a.id: a for a in db.session.scalars(
            select(Document).where(Document.org_id == org.id, Document.id.in_(ids)).with_for_update()
            .execution_options(populate_existing=True))}
        taken = _deducted_by_other(ids, doc)
        for deduction in deductions:
            problem = _problem(doc, advances.get(deduction.advance_id), taken)
            if problem is not None:
                raise problem
            advance = advances[deduction.advance_id]
            deduction.amount, deduction.tax_amount = advance.gross_total, advance.tax_total
        prepaid = sum(d.amount for d in deductions)
        if prepaid > doc.gross_total:
            raise ActionError("deductions_exceed_total", "The advance invoices deducted ({amount}) are more than this "
                              "invoice's total ({total}).", "deducted_advance_ids",
                              amount=Amount(prepaid, doc.currency), total=Amount(doc.gross_total, doc.currency))
        doc.paid_total += prepaid - doc.prepaid_total
        doc.prepaid_total = prepaid


def settled_by_advances(doc: Document) -> int:
    """The part of ``paid_total`` that the advance invoices a final invoice deducts settle: its ``prepaid_total``
    while it is issued (cancelling it releases them). A booked purchase: what the supplier's invoice deducts
    (BT-113) less its rounding amount (BT-114), so what is left to pay is what it asks to be paid (BT-115)."""
    if doc.status != "issued":
        return 0
    return doc.prepaid_total - doc.stated_rounding if doc.flow == "purchases" else doc.prepaid_total


def paid_in_money(doc: Document) -> int:
    """What the payments not voided add up to (``paid_total`` without the deducted advance invoices)."""
    return doc.paid_total - settled_by_advances(doc)


def deducted_by(advance: Document) -> Document | None:
    """The issued final invoice that deducts ``advance``, or None."""
    if not advance.advance:
        return None
    return db.session.scalar(select(Document).join(DocumentDeduction, DocumentDeduction.final_id == Document.id)
                             .where(DocumentDeduction.advance_id == advance.id, Document.status == "issued")
                             .limit(1))


def refuse_credit(invoice: Document) -> None:
    """A deducted advance invoice is settled by its final invoice: it is not credited or cancelled any more."""
    final = deducted_by(invoice)
    if final is not None:
        raise ActionError("advance_deducted", "The advance invoice {number} is deducted by {final}: credit or cancel "
                          "the final invoice first.", number=invoice.number, final=final.number)


def release(invoice: Document) -> None:
    """A final invoice cancelled: its advance invoices count no more as settling it (they may be deducted again)."""
    invoice.paid_total -= settled_by_advances(invoice)
