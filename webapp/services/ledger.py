"""The credit ledger of an invoice: what its issued credit notes credited (per line, per VAT group, in total),
what remains creditable, and the booking of a credit note when it is issued (the invoice's row locked).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from webapp.domain.errors import ActionError, Amount
from webapp.extensions import db
from webapp.models import Document, DocumentLine, Organization
from webapp.services import deductions


def _credit_notes(invoice: Document, issued_only: bool = True):
    stmt = select(Document).where(Document.org_id == invoice.org_id, Document.kind == "credit_note",
                                  Document.related_id == invoice.id)
    if issued_only:
        stmt = stmt.where(Document.status == "issued")
    return stmt


def credited_quantities(invoice: Document) -> dict[int, Decimal]:
    """Invoice line id -> quantity credited by issued credit notes (same sign as the invoice line's)."""
    rows = db.session.execute(
        select(DocumentLine.source_line_id, func.sum(DocumentLine.quantity))
        .join(Document, Document.id == DocumentLine.document_id)
        .where(Document.kind == "credit_note", Document.status == "issued", Document.related_id == invoice.id,
               DocumentLine.source_line_id.is_not(None))
        .group_by(DocumentLine.source_line_id)).all()
    return {line_id: -Decimal(total) for line_id, total in rows}


def remaining_quantities(invoice: Document) -> dict[int, Decimal]:
    credited = credited_quantities(invoice)
    return {line.id: line.quantity - credited.get(line.id, Decimal(0)) for line in invoice.lines}


def creditable(invoice: Document) -> int:
    """What can still be credited, in minor units (the total with VAT minus the credit notes issued)."""
    return invoice.gross_total - invoice.credited_total


# VAT is rounded once per group and document (EN 16931), so credit notes for parts of an invoice can add up
# to a cent per VAT group more or less than the invoice. A credit note may exceed what remains by that
# much; the invoice then counts only what remained, and ends at exactly nothing due.
ROUNDING_TOLERANCE = 1  # minor units per VAT group


def credited_groups(invoice: Document) -> dict[tuple[str, str], tuple[int, int]]:
    """(category, rate) -> (base, VAT) credited by issued credit notes, with the invoice's signs."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for cn in db.session.scalars(_credit_notes(invoice)):
        for g in cn.tax_breakdown:
            key = (g["category"], g["rate"])
            base, tax = out.get(key, (0, 0))
            out[key] = (base - g["base"], tax - g["tax"])
    return out


def check_limits(invoice: Document, note: Document) -> None:
    """Refuse a credit note that raises an amount, uses a VAT rate the invoice does not have, or credits
    more of a VAT group or of the whole invoice than remains (beyond the rounding tolerance). The messages carry
    rates (Decimal) and amounts (``Amount``): the reader sees them in their locale."""

    def rate(g: dict) -> Decimal:
        return Decimal(str(g["rate"]))

    def money(minor: int) -> Amount:
        return Amount(minor, invoice.currency)

    deductions.refuse_credit(invoice)  # a deducted advance invoice is settled by its final invoice
    if note.gross_total >= 0 or not note.lines:
        raise ActionError("credit_not_reducing", "A credit note must reduce the invoice: credit at least one line or an amount.")
    groups = {(g["category"], g["rate"]): g for g in invoice.tax_breakdown}
    credited = credited_groups(invoice)
    for g in note.tax_breakdown:
        key = (g["category"], g["rate"])
        if key not in groups:
            raise ActionError("vat_group_unknown", "This credit note uses VAT {rate} % ({category}), which is not on "
                              "{number}.", rate=rate(g), category=g["category"], number=invoice.number)
        invoiced, credit = groups[key]["base"], -g["base"]
        if credit and (credit > 0) != (invoiced > 0):
            raise ActionError("credit_raises_vat", "This credit note would raise the {rate} % VAT amount of {number}.",
                              rate=rate(g), number=invoice.number)
        if abs(credited.get(key, (0, 0))[0] + credit) > abs(invoiced) + ROUNDING_TOLERANCE:
            left = invoiced - credited.get(key, (0, 0))[0]
            raise ActionError("credit_exceeds_group", "This credits more at {rate} % VAT than remains creditable on "
                              "{number} ({amount} without VAT).", rate=rate(g), number=invoice.number,
                              amount=money(left))
    if -note.gross_total > creditable(invoice) + ROUNDING_TOLERANCE * len(note.tax_breakdown):
        raise ActionError("credit_exceeds_invoice", "This credits more than what remains creditable on {number} "
                          "({amount}).", number=invoice.number, amount=money(creditable(invoice)))


def check_and_book(org: Organization, note: Document) -> Document:
    """At issue: lock the invoice, refuse a credit beyond what remains, add the credit note to its balance."""
    invoice = db.session.scalar(select(Document).where(Document.org_id == org.id, Document.id == note.related_id)
                                .with_for_update().execution_options(populate_existing=True))
    if invoice is None or invoice.kind != "invoice" or invoice.status == "draft":
        raise ActionError("invoice_gone", "The invoice this credit note corrects is gone.")
    check_limits(invoice, note)  # again: another credit note may have been issued meanwhile
    remaining = remaining_quantities(invoice)
    for line in note.lines:
        if line.source_line_id is not None:
            left = remaining.get(line.source_line_id)
            if left is None or abs(line.quantity) > abs(left):
                raise ActionError("credit_exceeds_line", "Line {line} credits more than remains of the invoice's line.",
                                  line=line.position + 1)
    invoice.credited_total += min(-note.gross_total, creditable(invoice))  # a rounding cent beyond: not owed
    return invoice
