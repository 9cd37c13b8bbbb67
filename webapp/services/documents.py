"""Invoices: drafts, the live editor's changes, issuing, deleting and duplicating.

Every function takes the acting organization and user, flushes and never commits. Each change of a
draft recomputes its totals with the EN 16931 calculator and stores them in minor units.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.domain import status as status_table
from webapp.domain.money import to_minor
from webapp.domain.status import DRAFT, ISSUED, TransitionError
from webapp.domain.totals import Adjustment, Line, Totals, TotalsError, compute_totals
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentAdjustment, DocumentLine, Organization, Product, TaxRate, User
from webapp.models.types import utcnow
from webapp.services import audit, pdf
from webapp.services.numbering import NumberingError, peek_number, take_number

PAYMENT_TERMS = (7, 14, 30, 45, 60, 90, 120)
MAX_LINES = 1000
MAX_AMOUNT_MINOR = 10**15  # any single amount or total, in minor units (fits BIGINT with room to spare)


class DocumentError(Exception):
    """A refused change; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleDocument(DocumentError):
    """The draft changed since the editor loaded it."""


def require(doc: Document, action: str) -> None:
    try:
        status_table.require(doc.kind, doc.current_status, action)
    except TransitionError as exc:
        raise DocumentError(exc.message) from exc


def lock_document(org: Organization, document_id: int) -> Document | None:
    """Start a write transaction and return the organization's document with its row locked
    (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` locks the whole database)."""
    from webapp.extensions import begin_write

    begin_write()
    return db.session.scalar(select(Document).where(Document.org_id == org.id, Document.id == document_id)
                             .with_for_update().execution_options(populate_existing=True))


def check_version(doc: Document, version: int | None) -> None:
    if version is not None and version != doc.version:
        raise StaleDocument("Someone else changed this draft meanwhile. You now see the current state; "
                            "please make your change again.")


def default_tax_rate(org: Organization) -> TaxRate | None:
    return db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.archived.is_(False))
                             .order_by(TaxRate.is_default.desc(), TaxRate.id).limit(1))


def _apply_rate(target, rate: TaxRate | None) -> None:
    target.tax_rate_id = rate.id if rate else None
    target.tax_percent = rate.percent if rate else Decimal("0")
    target.tax_category = rate.category if rate else "O"
    target.exemption_note = rate.exemption_note if rate else ""


# --- totals -----------------------------------------------------------------------------------------

def _calc_lines(doc: Document) -> list[Line]:
    return [Line(quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_percent,
                 tax_category=line.tax_category, discount_percent=line.discount_percent) for line in doc.lines]


def compute(doc: Document) -> Totals:
    """The document's totals; a percent discount becomes one allowance per tax group of the lines."""
    lines = _calc_lines(doc)
    allowances = [Adjustment(a.amount, a.tax_percent, a.tax_category, a.reason)
                  for a in doc.adjustments if a.kind == "allowance"]
    charges = [Adjustment(c.amount, c.tax_percent, c.tax_category, c.reason)
               for c in doc.adjustments if c.kind == "charge"]
    if doc.discount_percent:
        # the line amounts as entered (net, or gross with inclusive prices): totals without taking tax out
        entered = compute_totals(lines=lines, currency=doc.currency).line_nets
        sums: dict[tuple[str, Decimal], Decimal] = {}
        for line, amount in zip(lines, entered):
            key = (line.tax_category, line.tax_rate)
            sums[key] = sums.get(key, Decimal(0)) + amount
        for (category, rate), amount in sums.items():
            allowances.append(Adjustment(amount * doc.discount_percent / 100, rate, category,
                                         f"Discount {doc.discount_percent.normalize():f} %"))
    return compute_totals(lines=lines, allowances=allowances, charges=charges, currency=doc.currency,
                          prices_include_tax=doc.prices_include_tax)


def _refresh_rate_copies(doc: Document) -> None:
    """A draft follows its tax rates: when a rate was edited, the draft's copies follow (issued ones never)."""
    ids = {x.tax_rate_id for x in [*doc.lines, *doc.adjustments] if x.tax_rate_id}
    if not ids:
        return
    rates = {r.id: r for r in db.session.scalars(select(TaxRate).where(TaxRate.id.in_(ids)))}
    for item in [*doc.lines, *doc.adjustments]:
        rate = rates.get(item.tax_rate_id)
        if rate is not None and (item.tax_percent, item.tax_category, item.exemption_note) != (
                rate.percent, rate.category, rate.exemption_note):
            _apply_rate(item, rate)


def recalculate(doc: Document) -> Totals:
    if doc.is_draft:
        _refresh_rate_copies(doc)
    try:
        totals = compute(doc)
    except TotalsError as exc:
        raise DocumentError(str(exc)) from exc
    amounts = [*totals.line_nets, totals.net_total, totals.gross_total, totals.tax_total]
    if any(abs(to_minor(a, doc.currency)) >= MAX_AMOUNT_MINOR for a in amounts):
        raise DocumentError("These amounts are too large for one invoice.")
    notes = {(a.tax_category, a.tax_percent.normalize()): a.exemption_note for a in [*doc.lines, *doc.adjustments]}
    for line, net in zip(doc.lines, totals.line_nets):
        line.net_amount = to_minor(net, doc.currency)
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        setattr(doc, name, to_minor(getattr(totals, name), doc.currency))
    doc.tax_breakdown = [
        {"category": g.category, "rate": f"{g.rate.normalize():f}", "base": to_minor(g.base, doc.currency),
         "tax": to_minor(g.tax, doc.currency), "note": notes.get((g.category, g.rate.normalize()), "")}
        for g in totals.tax_groups]
    doc.refresh_search()
    doc.updated_at = utcnow()
    return totals


# --- drafts -----------------------------------------------------------------------------------------

QUOTE_VALIDITY_DAYS = 30


def new_draft(org: Organization, actor: User, contact: Contact, kind: str = "invoice") -> Document:
    doc = Document(org_id=org.id, kind=kind, flow="sales", status=DRAFT, contact_id=contact.id,
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
        raise DocumentError("The service period ends before it starts.", "service_period_end")
    recalculate(doc)


def add_line(org: Organization, doc: Document, product: Product | None = None) -> DocumentLine:
    require(doc, "edit")
    if len(doc.lines) >= MAX_LINES:
        raise DocumentError(f"A document has at most {MAX_LINES} lines.")
    line = DocumentLine(position=len(doc.lines), quantity=Decimal("1"), unit_price=Decimal("0"))
    doc.lines.append(line)
    if product is not None:
        _fill_from_product(line, product)
    else:
        _apply_rate(line, default_tax_rate(org))
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
    _apply_rate(line, product.tax_rate)


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
        _apply_rate(line, rate)
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
    _apply_rate(adjustment, default_tax_rate(org))
    doc.adjustments.append(adjustment)
    recalculate(doc)
    db.session.flush()
    return adjustment


def update_adjustment(doc: Document, adjustment: DocumentAdjustment, reason: str, amount: Decimal,
                      rate: TaxRate | None) -> None:
    require(doc, "edit")
    adjustment.reason, adjustment.amount = reason, amount
    _apply_rate(adjustment, rate)
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
    copy = Document(org_id=org.id, kind=kind, flow=doc.flow, status=DRAFT, contact_id=doc.contact_id,
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


# --- issuing ----------------------------------------------------------------------------------------

def issue_problems(org: Organization, doc: Document) -> list[str]:
    problems = []
    if doc.contact_id is None:
        problems.append("Choose the customer.")
    if not doc.lines:
        problems.append("Add at least one line.")
    for line in doc.lines:
        if not line.description.strip():
            problems.append(f"Line {line.position + 1} needs a description.")
    missing = org.missing_details()
    if missing:
        problems.append("Complete your company details first: " + ", ".join(missing) + ".")
    return problems


def seller_snapshot(org: Organization) -> dict:
    return {k: getattr(org, k) for k in (
        "legal_name", "name", "street", "street2", "postal_code", "city", "region", "country", "vat_id",
        "tax_number", "email", "phone", "website", "bank_name", "iban", "bic", "footer_text", "locale")}


def buyer_now(doc: Document) -> dict:
    """A draft's buyer as it would be frozen now."""
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    return buyer_snapshot(contact) if contact else {"name": "No customer yet"}


def buyer_snapshot(contact: Contact) -> dict:
    data = {k: getattr(contact, k) for k in (
        "company_name", "person_name", "email", "phone", "vat_id", "street", "street2", "postal_code", "city",
        "region", "country", "locale", "has_shipping_address", "shipping_name", "shipping_street",
        "shipping_street2", "shipping_postal_code", "shipping_city", "shipping_region", "shipping_country")}
    data["name"] = contact.display_name
    return data


@dataclass(frozen=True)
class PreparedPdf:
    """A PDF rendered before the write lock was taken, and the digest of the HTML it was made from."""
    html_sha256: str
    pdf: bytes


def prepare_issue_pdf(org: Organization, doc: Document, today: date | None = None) -> PreparedPdf | None:
    """Render the PDF the draft would get if it were issued now, without taking the write lock.

    Rendering is the slow part of issuing (0.1 s for a page, seconds for hundreds of lines); done here,
    the lock that ``issue`` holds (on SQLite: the whole database) lasts milliseconds. The draft is
    frozen in memory with the number that is next now, rendered, and everything is rolled back: nothing
    is written. ``issue`` renders the HTML again under the lock and uses these bytes only when the HTML
    is identical (same number, figures, snapshots, language); otherwise it renders anew. Returns None
    when the draft cannot be issued (``issue`` then says why)."""
    try:
        with db.session.no_autoflush:
            on = _issue_date(org, doc, today)
            recalculate(doc)
            number = peek_number(org, doc.kind, on)
            if number is None:
                return None
            _freeze(org, doc, db.session.get(Contact, doc.contact_id), number, on)
            html = pdf.render_document_html(doc, org)
            rendered = pdf.render_html_pdf(html)
    except DocumentError:
        return None
    finally:
        db.session.rollback()  # forget the in-memory freeze; nothing was flushed
    return PreparedPdf(hashlib.sha256(html.encode()).hexdigest(), rendered)


def _issue_date(org: Organization, doc: Document, today: date | None) -> date:
    require(doc, "issue")
    problems = issue_problems(org, doc)
    if problems:
        raise DocumentError(f"This {status_table.KIND_LABELS[doc.kind]} cannot be issued yet: " + " ".join(problems))
    today = today or date.today()
    on = doc.chosen_issue_date or today
    if on > today and doc.chosen_issue_date:
        raise DocumentError(f"A {status_table.KIND_LABELS[doc.kind]} cannot be issued with a date in the future.",
                            "chosen_issue_date")
    if doc.kind == "quote" and doc.valid_until is not None and doc.valid_until < on:
        raise DocumentError("The quote's expiry date is before its issue date.", "valid_until")
    return on


def _freeze(org: Organization, doc: Document, contact: Contact, number: str, on: date) -> None:
    """Number, status, dates and the frozen copies of seller and buyer, as issued."""
    doc.number = number
    doc.status = "sent" if doc.kind == "quote" else ISSUED
    doc.issue_date = on
    doc.due_date = on + timedelta(days=doc.payment_terms_days)
    doc.seller = seller_snapshot(org)
    doc.buyer = buyer_snapshot(contact)
    doc.buyer_name = contact.display_name
    doc.refresh_search()
    doc.issued_at = utcnow()


def issue(org: Organization, actor: User, doc: Document, today: date | None = None,
          prepared: PreparedPdf | None = None) -> str:
    """Give the draft its number, dates and frozen copies; call inside ``extensions.begin_write()``.

    ``prepared`` is the PDF ``prepare_issue_pdf`` rendered before the lock; it is stored only if it is
    exactly what would be rendered now."""
    on = _issue_date(org, doc, today)
    recalculate(doc)
    if doc.kind == "credit_note":  # refuses a credit beyond what remains; books it on the invoice (locked)
        from webapp.services.corrections import check_and_book

        check_and_book(org, doc)
    try:
        number = take_number(org, doc.kind, on)
    except NumberingError as exc:
        raise DocumentError(exc.message, "chosen_issue_date") from exc
    _freeze(org, doc, db.session.get(Contact, doc.contact_id), number, on)
    # the PDF as the customer receives it, stored in the same flush as the issue, served unchanged from then on
    with db.session.no_autoflush:
        html = pdf.render_document_html(doc, org)
    digest = hashlib.sha256(html.encode()).hexdigest()
    doc.pdf = prepared.pdf if prepared is not None and prepared.html_sha256 == digest else pdf.render_html_pdf(html)
    doc.pdf_sha256 = hashlib.sha256(doc.pdf).hexdigest()
    doc.public_token = secrets.token_urlsafe(24)  # 192 random bits
    rate_ids = {x.tax_rate_id for x in [*doc.lines, *doc.adjustments] if x.tax_rate_id}
    for rate in db.session.scalars(select(TaxRate).where(TaxRate.id.in_(rate_ids), TaxRate.first_used_at.is_(None))):
        rate.first_used_at = doc.issued_at  # from now on the rate can only be archived
    db.session.flush()
    audit.record(org, actor, "document.issued", doc, summary=f"{actor.email} issued {number} to {doc.buyer_name}",
                 number=number)
    return number


# --- the customer's link --------------------------------------------------------------------------------

def new_public_link(org: Organization, actor: User, doc: Document) -> str:
    """Replace the customer's link with a new one (the old one stops working at once)."""
    if doc.is_draft:
        raise DocumentError("Drafts have no customer link; issue the invoice first.")
    revoked = doc.public_token is not None
    doc.public_token = secrets.token_urlsafe(24)
    audit.record(org, actor, "document.link_renewed" if revoked else "document.link_created", doc,
                 summary=f"{actor.email} {'revoked the customer link and made a new one' if revoked else 'made a customer link'}")
    return doc.public_token


def public_link(doc: Document) -> str | None:
    """The customer's link as an absolute URL (from BASE_URL), or None when there is none."""
    from webapp.services.mail import external_url

    return external_url("public.document", token=doc.public_token) if doc.public_token else None


def revoke_public_link(org: Organization, actor: User, doc: Document) -> None:
    if doc.public_token is None:
        raise DocumentError("This invoice has no customer link.")
    doc.public_token = None
    audit.record(org, actor, "document.link_revoked", doc, summary=f"{actor.email} revoked the customer link")


def public_document(token: str) -> Document | None:
    """The issued document behind a customer link; never a draft, never a revoked or guessed token."""
    if not token or len(token) > 64:
        return None
    doc = db.session.scalar(select(Document).where(Document.public_token == token))
    if doc is None or doc.is_draft:
        return None
    return doc


def record_view(doc: Document) -> bool:
    """Record the first visit of the customer's link (the one write a GET may make). True if it was the first.

    One conditional UPDATE, outside the ORM's version counter: a payment or decision at the same moment
    neither loses the visit nor fails the page, and two first visits record one."""
    if doc.viewed_at is not None:
        return False
    now = utcnow()
    result = db.session.execute(update(Document).where(Document.id == doc.id, Document.viewed_at.is_(None))
                                .values(viewed_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(doc, "viewed_at", now)
    org = db.session.get(Organization, doc.org_id)
    audit.record(org, None, "document.viewed", doc, summary=f"{doc.buyer_name} opened {doc.number}")
    return True
