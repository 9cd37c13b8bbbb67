"""Drafts: starting one, the live editor's changes (header, customer, lines, adjustments), copying, deleting.

Every function flushes and never commits; each change ends with ``calculation.recalculate``.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentAdjustment, DocumentLine, Organization, Product, TaxRate, User
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.calculation import apply_rate, default_tax_rate, recalculate
from webapp.services.state import require


PAYMENT_TERMS = (7, 14, 30, 45, 60, 90, 120)
MAX_LINES = 1000
QUOTE_VALIDITY_DAYS = 30


def new_draft(org: Organization, actor: User, contact: Contact, kind: str = "invoice") -> Document:
    doc = Document(org_id=org.id, kind=kind, flow="sales", status="draft", contact_id=contact.id,
                   currency=contact.currency or org.currency, prices_include_tax=org.prices_include_tax,
                   payment_terms_days=org.payment_terms_days, buyer_name=contact.display_name,
                   created_by_id=actor.id,
                   valid_until=date.today() + timedelta(days=QUOTE_VALIDITY_DAYS) if kind == "quote" else None)
    db.session.add(doc)
    db.session.flush()
    recalculate(doc)
    audit.record(org, actor, "document.created", doc, summary=f"{actor.email} started a draft "
                                                              f"{kind.replace('_', ' ')} for {contact.display_name}")
    return doc


def set_contact(doc: Document, contact: Contact) -> None:
    require(doc, "edit")
    doc.contact_id = contact.id
    doc.buyer_name = contact.display_name
    if contact.currency and contact.currency != doc.currency:
        doc.currency = contact.currency
    recalculate(doc)


HEADER_FIELDS = ("currency", "prices_include_tax", "chosen_issue_date", "service_date", "service_period_end",
                 "payment_terms_days", "customer_reference", "notes", "discount_percent", "valid_until")


def update_header(doc: Document, values: dict) -> None:
    require(doc, "edit")
    for key, value in values.items():
        if key not in HEADER_FIELDS:
            raise KeyError(key)
        setattr(doc, key, value)
    if doc.service_period_end and (not doc.service_date or doc.service_period_end < doc.service_date):
        raise ActionError("service_period_invalid", "The service period ends before it starts.", "service_period_end")
    recalculate(doc)


def add_line(org: Organization, doc: Document, product: Product | None = None) -> DocumentLine:
    require(doc, "edit")
    if len(doc.lines) >= MAX_LINES:
        raise ActionError("too_many_lines", f"A document has at most {MAX_LINES} lines.")
    line = DocumentLine(position=len(doc.lines), quantity=Decimal("1"), unit_price=Decimal("0"))
    doc.lines.append(line)
    if product is not None:
        _fill_from_product(line, product)
    else:
        apply_rate(line, default_tax_rate(org))
    recalculate(doc)
    db.session.flush()
    return line


def _fill_from_product(line: DocumentLine, product: Product) -> None:
    line.product_id = product.id
    line.description = product.name + (f"\n{product.description}" if product.description else "")
    line.unit = product.unit
    line.unit_price = product.unit_price
    if product.price_includes_tax != line.document.prices_include_tax and product.tax_rate is not None:
        # the catalog price is the other kind (net vs gross): convert it with the product's rate
        rate = product.tax_rate.percent
        factor = (100 + rate) / 100
        line.unit_price = (product.unit_price / factor if product.price_includes_tax
                           else product.unit_price * factor).quantize(Decimal("0.000001"))
    apply_rate(line, product.tax_rate)


def apply_product(doc: Document, line: DocumentLine, product: Product) -> None:
    require(doc, "edit")
    _fill_from_product(line, product)
    recalculate(doc)


LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "discount_percent")


def update_line(doc: Document, line: DocumentLine, values: dict, rate: TaxRate | None = None,
                set_rate: bool = False) -> None:
    require(doc, "edit")
    for key, value in values.items():
        if key not in LINE_FIELDS:
            raise KeyError(key)
        setattr(line, key, value)
    if set_rate:
        apply_rate(line, rate)
    recalculate(doc)


def remove_line(doc: Document, line: DocumentLine) -> None:
    require(doc, "edit")
    doc.lines.remove(line)
    for position, other in enumerate(doc.lines):
        other.position = position
    recalculate(doc)


def move_line(doc: Document, line: DocumentLine, offset: int) -> None:
    require(doc, "edit")
    lines = list(doc.lines)
    index = lines.index(line)
    target = max(0, min(len(lines) - 1, index + offset))
    lines.insert(target, lines.pop(index))
    for position, other in enumerate(lines):
        other.position = position
    doc.lines[:] = lines
    doc.updated_at = utcnow()


def add_adjustment(org: Organization, doc: Document, kind: str) -> DocumentAdjustment:
    require(doc, "edit")
    adjustment = DocumentAdjustment(kind=kind, amount=Decimal("0"),
                                    reason="Discount" if kind == "allowance" else "Shipping")
    apply_rate(adjustment, default_tax_rate(org))
    doc.adjustments.append(adjustment)
    recalculate(doc)
    db.session.flush()
    return adjustment


def update_adjustment(doc: Document, adjustment: DocumentAdjustment, reason: str, amount: Decimal,
                      rate: TaxRate | None) -> None:
    require(doc, "edit")
    adjustment.reason, adjustment.amount = reason, amount
    apply_rate(adjustment, rate)
    recalculate(doc)


def remove_adjustment(doc: Document, adjustment: DocumentAdjustment) -> None:
    require(doc, "edit")
    doc.adjustments.remove(adjustment)
    recalculate(doc)


def delete_draft(org: Organization, actor: User, doc: Document) -> None:
    require(doc, "delete")
    audit.record(org, actor, "document.deleted", doc, summary=f"{actor.email} deleted a draft for {doc.buyer_name}")
    db.session.delete(doc)
    db.session.flush()


def duplicate(org: Organization, actor: User, doc: Document) -> Document:
    require(doc, "duplicate")
    return copy_document(org, actor, doc)


def copy_document(org: Organization, actor: User, doc: Document, kind: str | None = None) -> Document:
    """A new draft with the document's customer, header, lines and adjustments, linked to it (``related_id``);
    ``kind`` makes e.g. an invoice from a quote."""
    kind = kind or doc.kind
    copy = Document(org_id=org.id, kind=kind, flow=doc.flow, status="draft", contact_id=doc.contact_id,
                    valid_until=date.today() + timedelta(days=QUOTE_VALIDITY_DAYS) if kind == "quote" else None,
                    currency=doc.currency, prices_include_tax=doc.prices_include_tax,
                    payment_terms_days=doc.payment_terms_days, customer_reference=doc.customer_reference,
                    notes=doc.notes, discount_percent=doc.discount_percent, buyer_name=doc.buyer_name,
                    related_id=doc.id, created_by_id=actor.id)
    for line in doc.lines:
        copy.lines.append(DocumentLine(
            position=line.position, product_id=line.product_id, description=line.description,
            quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
            discount_percent=line.discount_percent, tax_rate_id=line.tax_rate_id, tax_percent=line.tax_percent,
            tax_category=line.tax_category, exemption_note=line.exemption_note))
    for adj in doc.adjustments:
        copy.adjustments.append(DocumentAdjustment(
            kind=adj.kind, reason=adj.reason, amount=adj.amount, tax_rate_id=adj.tax_rate_id,
            tax_percent=adj.tax_percent, tax_category=adj.tax_category, exemption_note=adj.exemption_note))
    db.session.add(copy)
    db.session.flush()
    recalculate(copy)
    audit.record(org, actor, "document.duplicated", copy,
                 summary=f"{actor.email} copied {doc.number or 'a draft'} into a new draft", source_id=doc.id)
    return copy
