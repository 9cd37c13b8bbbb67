"""Drafts: starting one, the live editor's changes (header, customer, lines, adjustments), copying, deleting.

Every function flushes and never commits; each change ends with ``calculation.recalculate``, or for a line
with ``calculation.recalculate_changed``: the line changes read and write only the lines they touch (SQL for
the count, positions and sums), so they cost the same on a 1,000-line draft as on a 3-line one. They leave
``doc.lines`` unloaded; when it was loaded already it is kept in step.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, inspect, select, update

from webapp.domain import identifiers
from webapp.domain.einvoice import PREFERENCES, XRECHNUNG_UBL
from webapp.domain.errors import ActionError, from_value_error
from webapp.domain.money import round_money
from webapp.extensions import db
from webapp.i18n import document_text
from webapp.models import (Contact, Document, DocumentAdjustment, DocumentLine, DocumentLineAdjustment, Organization,
                           Product, TaxRate, User)
from webapp.services import audit, exchange
from webapp.services.calculation import apply_rate, default_tax_rate, recalculate, recalculate_changed
from webapp.services.state import require


PAYMENT_TERMS = (7, 14, 30, 45, 60, 90, 120)
MAX_LINES = 1000
QUOTE_VALIDITY_DAYS = 30


def new_draft(org: Organization, actor: User, contact: Contact, kind: str = "invoice") -> Document:
    doc = Document(org_id=org.id, kind=kind, flow="sales", status="draft", contact_id=contact.id,
                   currency=contact.currency or org.currency, prices_include_tax=org.prices_include_tax,
                   payment_terms_days=org.payment_terms_days, buyer_name=contact.display_name,
                   created_by_id=actor.id,
                   # a small business charges no VAT: the rules print its notice (services/automatic_tax.py)
                   automatic_tax=org.automatic_tax or org.small_business,
                   valid_until=date.today() + timedelta(days=QUOTE_VALIDITY_DAYS) if kind == "quote" else None)
    db.session.add(doc)
    db.session.flush()
    recalculate(doc)
    audit.record(org, actor, "document.created", doc, summary=f"{actor.email} started a draft "
                                                              f"{kind.replace('_', ' ')} for {contact.display_name}")
    return doc


def set_contact(doc: Document, contact: Contact) -> None:
    require(doc, "edit")
    if doc.flow == "purchases" and not contact.is_supplier:  # a purchase's contact is its supplier
        contact.is_supplier = True
    if doc.flow == "purchases" and doc.contact_id != contact.id:
        doc.related_id = None  # a supplier's credit note corrects an invoice of the same supplier
    doc.contact_id = contact.id
    doc.buyer_name = contact.display_name
    if contact.currency and contact.currency != doc.currency:
        doc.currency = contact.currency
        doc.exchange_rate = None  # the old currency's (services/exchange.py)
        forget_stated(doc)
    recalculate(doc)


def forget_stated(doc: Document) -> None:
    """A purchase draft moved to another currency: the figures its supplier stated (in the old one) go."""
    doc.stated_totals = None
    for line in doc.lines:
        line.stated_net = None


HEADER_FIELDS = ("currency", "prices_include_tax", "chosen_issue_date", "service_date", "service_period_end",
                 "payment_terms_days", "customer_reference", "notes", "discount_percent", "valid_until",
                 "order_reference", "buyer_reference", "e_invoice_format", "exchange_rate", "advance", "automatic_tax",
                 "supplier_number", "self_billed")
CUSTOMERS_CHOICE = "customer"  # an e-invoice choice: the customer's preference, decided at issue (stored as None)
MAX_BUYER_REFERENCE = 100


def e_invoice_choice(contact: Contact | None, choice: str | None, switch: bool | None = None) -> str | None:
    """What a draft stores as its e-invoice format (``Document.e_invoice_format``): ``choice`` is
    ``CUSTOMERS_CHOICE`` (None: the customer's preference at issue), "" none or a format; ``switch`` is seed
    004's ``is_e_invoice``: True without a choice means the customer's format, XRechnung UBL when it has none;
    False means none. A switch that contradicts the choice is refused."""
    if choice is not None and choice != CUSTOMERS_CHOICE and choice not in PREFERENCES:
        raise ActionError("invalid_e_invoice_format", "Choose one of the e-invoice formats ({formats}) or none.",
                          "e_invoice_format", formats=", ".join(PREFERENCES[1:]))
    stored = None if choice in (None, CUSTOMERS_CHOICE) else choice
    if switch is None:
        return stored
    if switch is False:
        if stored:
            raise ActionError("e_invoice_contradiction", "is_e_invoice false goes with no format (or an empty one).",
                              "is_e_invoice")
        return ""
    if stored == "":
        raise ActionError("e_invoice_contradiction", "is_e_invoice true needs a format, not none.", "is_e_invoice")
    preference = contact.e_invoice_format if contact is not None else ""
    return stored or preference or XRECHNUNG_UBL


def check_order_reference(doc: Document, order: str | None) -> str | None:
    """The order reference as stored (None when empty); refused when another live invoice of the organization
    bills the same order (the partial unique index uq_document_order_reference says the same to racing writers)."""
    order = (order or "").strip() or None
    if order is None or doc.kind != "invoice":
        return order
    other = db.session.execute(select(Document.id, Document.number).where(
        Document.org_id == doc.org_id, Document.order_reference == order, Document.kind == "invoice",
        Document.status != "cancelled", Document.id != doc.id).limit(1)).first()
    if other is not None:
        raise ActionError("order_already_invoiced", "Order {order} is already invoiced by {number}: one order, one "
                          "invoice (cancel that invoice to invoice the order again).", "order_reference",
                          order=order, number=other.number or f"#{other.id}")
    return order


def checked_currency(value: str) -> str:
    try:
        return identifiers.normalize_currency(value)
    except ValueError as exc:
        raise from_value_error("invalid_currency", exc, "currency") from exc


def update_header(doc: Document, values: dict) -> None:
    require(doc, "edit")
    if "currency" in values:
        values = {**values, "currency": checked_currency(values["currency"])}
    if "order_reference" in values:
        values = {**values, "order_reference": check_order_reference(doc, values["order_reference"])}
    if "buyer_reference" in values:
        values = {**values, "buyer_reference": (values["buyer_reference"] or "").strip()}
        if len(values["buyer_reference"]) > MAX_BUYER_REFERENCE:
            raise ActionError("invalid_buyer_reference", "At most {count} characters.", "buyer_reference",
                              count=MAX_BUYER_REFERENCE)
    if values.get("e_invoice_format") not in (None, *PREFERENCES):
        raise ActionError("invalid_e_invoice_format", "Choose one of the e-invoice formats ({formats}) or none.",
                          "e_invoice_format", formats=", ".join(PREFERENCES[1:]))
    if values.get("advance"):
        from webapp.services import deductions

        deductions.check_advance(doc)
    values = exchange.header_rate(doc, values)
    if "automatic_tax" in values and bool(values["automatic_tax"]) != doc.automatic_tax:
        _switch_automatic_tax(doc, bool(values["automatic_tax"]))
    if doc.stated_totals and values.get("currency", doc.currency) != doc.currency:
        forget_stated(doc)
    for key, value in values.items():
        if key not in HEADER_FIELDS:
            raise KeyError(key)
        setattr(doc, key, value)
    if doc.service_period_end and (not doc.service_date or doc.service_period_end < doc.service_date):
        raise ActionError("service_period_invalid", "The service period ends before it starts.", "service_period_end")
    recalculate(doc)


def _switch_automatic_tax(doc: Document, on: bool) -> None:
    """Automatic VAT switched on: the rules decide every line, discount and charge (rates chosen before are let
    go). Switched off: the lines keep the rates the rules gave, as rates of their own, without the decision."""
    for item in [*doc.lines, *doc.adjustments]:
        if on:
            apply_rate(item, None)
        elif isinstance(item, DocumentLine):
            item.tax_jurisdiction, item.tax_rule, item.tax_decision = "", "", None


def line_count(doc: Document) -> int:
    if _lines_loaded(doc):
        return len(doc.lines)
    return db.session.scalar(select(func.count()).where(DocumentLine.document_id == doc.id))


def line_at(doc: Document, position: int) -> DocumentLine | None:
    """The draft's line at ``position`` (0-based), or None."""
    return db.session.scalar(select(DocumentLine).where(DocumentLine.document_id == doc.id,
                                                        DocumentLine.position == position))


def _lines_loaded(doc: Document) -> bool:
    return "lines" in inspect(doc).dict


def add_line(org: Organization, doc: Document, product: Product | None = None) -> DocumentLine:
    line = DocumentLine(quantity=Decimal("1"), unit_price=Decimal("0"))
    if product is not None:
        fill_from_product(doc, line, product)
    else:
        apply_rate(line, None if doc.automatic_tax else default_tax_rate(org))
    return append_line(doc, line)


def append_line(doc: Document, line: DocumentLine) -> DocumentLine:
    """Put ``line`` (filled in) at the end of the draft."""
    require(doc, "edit")
    count = line_count(doc)
    if count >= MAX_LINES:
        raise ActionError("too_many_lines", "A document has at most {max} lines.", max=MAX_LINES)
    line.document_id, line.position = doc.id, count
    if _lines_loaded(doc):
        doc.lines.append(line)
    else:
        db.session.add(line)
    db.session.flush()
    recalculate_changed(doc, [line])
    db.session.flush()
    return line


def fill_from_product(doc: Document, line: DocumentLine, product: Product) -> None:
    line.product_id = product.id
    line.description = product.name + (f"\n{product.description}" if product.description else "")
    line.unit = product.unit
    line.unit_price = product.unit_price
    if product.price_includes_tax != doc.prices_include_tax and product.tax_rate is not None:
        # the catalog price is the other kind (net vs gross): convert it with the product's rate
        rate = product.tax_rate.percent
        factor = (100 + rate) / 100
        line.unit_price = (product.unit_price / factor if product.price_includes_tax
                           else product.unit_price * factor).quantize(Decimal("0.000001"))
    # with automatic VAT the product's tax code decides (services/automatic_tax.py), its rate only converts prices
    apply_rate(line, None if doc.automatic_tax else product.tax_rate)


def apply_product(doc: Document, line: DocumentLine, product: Product) -> set[int]:
    """Fill the line from the product; returns the ids of the lines whose net moved."""
    require(doc, "edit")
    fill_from_product(doc, line, product)
    return recalculate_changed(doc, [line])


LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "discount_percent", "base_quantity", "period_start",
               "period_end", "tax_code", "expense_category_id")


def line_adjustments(allowances=(), charges=()) -> list[DocumentLineAdjustment]:
    """A line's allowances and charges (BG-27, BG-28) as rows, allowances first; each item has ``amount`` (major
    units, as the line's price: net, or gross with prices including VAT), ``reason`` and ``reason_code``."""
    items = [("allowance", a) for a in allowances] + [("charge", c) for c in charges]
    return [DocumentLineAdjustment(kind=kind, amount=item.amount, reason=item.reason, reason_code=item.reason_code,
                                   position=index) for index, (kind, item) in enumerate(items)]


def copied_adjustments(line: DocumentLine, factor: Decimal = Decimal(1), currency: str | None = None
                       ) -> list[DocumentLineAdjustment]:
    """Copies of the line's allowances and charges, their amounts times ``factor`` (a credit note: the negated
    share of the quantity credited), rounded to ``currency`` unless the factor is whole."""
    def amount(value: Decimal) -> Decimal:
        scaled = value * factor
        return scaled if factor == factor.to_integral_value() or currency is None else round_money(scaled, currency)

    return [DocumentLineAdjustment(kind=a.kind, amount=amount(a.amount), reason=a.reason, reason_code=a.reason_code,
                                   position=a.position) for a in line.adjustments]


def update_line(doc: Document, line: DocumentLine, values: dict, rate: TaxRate | None = None,
                set_rate: bool = False) -> set[int]:
    """Change the line; returns the ids of the lines whose net moved (with prices including VAT, a group's
    cent corrections can move others). ``values["adjustments"]``: the line's new allowances and charges
    (``line_adjustments``), replacing the ones it has."""
    require(doc, "edit")
    values = dict(values)
    before = _net_inputs(line)
    if "adjustments" in values:
        line.adjustments = values.pop("adjustments")
    for key, value in values.items():
        if key not in LINE_FIELDS:
            raise KeyError(key)
        setattr(line, key, value)
    if set_rate:
        apply_rate(line, rate)
    if any(key in values for key in NET_FIELDS) and _net_inputs(line) != before:
        line.stated_net = None  # a line whose net was changed by hand is no longer the supplier's (services/inbox)
    return recalculate_changed(doc, [line])


# what a line's net amount is computed from: a change to one of them lets the supplier's stated net go
NET_FIELDS = ("quantity", "unit_price", "discount_percent", "base_quantity", "adjustments")


def _net_inputs(line: DocumentLine) -> tuple:
    return (line.quantity, line.unit_price, line.discount_percent, line.base_quantity,
            tuple((a.kind, a.amount) for a in line.adjustments))


def remove_line(doc: Document, line: DocumentLine) -> set[int]:
    """Remove the line; the ones after it move up (one UPDATE). Returns the ids of the lines whose net moved."""
    require(doc, "edit")
    position = line.position
    if _lines_loaded(doc):
        doc.lines.remove(line)
        for index, other in enumerate(doc.lines):
            other.position = index
        db.session.flush()
    else:
        db.session.delete(line)
        db.session.flush()
        db.session.execute(update(DocumentLine).where(DocumentLine.document_id == doc.id,
                                                      DocumentLine.position > position)
                           .values(position=DocumentLine.position - 1).execution_options(synchronize_session=False))
        _forget_positions(doc)
    return recalculate_changed(doc)


def _forget_positions(doc: Document) -> None:
    """Lines of ``doc`` held in the session read their position anew (an UPDATE moved them in the database)."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, DocumentLine) and obj.document_id == doc.id:
            db.session.expire(obj, ["position"])


def move_line(doc: Document, line: DocumentLine, offset: int) -> None:
    """Move the line one place up (offset -1) or down (+1): it swaps places with its neighbour."""
    require(doc, "edit")
    neighbour = line_at(doc, line.position + offset) if offset else None
    if neighbour is not None:
        line.position, neighbour.position = neighbour.position, line.position
        if _lines_loaded(doc):
            doc.lines.sort(key=lambda x: x.position)
    recalculate_changed(doc)  # the order of the VAT groups follows the lines


def add_adjustment(org: Organization, doc: Document, kind: str) -> DocumentAdjustment:
    require(doc, "edit")
    adjustment = DocumentAdjustment(kind=kind, amount=Decimal("0"),
                                    reason=document_text(doc, org, "Discount") if kind == "allowance"
                                    else document_text(doc, org, "Shipping"))
    apply_rate(adjustment, None if doc.automatic_tax else default_tax_rate(org))
    doc.adjustments.append(adjustment)
    recalculate_changed(doc)  # the lines' nets stay: only the totals move
    db.session.flush()
    return adjustment


def update_adjustment(doc: Document, adjustment: DocumentAdjustment, reason: str, amount: Decimal,
                      rate: TaxRate | None, reason_code: str | None = None, set_rate: bool = True) -> None:
    """``reason_code`` None: unchanged (the web editor does not show it); ``set_rate`` False keeps the VAT."""
    require(doc, "edit")
    adjustment.reason, adjustment.amount = reason, amount
    if reason_code is not None:
        adjustment.reason_code = reason_code
    if set_rate:
        apply_rate(adjustment, rate)
    recalculate_changed(doc)  # the lines' nets stay: only the totals move


def remove_adjustment(doc: Document, adjustment: DocumentAdjustment) -> None:
    require(doc, "edit")
    doc.adjustments.remove(adjustment)
    recalculate_changed(doc)  # the lines' nets stay: only the totals move


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
                    related_id=doc.id, created_by_id=actor.id, exchange_rate=doc.exchange_rate,
                    automatic_tax=doc.automatic_tax,
                    advance=doc.advance and kind == "invoice",  # a copy of an advance invoice is one too
                    # the order goes along where the original no longer bills it (reactivated, re-addressed,
                    # a quote's invoice), never into a duplicate of a live invoice (one order, one invoice)
                    order_reference=doc.order_reference if doc.status == "cancelled" or doc.kind == "quote"
                    else None)
    # the e-invoice choice and buyer reference go along where they were the invoice's own; one the customer's
    # preference gave at issue stays the customer's (it may have changed since)
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    if contact is not None:
        if doc.buyer_reference != contact.buyer_reference:
            copy.buyer_reference = doc.buyer_reference
        if doc.e_invoice_format is not None and doc.e_invoice_format != contact.e_invoice_format:
            copy.e_invoice_format = doc.e_invoice_format
    for line in doc.lines:
        copy.lines.append(DocumentLine(
            position=line.position, product_id=line.product_id, description=line.description,
            quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
            discount_percent=line.discount_percent, tax_rate_id=line.tax_rate_id, tax_percent=line.tax_percent,
            tax_category=line.tax_category, exemption_note=line.exemption_note, base_quantity=line.base_quantity,
            period_start=line.period_start, period_end=line.period_end, adjustments=copied_adjustments(line),
            tax_code=line.tax_code))
    for adj in doc.adjustments:
        copy.adjustments.append(DocumentAdjustment(
            kind=adj.kind, reason=adj.reason, reason_code=adj.reason_code, amount=adj.amount, tax_rate_id=adj.tax_rate_id,
            tax_percent=adj.tax_percent, tax_category=adj.tax_category, exemption_note=adj.exemption_note))
    db.session.add(copy)
    db.session.flush()
    from webapp.services import attributes  # the invoice's custom attributes go along

    attributes.copy(doc, copy)
    recalculate(copy)
    audit.record(org, actor, "document.duplicated", copy,
                 summary=f"{actor.email} copied {doc.number or 'a draft'} into a new draft", source_id=doc.id)
    return copy
