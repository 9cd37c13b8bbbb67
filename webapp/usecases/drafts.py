"""Drafts and the live editor: start a draft, change its header, customer, lines and adjustments, copy it,
delete it. Every change names the draft's version it was made to; a change to an older version is refused
(``document_changed``) so nobody overwrites what someone else just did."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, InvalidInput, NotFound
from webapp.domain.exchange import check_rate
from webapp.domain.money import precision
from webapp.domain.reason_codes import REASONS
from webapp.domain.units import UNITS
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentAdjustment, DocumentLine, Product, TaxRate
from webapp.models.types import utcnow
from webapp.services import (attributes, automatic_tax, contacts, deductions, drafts, expense_categories, inbox, notes,
                             purchases)
from webapp.services.calculation import apply_rate, default_tax_rate
from webapp.services.drafts import line_count  # noqa: F401 - the editor shows how many lines a draft has
from webapp.usecases import Actor, load, usecase
from webapp.usecases.documents import child, for_action

if TYPE_CHECKING:
    from webapp.usecases.customers import CustomerInput

KINDS = ("invoice", "quote")  # what a member starts; credit notes come from invoices


@dataclass(frozen=True)
class QuickCustomer:
    """A customer added while writing a draft: a company or a person, an e-mail, a country."""
    company_name: str = ""
    person_name: str = ""
    email: str = ""
    country: str = ""


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ActionError("invalid_kind", "Choose an invoice or a quote.", "kind")
    return kind


def _add_customer(actor: Actor, customer: QuickCustomer) -> Contact:
    if not (customer.company_name or customer.person_name):
        raise ActionError("name_required", "Enter a company or a person's name.", "company_name")
    # a company is a business, a person alone a consumer (the VAT rules tell them apart; the customer's page can
    # change it)
    values = {"company_name": customer.company_name, "person_name": customer.person_name,
              "email": customer.email, "country": customer.country, "is_customer": True,
              "is_business": bool(customer.company_name.strip())}
    return contacts.save_contact(actor.org, actor.user, None, values, {}, contacts.custom_fields(actor.org.id))


@usecase
def create_draft(actor: Actor, contact_id: int, kind: str = "invoice") -> Document:
    actor.require("edit_drafts")
    contact = load(actor, Contact, contact_id, "customer")
    return drafts.new_draft(actor.org, actor.user, contact, kind=_kind(kind))


@usecase
def create_draft_for_new_customer(actor: Actor, customer: QuickCustomer, kind: str = "invoice"
                                  ) -> tuple[Document, Contact]:
    actor.require("edit_drafts")
    actor.require("manage_customers")
    kind = _kind(kind)
    contact = _add_customer(actor, customer)
    return drafts.new_draft(actor.org, actor.user, contact, kind=kind), contact


@dataclass(frozen=True)
class HeaderInput:
    currency: str
    prices_include_tax: bool
    chosen_issue_date: date | None
    service_date: date | None
    service_period_end: date | None
    payment_terms_days: int
    customer_reference: str = ""
    notes: str = ""
    discount_percent: Decimal | None = None
    valid_until: date | None = None  # quotes only
    order_reference: str | None = None  # None: unchanged (the editor does not show it); "": none
    buyer_reference: str | None = None  # BT-10; None: unchanged; "": the customer's at issue
    # the e-invoice the customer gets: drafts.CUSTOMERS_CHOICE (decided at issue), "" none, or a format;
    # None: unchanged. ``is_e_invoice`` (seed 004's switch) as ``drafts.e_invoice_choice`` reads it
    e_invoice_format: str | None = None
    is_e_invoice: bool | None = None
    # BT-6 / BT-111: 1 unit of ``currency`` = this many of the organization's (services/exchange.py); None: none
    exchange_rate: Decimal | None = None
    is_advance: bool | None = None  # an advance (down-payment) invoice (services/deductions.py); None: unchanged
    automatic_tax: bool | None = None  # the VAT rules decide each line (services/automatic_tax.py); None: unchanged
    supplier_number: str | None = None  # purchases: the supplier's number; None: unchanged, "": none
    self_billed: bool | None = None  # purchases: made out by the organization for its supplier; None: unchanged


def _e_invoice(doc: Document, choice: str | None, switch: bool | None) -> dict:
    """The draft's new e-invoice format as a header value ({} when neither is given)."""
    if choice is None and switch is None:
        return {}
    if choice is None:  # the switch alone: on keeps a format chosen already, off is none
        choice = drafts.CUSTOMERS_CHOICE if switch is False else (doc.e_invoice_format or drafts.CUSTOMERS_CHOICE)
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    return {"e_invoice_format": drafts.e_invoice_choice(contact, choice, switch)}


@usecase
def change_header(actor: Actor, document_id: int, version: int | None, data: HeaderInput) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    values = {k: getattr(data, k) for k in ("currency", "prices_include_tax", "chosen_issue_date", "service_date",
                                             "service_period_end", "customer_reference", "notes",
                                             "payment_terms_days")}
    values["discount_percent"] = data.discount_percent or None
    values["exchange_rate"] = data.exchange_rate
    if doc.kind == "quote":
        values["valid_until"] = data.valid_until
    if data.order_reference is not None:
        values["order_reference"] = data.order_reference
    if data.buyer_reference is not None:
        values["buyer_reference"] = data.buyer_reference
    values.update(_e_invoice(doc, data.e_invoice_format, data.is_e_invoice))
    if data.is_advance is not None:
        values["advance"] = data.is_advance
    if data.automatic_tax is not None:
        values["automatic_tax"] = data.automatic_tax
    if data.supplier_number is not None:
        if doc.flow != "purchases":
            raise ActionError("supplier_number_for_purchases", "Only a supplier's invoice has a supplier's number.",
                              "supplier_number")
        values["supplier_number"] = purchases.checked_supplier_number(doc, data.supplier_number)
    if data.self_billed is not None:
        values["self_billed"] = purchases.checked_self_billed(doc, data.self_billed)
    if doc.flow == "purchases":  # what the supplier sends is not decided here; orders and advances are sales'
        for name in ("e_invoice_format", "automatic_tax", "order_reference", "advance"):
            values.pop(name, None)
    drafts.update_header(doc, values)
    return doc


@usecase
def choose_deductions(actor: Actor, document_id: int, version: int | None, advance_ids) -> Document:
    """The advance invoices the (final) invoice's draft deducts, replacing its choice (services/deductions.py)."""
    doc = for_action(actor, document_id, "edit", version)
    deductions.choose(doc, advance_ids)
    doc.updated_at = utcnow()  # a new version: the editor's other forms send it
    return doc


@usecase
def change_customer(actor: Actor, document_id: int, version: int | None, contact_id: int) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    drafts.set_contact(doc, load(actor, Contact, contact_id, "customer"))
    return doc


@usecase
def add_new_customer(actor: Actor, document_id: int, version: int | None, customer: QuickCustomer) -> Document:
    """Add a customer without leaving the editor and make it the draft's customer."""
    doc = for_action(actor, document_id, "edit", version)
    actor.require("manage_customers")
    drafts.set_contact(doc, _add_customer(actor, customer))
    return doc


@dataclass(frozen=True)
class LineChange:
    """A changed (or added) line and its draft, and the ids of the lines whose net amount moved with it
    (itself, and with prices including VAT the others of its group): what the editor shows anew."""
    document: Document
    line: DocumentLine
    moved: frozenset[int]


@usecase
def add_line(actor: Actor, document_id: int, version: int | None, product_id: int | None = None) -> LineChange:
    doc = for_action(actor, document_id, "edit", version)
    product = load(actor, Product, product_id, "product") if product_id is not None else None
    line = drafts.add_line(actor.org, doc, product)
    return LineChange(doc, line, frozenset({line.id}))


@dataclass(frozen=True)
class LineAdjustmentInput:
    """An allowance (BG-27) or charge (BG-28) of a line: an amount above 0 in major units (net, or gross as the
    document's prices are), with a reason (BT-139 / BT-144) and/or a reason code (UNTDID 5189 for allowances,
    BT-140; 7161 for charges, BT-145): at least one of the two (BR-42, BR-44)."""
    amount: Decimal
    reason: str = ""
    reason_code: str = ""


@dataclass(frozen=True)
class LinePeriod:
    """A line's service period (BG-26): a start, an end, or both (BR-CO-20); None, None: no period."""
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class LineInput:
    """A changed line. The fields after ``tax_category`` are None when unchanged (the web editor does not show
    them: a line made through the API keeps its base quantity, period, allowances and charges)."""
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal | None = None
    tax_rate_id: int | None = None  # None: no tax rate (unless tax_percent or tax_category name one)
    tax_percent: Decimal | None = None  # the API: the organization's rate of this percent and category
    tax_category: str | None = None
    base_quantity: Decimal | None = None  # BT-149: the unit price is per this many units
    period: LinePeriod | None = None
    keep_tax: bool = False  # keep the line's VAT as entered (a supplier's rate the organization has not)
    set_category: bool = False  # a purchase line: set its expense category to ``expense_category_id``
    expense_category_id: int | None = None
    allowances: tuple[LineAdjustmentInput, ...] | None = None
    charges: tuple[LineAdjustmentInput, ...] | None = None
    tax_code: str | None = None  # what the line sells for VAT (domain/tax_codes.py); "": its product's; None: unchanged


def _rate(actor: Actor, rate_id: int | None, current: int | None) -> TaxRate | None:
    """The organization's tax rate ``rate_id``: an active one, or the one the line or adjustment has already."""
    if not rate_id:
        return None
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == actor.org.id, TaxRate.id == rate_id))
    if rate is None or (rate.archived and rate.id != current):
        raise ActionError("invalid_tax_rate", "Choose one of the tax rates.", "tax_rate_id")
    return rate


def reason_code_of(kind: str, code: str | None) -> str:
    """The reason code as stored: trimmed, upper case ("" for none)."""
    return (code or "").strip().upper()


def adjustment_errors(kind: str, amount: Decimal, reason: str, reason_code: str, currency: str,
                      prefix: str = "") -> list[ActionError]:
    """What is wrong with an allowance or a charge, of a line or of the document (EN 16931: an amount; a reason
    or a code, BR-33/BR-38, BR-42/BR-44; a code of UNTDID 5189 for allowances, 7161 for charges)."""
    errors = []
    if amount <= 0:
        errors.append(ActionError("amount_not_positive", "Enter an amount above 0.", prefix + "amount"))
    places = precision(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        errors.append(ActionError("amount_precision", "{currency} amounts have at most {places} decimal places.",
                                  prefix + "amount", currency=currency, places=places))
    if not reason.strip() and not reason_code:
        errors.append(ActionError("reason_required", "Give a reason or a reason code.", prefix + "reason"))
    if reason_code and reason_code not in REASONS[kind]:
        if kind == "allowance":
            errors.append(ActionError("unknown_reason_code", "{given} is not an allowance reason code (UNTDID 5189, "
                                      "e.g. 95 for a discount).", prefix + "reason_code", given=reason_code))
        else:
            errors.append(ActionError("unknown_reason_code", "{given} is not a charge reason code (UNTDID 7161, e.g. "
                                      "FC for freight).", prefix + "reason_code", given=reason_code))
    return errors


def line_field_errors(currency: str, base_quantity: Decimal | None = None, period: LinePeriod | None = None,
                      allowances=(), charges=(), prefix: str = "") -> list[ActionError]:
    """What is wrong with a line's EN 16931 fields: base quantity (above 0), period (not ending before it
    starts), allowances and charges (``adjustment_errors``, at ``allowances.N.`` / ``charges.N.``)."""
    errors = []
    if base_quantity is not None and base_quantity <= 0:
        errors.append(ActionError("base_quantity_not_positive", "The price base quantity must be above 0.",
                                  prefix + "base_quantity"))
    if period is not None and period.start and period.end and period.end < period.start:
        errors.append(ActionError("line_period_invalid", "The line's period ends before it starts.",
                                  prefix + "period_end"))
    for kind, items in (("allowance", allowances or ()), ("charge", charges or ())):
        for index, item in enumerate(items):
            errors += adjustment_errors(kind, item.amount, item.reason, reason_code_of(kind, item.reason_code),
                                        currency, f"{prefix}{kind}s.{index}.")
    return errors


def _cleaned(kind: str, items) -> list[LineAdjustmentInput]:
    return [LineAdjustmentInput(amount=i.amount, reason=i.reason.strip(), reason_code=reason_code_of(kind, i.reason_code))
            for i in items]


def line_errors(quantity: Decimal, discount_percent: Decimal | None, unit: str, prefix: str = "") -> list[ActionError]:
    """What is wrong with a line's figures (every way of writing a line: the editor, the API)."""
    errors = []
    if quantity == 0:
        errors.append(ActionError("quantity_zero", "A quantity of 0 adds nothing; remove the line instead.",
                                  prefix + "quantity"))
    if discount_percent is not None and not 0 <= discount_percent <= 100:
        errors.append(ActionError("discount_out_of_range", "Between 0 and 100 %.", prefix + "discount_percent"))
    if unit not in UNITS:
        errors.append(ActionError("invalid_unit", "Choose one of the units.", prefix + "unit"))
    return errors


@usecase
def change_line(actor: Actor, document_id: int, line_id: int, version: int | None, data: LineInput) -> LineChange:
    doc = for_action(actor, document_id, "edit", version)
    line = line_of(doc, line_id)
    errors = line_errors(data.quantity, data.discount_percent, data.unit)
    errors += line_field_errors(doc.currency, data.base_quantity, data.period, data.allowances, data.charges)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidInput(errors)
    if data.keep_tax:
        rate = None
    elif data.tax_rate_id is None and (data.tax_percent is not None or data.tax_category is not None):
        rate = _rate_for(actor, None, data.tax_percent, data.tax_category, "tax_rate")
    else:
        rate = _rate(actor, data.tax_rate_id, line.tax_rate_id)
    values = {"description": data.description.strip(), "quantity": data.quantity, "unit": data.unit,
              "unit_price": data.unit_price, "discount_percent": data.discount_percent or None}
    if data.tax_code is not None:
        values["tax_code"] = automatic_tax.checked_tax_code(data.tax_code)
    if data.set_category:
        if doc.flow != "purchases":
            raise ActionError("category_for_purchases", "Only a purchase line has an expense category.",
                              "expense_category_id")
        values["expense_category_id"] = expense_categories.for_line(actor.org, data.expense_category_id,
                                                                    line.expense_category_id)
    if data.base_quantity is not None:
        values["base_quantity"] = data.base_quantity
    if data.period is not None:
        values["period_start"], values["period_end"] = data.period.start, data.period.end
    if data.allowances is not None or data.charges is not None:
        values["adjustments"] = drafts.line_adjustments(
            _cleaned("allowance", data.allowances if data.allowances is not None else _kept(line, "allowance")),
            _cleaned("charge", data.charges if data.charges is not None else _kept(line, "charge")))
    moved = drafts.update_line(doc, line, values, rate=rate, set_rate=not data.keep_tax)
    return LineChange(doc, line, frozenset(moved))


def _kept(line: DocumentLine, kind: str) -> list[LineAdjustmentInput]:
    """The line's allowances or charges as they are (when only the others change)."""
    return [LineAdjustmentInput(a.amount, a.reason, a.reason_code) for a in line.adjustments if a.kind == kind]


def line_of(doc: Document, line_id: int) -> DocumentLine:
    """The draft's line ``line_id`` (one query: the draft's other lines stay unread); lines of other documents
    are not found."""
    line = db.session.scalar(select(DocumentLine).where(DocumentLine.id == line_id,
                                                        DocumentLine.document_id == doc.id))
    if line is None:
        raise NotFound("line")
    return line


@usecase
def apply_product(actor: Actor, document_id: int, line_id: int, version: int | None, product_id: int
                  ) -> LineChange:
    doc = for_action(actor, document_id, "edit", version)
    line = line_of(doc, line_id)
    moved = drafts.apply_product(doc, line, load(actor, Product, product_id, "product"))
    return LineChange(doc, line, frozenset(moved))


@dataclass(frozen=True)
class LineRemoved:
    document: Document
    following: DocumentLine | None  # the line that took its place; None when it was the last
    moved: frozenset[int]  # lines whose net amount moved (with prices including VAT)


@usecase
def remove_line(actor: Actor, document_id: int, line_id: int, version: int | None) -> LineRemoved:
    doc = for_action(actor, document_id, "edit", version)
    line = line_of(doc, line_id)
    position = line.position
    moved = drafts.remove_line(doc, line)
    return LineRemoved(doc, drafts.line_at(doc, position), frozenset(moved))


@dataclass(frozen=True)
class LineMoved:
    document: Document
    line: DocumentLine
    neighbour: DocumentLine | None  # the line it swapped places with; None when it was at the end already


@usecase
def move_line(actor: Actor, document_id: int, line_id: int, version: int | None, up: bool) -> LineMoved:
    doc = for_action(actor, document_id, "edit", version)
    line = line_of(doc, line_id)
    position = line.position
    drafts.move_line(doc, line, -1 if up else 1)
    return LineMoved(doc, line, drafts.line_at(doc, position) if line.position != position else None)


@usecase
def add_adjustment(actor: Actor, document_id: int, version: int | None, kind: str) -> DocumentAdjustment:
    doc = for_action(actor, document_id, "edit", version)
    if kind not in ("allowance", "charge"):
        raise ActionError("invalid_adjustment_kind", "Add a discount or a charge.", "kind")
    return drafts.add_adjustment(actor.org, doc, kind)


@dataclass(frozen=True)
class AdjustmentInput:
    reason: str
    amount: Decimal
    tax_rate_id: int | None = None
    reason_code: str | None = None  # BT-98 / BT-105; None: unchanged (the web editor does not show it)
    keep_tax: bool = False  # keep its VAT as entered (a supplier's rate the organization has not)


@usecase
def change_adjustment(actor: Actor, document_id: int, adjustment_id: int, version: int | None,
                      data: AdjustmentInput) -> DocumentAdjustment:
    doc = for_action(actor, document_id, "edit", version)
    adjustment = child(doc.adjustments, adjustment_id, "adjustment")
    places = precision(doc.currency)
    exponent = data.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ActionError("amount_precision", "{currency} amounts have at most {places} decimal places.",
                          "amount", currency=doc.currency, places=places)
    code = reason_code_of(adjustment.kind, data.reason_code if data.reason_code is not None
                          else adjustment.reason_code)
    errors = [e for e in adjustment_errors(adjustment.kind, data.amount, data.reason, code, doc.currency)
              if e.code in ("reason_required", "unknown_reason_code")]  # the editor allows an amount of 0
    if errors:
        raise errors[0]
    drafts.update_adjustment(doc, adjustment, data.reason, data.amount,
                             None if data.keep_tax else _rate(actor, data.tax_rate_id, adjustment.tax_rate_id),
                             reason_code=code, set_rate=not data.keep_tax)
    return adjustment


@usecase
def remove_adjustment(actor: Actor, document_id: int, adjustment_id: int, version: int | None) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    drafts.remove_adjustment(doc, child(doc.adjustments, adjustment_id, "adjustment"))
    return doc


@usecase
def delete_draft(actor: Actor, document_id: int, version: int | None) -> None:
    """Delete the draft with its notes (and a purchase's supplier's file); their files are removed once the
    deletion is committed."""
    doc = for_action(actor, document_id, "delete", version)
    notes.discard_files_after_commit(doc)
    inbox.discard_file_after_commit(doc)
    drafts.delete_draft(actor.org, actor.user, doc)


@usecase
def duplicate(actor: Actor, document_id: int) -> Document:
    doc = for_action(actor, document_id, "duplicate")
    return drafts.duplicate(actor.org, actor.user, doc)


# --- a whole document in one call (the API's create) ----------------------------------------------

MAX_NEW_LINES = 100


@dataclass(frozen=True)
class NewLine:
    """A line of a new document; None: not given (from the product if there is one, else the default)."""
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None  # net or gross, as the document's prices are
    unit: str | None = None
    discount_percent: Decimal | None = None
    tax_rate_id: int | None = None
    tax_percent: Decimal | None = None  # instead of tax_rate_id: the organization's rate of this percent ...
    tax_category: str | None = None  # ... and EN 16931 category (S when the percent is above 0)
    product_id: int | None = None
    base_quantity: Decimal | None = None  # BT-149 (default 1)
    period: LinePeriod | None = None  # BG-26
    allowances: tuple[LineAdjustmentInput, ...] = ()  # BG-27
    charges: tuple[LineAdjustmentInput, ...] = ()  # BG-28
    tax_code: str | None = None  # domain/tax_codes.py (seed 000's tax_code, seed 001's product.tax_code)
    expense_category_id: int | None = None  # purchases: the line's expense category


@dataclass(frozen=True)
class NewAdjustment:
    kind: str  # allowance, charge
    amount: Decimal  # major units, net or gross as the document's prices are
    reason: str = ""
    tax_rate_id: int | None = None
    tax_percent: Decimal | None = None
    tax_category: str | None = None
    reason_code: str = ""  # BT-98 (UNTDID 5189) / BT-105 (UNTDID 7161)


@dataclass(frozen=True)
class DocumentInput:
    """A new draft with its header, lines and adjustments; None: the organization's (or customer's) default. The
    customer: ``contact_id``, or the shop's ``recipient_identifier`` (found, or created from ``recipient``)."""
    contact_id: int | None = None
    kind: str = "invoice"
    currency: str | None = None
    prices_include_tax: bool | None = None
    payment_terms_days: int | None = None
    chosen_issue_date: date | None = None
    service_date: date | None = None
    service_period_end: date | None = None
    customer_reference: str = ""
    notes: str = ""
    discount_percent: Decimal | None = None
    valid_until: date | None = None
    order_reference: str | None = None  # the shop's order (one live invoice per order)
    recipient_identifier: str | None = None  # instead of contact_id: the shop's own id of its customer
    recipient: "CustomerInput | None" = None  # the customer to create when no customer has that identifier
    custom_attributes: dict | None = None  # the invoice's custom field values by key
    buyer_reference: str = ""  # BT-10; "": the customer's at issue
    e_invoice_format: str | None = None  # None (or drafts.CUSTOMERS_CHOICE): the customer's; "" none; a format
    is_e_invoice: bool | None = None  # seed 004's switch (drafts.e_invoice_choice)
    exchange_rate: Decimal | None = None  # BT-6 / BT-111 (services/exchange.py)
    is_advance: bool = False  # an advance (down-payment) invoice
    deducted_advance_ids: tuple[int, ...] = ()  # a final invoice: the advance invoices it deducts
    automatic_tax: bool | None = None  # seed 000's automatic_tax_calculation.enabled; None: the organization's
    flow: str = "sales"  # "purchases": a supplier's invoice (``contact_id`` the supplier; services/purchases.py)
    supplier_number: str | None = None  # purchases: the supplier's own number of it
    self_billed: bool = False  # purchases: made out by the organization for its supplier (type code 389)
    lines: tuple[NewLine, ...] = ()
    adjustments: tuple[NewAdjustment, ...] = ()


def _rate_for(actor: Actor, rate_id: int | None, percent: Decimal | None, category: str | None,
              field: str) -> TaxRate | None:
    """The tax rate a new line or adjustment names: by id, by percent and category (one of the organization's
    active rates), else the organization's default rate."""
    if rate_id is not None:
        try:
            return _rate(actor, rate_id, None)
        except ActionError as exc:
            raise ActionError(exc.code, exc.text, field) from exc
    if percent is None and category is None:
        return default_tax_rate(actor.org)
    category = category or ("S" if percent and percent > 0 else None)
    if category is None:
        raise ActionError("tax_category_required", "Name the VAT category of a zero rate (Z, E, AE, K, G, O or M).",
                          field)
    stmt = select(TaxRate).where(TaxRate.org_id == actor.org.id, TaxRate.archived.is_(False),
                                 TaxRate.category == category).order_by(TaxRate.is_default.desc(), TaxRate.id)
    rate = next((r for r in db.session.scalars(stmt) if percent is None or r.percent == percent), None)
    if rate is None:
        raise ActionError("unknown_tax_rate", "There is no tax rate of {percent} % in category {category}: add it "
                          "to the tax rates first.", field, percent=percent if percent is not None else Decimal(0),
                          category=category)
    return rate


def _new_line(actor: Actor, doc: Document, item: NewLine, prefix: str = "") -> tuple[DocumentLine, list[ActionError]]:
    """The line ``item`` describes (filled from its product first), and what is wrong with it."""
    errors: list[ActionError] = []
    product = None
    if item.product_id is not None:
        try:
            product = load(actor, Product, item.product_id, "product")
        except NotFound as exc:
            errors.append(ActionError(exc.code, exc.text, prefix + "product_id"))
    line = DocumentLine(quantity=Decimal("1"), unit_price=Decimal("0"), unit="piece", description="")
    if product is not None:
        drafts.fill_from_product(doc, line, product)
    for name in ("description", "quantity", "unit_price", "unit", "discount_percent"):
        if getattr(item, name) is not None:
            setattr(line, name, getattr(item, name))
    errors += line_errors(line.quantity, line.discount_percent, line.unit, prefix)
    errors += line_field_errors(doc.currency, item.base_quantity, item.period, item.allowances, item.charges, prefix)
    if item.base_quantity is not None:
        line.base_quantity = item.base_quantity
    if item.period is not None:
        line.period_start, line.period_end = item.period.start, item.period.end
    line.adjustments = drafts.line_adjustments(_cleaned("allowance", item.allowances), _cleaned("charge", item.charges))
    if item.tax_code is not None:
        try:
            line.tax_code = automatic_tax.checked_tax_code(item.tax_code, prefix + "tax_code")
        except ActionError as exc:
            errors.append(exc)
    if item.expense_category_id is not None:
        try:
            if doc.flow != "purchases":
                raise ActionError("category_for_purchases", "Only a purchase line has an expense category.")
            line.expense_category_id = expense_categories.for_line(actor.org, item.expense_category_id, None)
        except ActionError as exc:
            errors.append(ActionError(exc.code, exc.text, prefix + "expense_category_id"))
    explicit = item.tax_rate_id is not None or item.tax_percent is not None or item.tax_category is not None
    if doc.automatic_tax and not explicit:
        apply_rate(line, None)  # the rules decide (services/automatic_tax.py); a rate given is set by hand
    elif product is None or explicit:
        try:
            apply_rate(line, _rate_for(actor, item.tax_rate_id, item.tax_percent, item.tax_category,
                                       prefix + "tax_rate"))
        except ActionError as exc:
            errors.append(exc)
    return line, errors


@usecase
def add_full_line(actor: Actor, document_id: int, version: int | None, item: NewLine) -> LineChange:
    """A line with everything it says at once, appended to the draft (the API's POST .../items)."""
    doc = for_action(actor, document_id, "edit", version)
    line, errors = _new_line(actor, doc, item)
    if errors:
        raise InvalidInput(errors)
    drafts.append_line(doc, line)
    return LineChange(doc, line, frozenset({line.id}))


@dataclass(frozen=True)
class DraftChange:
    """A change of a draft's header and/or customer in one step (the API's PATCH)."""
    header: HeaderInput | None = None
    contact_id: int | None = None
    custom_attributes: dict | None = None  # only the fields named change
    deducted_advance_ids: tuple[int, ...] | None = None  # the advance invoices it deducts; None: unchanged


@usecase
def change_draft(actor: Actor, document_id: int, version: int | None, data: DraftChange) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    if data.contact_id is not None and data.contact_id != doc.contact_id:
        drafts.set_contact(doc, load(actor, Contact, data.contact_id, "customer"))
    if data.header is not None:
        change_header.__wrapped__(actor, document_id, None, data.header)
    if data.custom_attributes is not None:
        attributes.change(doc, data.custom_attributes, attributes.fields(actor.org.id))
    if data.deducted_advance_ids is not None:
        deductions.choose(doc, data.deducted_advance_ids)
    return doc


@usecase
def change_attributes(actor: Actor, document_id: int, version: int | None, custom: dict) -> Document:
    """Set every custom attribute of the draft (the editor's form sends them all)."""
    doc = for_action(actor, document_id, "edit", version)
    attributes.change(doc, custom, attributes.fields(actor.org.id), partial=False)
    return doc


@usecase
def create_document(actor: Actor, data: DocumentInput) -> Document:
    """A new draft with everything it says at once, totals calculated once; every line and adjustment checked
    as the editor checks them, all mistakes reported together (``lines.2.quantity``, ``adjustments.0.amount``)."""
    purchase = data.flow == "purchases"
    actor.require(status_table.permission_for(data.kind, "edit", data.flow))
    kind = _kind(data.kind)
    if purchase and (kind != "invoice" or data.recipient_identifier is not None or data.order_reference
                     or data.is_advance or data.deducted_advance_ids):
        raise ActionError("purchase_fields", "A supplier's invoice names its supplier; quotes, orders, recipients "
                          "and advance invoices are for sales.", "flow")
    if purchase:
        contact = load(actor, Contact, data.contact_id, "supplier")
    elif data.recipient_identifier is not None:
        from webapp.usecases.customers import customer_for_recipient

        contact = customer_for_recipient.__wrapped__(actor, data.recipient_identifier, data.recipient)
    else:
        contact = load(actor, Contact, data.contact_id, "customer")
    if len(data.lines) > MAX_NEW_LINES:
        raise ActionError("too_many_lines", "At most {max} lines at once; add more one by one.", "lines",
                          max=MAX_NEW_LINES)
    if purchase:
        doc = purchases.new_purchase(actor.org, actor.user, contact, kind=kind)
    else:
        doc = drafts.new_draft(actor.org, actor.user, contact, kind=kind)
    if data.automatic_tax is not None and not purchase:  # a supplier's invoice has the VAT it states
        doc.automatic_tax = data.automatic_tax
    header = {k: getattr(data, k) for k in ("currency", "prices_include_tax", "payment_terms_days",
                                             "chosen_issue_date", "service_date", "service_period_end",
                                             "customer_reference", "notes", "discount_percent", "valid_until",
                                             "order_reference", "exchange_rate")
              if getattr(data, k) is not None}
    if kind != "quote":
        header.pop("valid_until", None)
    errors: list[ActionError] = []
    invoice_fields = attributes.fields(actor.org.id) if data.custom_attributes else []
    custom = {}
    if data.custom_attributes:
        try:
            custom = attributes.check(invoice_fields, data.custom_attributes)
        except InvalidInput as exc:
            errors += exc.errors
    if data.buyer_reference:
        header["buyer_reference"] = data.buyer_reference
    if data.is_advance:
        header["advance"] = True
    try:
        if purchase:
            doc.supplier_number = purchases.checked_supplier_number(doc, data.supplier_number)
            doc.self_billed = purchases.checked_self_billed(doc, data.self_billed)
        else:
            header["e_invoice_format"] = drafts.e_invoice_choice(contact, data.e_invoice_format, data.is_e_invoice)
    except ActionError as exc:
        errors.append(exc)
    if "discount_percent" in header and not 0 <= header["discount_percent"] <= 100:
        errors.append(ActionError("discount_out_of_range", "Between 0 and 100 %.", "discount_percent"))
    try:  # reported with the other mistakes; what else a rate needs, update_header checks (services/exchange.py)
        check_rate(data.exchange_rate)
    except ActionError as exc:
        errors.append(exc)
    if "currency" in header:
        header["currency"] = drafts.checked_currency(header["currency"])
    for name in ("currency", "prices_include_tax"):  # the lines' prices (from products too) are read in these
        if name in header:
            setattr(doc, name, header[name])
    lines, adjustments = [], []
    for index, item in enumerate(data.lines):
        line, line_problems = _new_line(actor, doc, item, f"lines.{index}.")
        line.position = index
        errors += line_problems
        lines.append(line)
    places = precision(doc.currency)
    for index, item in enumerate(data.adjustments):
        prefix = f"adjustments.{index}."
        if item.kind not in ("allowance", "charge"):
            errors.append(ActionError("invalid_adjustment_kind", "Add a discount or a charge.", prefix + "kind"))
            continue
        exponent = item.amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            errors.append(ActionError("amount_precision", "{currency} amounts have at most {places} decimal places.",
                                      prefix + "amount", currency=doc.currency,
                                      places=places))
        code = reason_code_of(item.kind, item.reason_code)
        errors += [e for e in adjustment_errors(item.kind, item.amount, item.reason, code, doc.currency, prefix)
                   if e.code in ("reason_required", "unknown_reason_code")]
        adjustment = DocumentAdjustment(kind=item.kind, amount=item.amount, reason=item.reason.strip(),
                                        reason_code=code)
        try:
            if doc.automatic_tax and item.tax_rate_id is None and item.tax_percent is None \
                    and item.tax_category is None:
                apply_rate(adjustment, None)  # follows the lines' decision (services/automatic_tax.py)
            else:
                apply_rate(adjustment, _rate_for(actor, item.tax_rate_id, item.tax_percent, item.tax_category,
                                                 prefix + "tax_rate"))
        except ActionError as exc:
            errors.append(exc)
        adjustments.append(adjustment)
    if errors:
        raise InvalidInput(errors)
    doc.lines.extend(lines)
    doc.adjustments.extend(adjustments)
    drafts.update_header(doc, header)  # checks the service period; recalculates with every line, once
    if custom:
        attributes.replace(doc, custom, invoice_fields)
    if data.deducted_advance_ids:
        deductions.choose(doc, data.deducted_advance_ids)
    return doc
