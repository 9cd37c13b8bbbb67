"""Drafts and the live editor: start a draft, change its header, customer, lines and adjustments, copy it,
delete it. Every change names the draft's version it was made to; a change to an older version is refused
(``document_changed``) so nobody overwrites what someone else just did."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from webapp.domain.errors import ActionError, NotFound
from webapp.domain.money import precision
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentAdjustment, DocumentLine, Product, TaxRate
from webapp.services import contacts, drafts, notes
from webapp.services.drafts import line_count  # noqa: F401 - the editor shows how many lines a draft has
from webapp.usecases import Actor, load, usecase
from webapp.usecases.documents import child, for_action

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
    values = {"company_name": customer.company_name, "person_name": customer.person_name,
              "email": customer.email, "country": customer.country, "is_customer": True}
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


@usecase
def change_header(actor: Actor, document_id: int, version: int | None, data: HeaderInput) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    values = {k: getattr(data, k) for k in ("currency", "prices_include_tax", "chosen_issue_date", "service_date",
                                             "service_period_end", "customer_reference", "notes",
                                             "payment_terms_days")}
    values["discount_percent"] = data.discount_percent or None
    if doc.kind == "quote":
        values["valid_until"] = data.valid_until
    drafts.update_header(doc, values)
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
class LineInput:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal | None = None
    tax_rate_id: int | None = None  # None: no tax rate


def _rate(actor: Actor, rate_id: int | None, current: int | None) -> TaxRate | None:
    """The organization's tax rate ``rate_id``: an active one, or the one the line or adjustment has already."""
    if not rate_id:
        return None
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == actor.org.id, TaxRate.id == rate_id))
    if rate is None or (rate.archived and rate.id != current):
        raise ActionError("invalid_tax_rate", "Choose one of the tax rates.", "tax_rate_id")
    return rate


@usecase
def change_line(actor: Actor, document_id: int, line_id: int, version: int | None, data: LineInput) -> LineChange:
    doc = for_action(actor, document_id, "edit", version)
    line = line_of(doc, line_id)
    if data.quantity == 0:
        raise ActionError("quantity_zero", "A quantity of 0 adds nothing; remove the line instead.", "quantity")
    if data.discount_percent is not None and not 0 <= data.discount_percent <= 100:
        raise ActionError("discount_out_of_range", "Between 0 and 100 %.", "discount_percent")
    rate = _rate(actor, data.tax_rate_id, line.tax_rate_id)
    moved = drafts.update_line(doc, line, {
        "description": data.description.strip(), "quantity": data.quantity, "unit": data.unit,
        "unit_price": data.unit_price, "discount_percent": data.discount_percent or None,
    }, rate=rate, set_rate=True)
    return LineChange(doc, line, frozenset(moved))


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
    drafts.update_adjustment(doc, adjustment, data.reason, data.amount,
                             _rate(actor, data.tax_rate_id, adjustment.tax_rate_id))
    return adjustment


@usecase
def remove_adjustment(actor: Actor, document_id: int, adjustment_id: int, version: int | None) -> Document:
    doc = for_action(actor, document_id, "edit", version)
    drafts.remove_adjustment(doc, child(doc.adjustments, adjustment_id, "adjustment"))
    return doc


@usecase
def delete_draft(actor: Actor, document_id: int, version: int | None) -> None:
    """Delete the draft with its notes; their files are removed once the deletion is committed."""
    doc = for_action(actor, document_id, "delete", version)
    notes.discard_files_after_commit(doc)
    drafts.delete_draft(actor.org, actor.user, doc)


@usecase
def duplicate(actor: Actor, document_id: int) -> Document:
    doc = for_action(actor, document_id, "duplicate")
    return drafts.duplicate(actor.org, actor.user, doc)
