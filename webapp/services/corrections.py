"""Corrections of issued invoices: credit notes (full, chosen lines and quantities, or an amount), cancelling,
giving an invoice another recipient, and reactivating a cancelled one.

A credit note is a document of kind ``credit_note`` whose ``related_id`` is the invoice. Its lines are the
invoice's lines with negated quantities (``source_line_id`` names the line credited) and the invoice's tax
snapshots, so a full credit note's figures are exactly the negated figures of the invoice. When a credit
note is issued (``issuing.issue``), ``ledger.check_and_book`` refuses a credit beyond what remains creditable
and adds it to the invoice's ``credited_total``, with the invoice's row locked.
"""
from __future__ import annotations

from decimal import Decimal

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError
from webapp.domain.money import from_minor, round_money, to_minor
from webapp.extensions import db
from webapp.i18n import document_text
from webapp.models import Contact, Document, DocumentAdjustment, DocumentLine, Organization, User
from webapp.services import audit, automatic_tax, deductions, drafts, issuing
from webapp.services.calculation import recalculate
from webapp.services.ledger import (ROUNDING_TOLERANCE, check_limits, creditable, credited_groups,
                                    remaining_quantities)
from webapp.services.state import require


def _new_credit_note(org: Organization, actor: User, invoice: Document, reason: str) -> Document:
    note = Document(org_id=org.id, kind="credit_note", flow=invoice.flow, status="draft",
                    contact_id=invoice.contact_id, currency=invoice.currency,
                    prices_include_tax=invoice.prices_include_tax, payment_terms_days=0,
                    customer_reference=invoice.customer_reference, buyer_name=invoice.buyer_name,
                    # the e-invoice the invoice was issued as, with its buyer reference (BT-10)
                    buyer_reference=invoice.buyer_reference, e_invoice_format=invoice.e_invoice_format,
                    notes=reason, related_id=invoice.id, created_by_id=actor.id,
                    exchange_rate=invoice.exchange_rate,  # converts at the invoice's rate (services/exchange.py)
                    service_date=invoice.service_date, service_period_end=invoice.service_period_end)
    db.session.add(note)
    return note


def _credit_line(invoice_line: DocumentLine, quantity: Decimal, position: int, currency: str) -> DocumentLine:
    """The invoice line credited with ``quantity`` (given with the invoice line's sign), tax copied as issued.

    The line's price base quantity and period go along as they are. Its allowances and charges are amounts for
    the whole line: a credit of part of its quantity credits the same share of each (rounded to the currency,
    as the calculator rounds them), the whole quantity exactly the negated amounts, so a full credit note
    mirrors the invoice to the cent."""
    factor = -quantity / invoice_line.quantity
    return DocumentLine(position=position, product_id=invoice_line.product_id, description=invoice_line.description,
                        quantity=-quantity, unit=invoice_line.unit, unit_price=invoice_line.unit_price,
                        discount_percent=invoice_line.discount_percent, tax_rate_id=None,
                        tax_percent=invoice_line.tax_percent, tax_category=invoice_line.tax_category,
                        exemption_note=invoice_line.exemption_note, source_line_id=invoice_line.id,
                        base_quantity=invoice_line.base_quantity, period_start=invoice_line.period_start,
                        period_end=invoice_line.period_end,
                        adjustments=drafts.copied_adjustments(invoice_line, factor, currency),
                        tax_code=invoice_line.tax_code, tax_jurisdiction=invoice_line.tax_jurisdiction,
                        tax_rule=invoice_line.tax_rule,
                        tax_decision=dict(invoice_line.tax_decision) if invoice_line.tax_decision else None)


def _finish(org: Organization, actor: User, invoice: Document, note: Document, what: str) -> Document:
    db.session.flush()
    recalculate(note)
    check_limits(invoice, note)
    audit.record(org, actor, "document.created", note,
                 summary=f"{actor.email} drafted a credit note ({what}) for {invoice.number}", invoice_id=invoice.id)
    return note


def full_credit_note(org: Organization, actor: User, invoice: Document, reason: str = "") -> Document:
    """A draft crediting everything still creditable: with nothing credited yet, the exact negation."""
    require(invoice, "credit")
    if creditable(invoice) <= 0:
        raise ActionError("nothing_to_credit", "Nothing is left to credit on {number}.", number=invoice.number)
    if invoice.credited_total == 0:
        note = _new_credit_note(org, actor, invoice, reason)
        note.discount_percent = invoice.discount_percent
        for line in invoice.lines:
            note.lines.append(_credit_line(line, line.quantity, line.position, invoice.currency))
        for adj in invoice.adjustments:
            note.adjustments.append(DocumentAdjustment(
                kind=adj.kind, reason=adj.reason, reason_code=adj.reason_code, amount=-adj.amount, tax_rate_id=None, tax_percent=adj.tax_percent,
                tax_category=adj.tax_category, exemption_note=adj.exemption_note))
        return _finish(org, actor, invoice, note, "in full")
    # partly credited already: what remains of each VAT group, as one line per group
    note = _new_credit_note(org, actor, invoice, reason)
    note.prices_include_tax = False
    credited = credited_groups(invoice)
    for position, g in enumerate(invoice.tax_breakdown):
        base, tax = credited.get((g["category"], g["rate"]), (0, 0))
        rest = _base_for_gross(g["base"] - base, (g["base"] - base) + (g["tax"] - tax), Decimal(g["rate"]),
                               invoice.currency)
        if rest and (rest > 0) == (g["base"] > 0):
            note.lines.append(DocumentLine(
                position=position, description=document_text(
                    invoice, org, "Remaining amount of %(number)s", number=invoice.number), quantity=Decimal(-1),
                unit="lump_sum", unit_price=from_minor(rest, invoice.currency), tax_rate_id=None,
                tax_percent=Decimal(g["rate"]), tax_category=g["category"], exemption_note=g.get("note", ""),
                **automatic_tax.group_decision(g)))
    return _finish(org, actor, invoice, note, "the remaining amount")


def _base_for_gross(base: int, gross: int, rate: Decimal, currency: str) -> int:
    """The base (minor units) nearest to ``base`` whose gross, with the VAT rounded as EN 16931 does, is
    exactly ``gross``. Some grosses no base reaches (the VAT jumps a cent); then the nearest base whose
    gross is one cent more, within the rounding tolerance, so that nothing stays due."""
    def gross_of(b: int) -> int:
        return b + to_minor(round_money(from_minor(b, currency) * rate / 100, currency), currency)

    candidates = sorted(range(base - 3, base + 4), key=lambda b: abs(b - base))
    for b in candidates:
        if gross_of(b) == gross:
            return b
    sign = 1 if gross >= 0 else -1
    for b in candidates:
        if 0 < (gross_of(b) - gross) * sign <= ROUNDING_TOLERANCE:
            return b
    return base


def lines_credit_note(org: Organization, actor: User, invoice: Document, quantities: dict[int, Decimal],
                      reason: str = "") -> Document:
    """A draft crediting chosen lines: ``quantities`` maps invoice line ids to the (positive) quantity to credit."""
    require(invoice, "credit")
    remaining = remaining_quantities(invoice)
    note = _new_credit_note(org, actor, invoice, reason)
    by_id = {line.id: line for line in invoice.lines}
    for line_id, quantity in quantities.items():
        if not quantity:
            continue
        line = by_id.get(line_id)
        if line is None:
            raise ActionError("line_not_on_invoice", "A chosen line is not on this invoice.")
        if quantity < 0:
            raise ActionError("negative_quantity", "Line {line}: enter a quantity that is not negative.",
                              line=line.position + 1)
        sign = Decimal(-1) if line.quantity < 0 else Decimal(1)
        if quantity > abs(remaining[line_id]):
            raise ActionError("credit_exceeds_line", "Line {line} ({description}): at most {quantity} can still be "
                              "credited.", line=line.position + 1, description=line.description[:40],
                              quantity=abs(remaining[line_id]))
        note.lines.append(_credit_line(line, quantity * sign, line.position, invoice.currency))
    if not note.lines:
        raise ActionError("nothing_chosen", "Enter the quantity to credit on at least one line.")
    note.discount_percent = invoice.discount_percent
    return _finish(org, actor, invoice, note, "chosen lines")


def amount_credit_note(org: Organization, actor: User, invoice: Document, amount: Decimal, group: tuple[str, str],
                       reason: str = "") -> Document:
    """A draft crediting ``amount`` (net, or with VAT for an invoice with inclusive prices) in one VAT group."""
    require(invoice, "credit")
    groups = {(g["category"], g["rate"]): g for g in invoice.tax_breakdown}
    if group not in groups:
        raise ActionError("vat_group_unknown", "Choose one of the invoice's VAT rates.")
    if amount <= 0:
        raise ActionError("amount_not_positive", "Enter an amount above 0.")
    note = _new_credit_note(org, actor, invoice, reason)
    note.lines.append(DocumentLine(
        position=0, description=reason or document_text(
            invoice, org, "Credit on %(number)s", number=invoice.number), quantity=Decimal(-1), unit="lump_sum",
        unit_price=amount, tax_rate_id=None, tax_percent=Decimal(group[1]), tax_category=group[0],
        exemption_note=groups[group].get("note", ""), **automatic_tax.group_decision(groups[group])))
    return _finish(org, actor, invoice, note, "an amount")


def cancel(org: Organization, actor: User, invoice: Document, reason: str = "") -> Document:
    """Issue a credit note for everything still creditable and mark the invoice cancelled."""
    require(invoice, "cancel")
    deductions.refuse_credit(invoice)
    note = full_credit_note(org, actor, invoice, reason or document_text(
        invoice, org, "Cancellation of invoice %(number)s", number=invoice.number))
    issuing.issue(org, actor, note)
    deductions.release(invoice)  # a final invoice's advance invoices settle it no more
    invoice.status = status_table.next_status(invoice.kind, invoice.status, "cancel")
    audit.record(org, actor, "document.cancelled", invoice,
                 summary=f"{actor.email} cancelled {invoice.number} with credit note {note.number}",
                 credit_note_id=note.id)
    return note


def change_recipient(org: Organization, actor: User, invoice: Document, contact: Contact,
                     reason: str = "") -> tuple[Document, Document]:
    """Cancel the invoice and open a draft copy of it for ``contact``: (credit note, new draft)."""
    require(invoice, "change_recipient")
    if contact.id == invoice.contact_id:
        raise ActionError("same_customer", "Choose another customer: this one already receives the invoice.")
    note = cancel(org, actor, invoice, reason or f"Invoice {invoice.number} re-issued to {contact.display_name}")
    copy = drafts.copy_document(org, actor, invoice)
    drafts.set_contact(copy, contact)
    audit.record(org, actor, "document.recipient_changed", invoice,
                 summary=f"{actor.email} moved {invoice.number} to {contact.display_name} (new draft)",
                 copy_id=copy.id)
    return note, copy


def reactivate(org: Organization, actor: User, invoice: Document) -> Document:
    """A new draft copy of a cancelled invoice, linked to it; the original stays cancelled."""
    require(invoice, "reactivate")
    copy = drafts.copy_document(org, actor, invoice)
    audit.record(org, actor, "document.reactivated", invoice,
                 summary=f"{actor.email} reactivated {invoice.number} as a new draft", copy_id=copy.id)
    return copy
