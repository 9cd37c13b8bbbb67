"""Purchases: a supplier's invoice, entered as a draft (``flow = 'purchases'``) and booked (docs/purchases.md).

A purchase is a ``Document`` like a sale, read the other way round: its contact is the supplier (who sold), the
organization is the buyer. It keeps the supplier's own number (``supplier_number``: unique per supplier, never from
Tallybook's series) and gets, when booked, the organization's booking number from its own purchases series
(``PUR-…``, in the order booked: suppliers' dates arrive out of order, so the date order of the sales series does not
apply). Booking is "issuing" a purchase: its figures, the supplier's and the organization's copies are frozen and
audited; no PDF is made and nothing is sent. Payments out use the payment use case as payments in do (the same
balance, payment state and overdue logic).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, Text
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models import Contact, Document, Organization, TaxRate, User
from webapp.models.numbering import series_kind
from webapp.models.types import utcnow
from webapp.services import audit, deductions
from webapp.services.calculation import recalculate
from webapp.services.numbering import take_number
from webapp.services.snapshots import buyer_snapshot, seller_snapshot
from webapp.services.state import require

MAX_SUPPLIER_NUMBER = 60
SUPPLIER_NUMBER_TAKEN = Text("{supplier} already has a document numbered {number} here.")
DATE_IN_FUTURE = Text("The supplier's invoice date {date} is in the future.")


def new_purchase(org: Organization, actor: User, supplier: Contact | None, kind: str = "invoice") -> Document:
    """A draft of a supplier's invoice (or credit note); the contact becomes a supplier if it was not one. Without
    a supplier (a scan from the inbox, entered by hand) it is chosen before booking."""
    if supplier is not None and not supplier.is_supplier:
        supplier.is_supplier = True
    doc = Document(org_id=org.id, kind=kind, flow="purchases", status="draft",
                   contact_id=supplier.id if supplier else None,
                   currency=(supplier.currency if supplier else "") or org.currency, prices_include_tax=False,
                   payment_terms_days=org.payment_terms_days, buyer_name=supplier.display_name if supplier else "",
                   created_by_id=actor.id, automatic_tax=False)
    db.session.add(doc)
    db.session.flush()
    recalculate(doc)
    audit.record(org, actor, "document.created", doc,
                 summary=f"{actor.email} started a purchase from {supplier.display_name if supplier else 'a file'}")
    return doc


def checked_supplier_number(doc: Document, value: str | None) -> str | None:
    """The supplier's number as stored (trimmed; None for none), refused when the supplier has it already."""
    number = (value or "").strip() or None
    if number is None:
        return None
    if len(number) > MAX_SUPPLIER_NUMBER:
        raise ActionError("invalid_supplier_number", "At most {count} characters.", "supplier_number",
                          count=MAX_SUPPLIER_NUMBER)
    other = db.session.scalar(select(Document).where(
        Document.org_id == doc.org_id, Document.flow == "purchases", Document.contact_id == doc.contact_id,
        Document.kind == doc.kind, Document.supplier_number == number, Document.status != "cancelled",
        Document.id != doc.id).limit(1))
    if other is not None:
        contact = db.session.get(Contact, doc.contact_id)
        raise ActionError("supplier_number_taken", SUPPLIER_NUMBER_TAKEN, "supplier_number", number=number,
                          supplier=contact.display_name if contact else "", document_id=other.id)
    return number


def checked_self_billed(doc: Document, value: bool) -> bool:
    """Self-billing is for a purchase invoice (the organization makes it out for the supplier, by agreement)."""
    if value and (doc.flow != "purchases" or doc.kind != "invoice"):
        raise ActionError("self_billing_for_purchase_invoices", "Only a purchase invoice can be self-billed.",
                          "self_billed")
    return bool(value)


def book_problems(doc: Document) -> list[Text]:
    """What keeps the purchase from being booked."""
    problems = []
    if doc.contact_id is None:
        problems.append(Text("Choose the supplier."))
    if not doc.lines:
        problems.append(Text("Add at least one line."))
    if doc.chosen_issue_date is not None and doc.chosen_issue_date > date.today():
        problems.append(Text(DATE_IN_FUTURE.template, date=doc.chosen_issue_date))
    related = db.session.get(Document, doc.related_id) if doc.related_id else None
    if related is not None and related.status != "issued":
        problems.append(Text("Book the invoice {number} this credit note corrects first.",
                             number=related.supplier_number or f"#{related.id}"))
    if doc.kind == "credit_note" and doc.lines and doc.gross_total >= 0:
        problems.append(Text("A credit note reduces what you owe: its total must be below zero (enter negative "
                             "quantities, or use the quick entry)."))
    return problems


def _make_out(org: Organization, doc: Document) -> None:
    """A self-billed invoice, made out for the supplier: its Factur-X (type code 389, the supplier as the seller)
    checked by the official rules, a fatal finding refusing the booking, and its PDF, stored as an issue stores
    them (services/issuing.issue)."""
    import hashlib

    from webapp.services import einvoice_check, pdf

    with db.session.no_autoflush:
        checked = einvoice_check.check(doc, org)
    einvoice_check.refuse_if_fatal(doc, checked)
    checked = einvoice_check.passing(checked)
    with db.session.no_autoflush:
        html = pdf.render_document_html(doc, org)
    doc.pdf = einvoice_check.render_stored(org, doc, html, einvoice_check.facturx_xml(checked))
    doc.pdf_sha256 = hashlib.sha256(doc.pdf).hexdigest()
    einvoice_check.store(org, doc, checked)


def book(org: Organization, actor: User, doc: Document, today: date | None = None) -> str:
    """Book the purchase: its booking number, the supplier's date (default: today) and due date, frozen copies of
    the supplier (seller) and the organization (buyer); call after ``locks.begin_write()``. Returns the number."""
    require(doc, "issue")
    problems = book_problems(doc)
    if problems:
        from webapp.domain.errors import joined

        raise ActionError("not_ready_to_book", "This purchase cannot be booked yet: {problems}",
                          problems=joined(problems))
    today = today or date.today()
    on = doc.chosen_issue_date or today
    recalculate(doc)
    if doc.self_billed:  # the organization makes the invoice out: its number is the invoice's, no supplier's
        doc.supplier_number = None
    doc.supplier_number = checked_supplier_number(doc, doc.supplier_number)
    if doc.kind == "credit_note" and doc.related_id is not None:  # it corrects a purchase: that balance falls
        from webapp.services import ledger

        ledger.check_and_book(org, doc)
    # the booking order, not the supplier's dates; a self-billed invoice is numbered in the order of its dates
    number = take_number(org, series_kind(doc.kind, doc.flow, doc.self_billed), on if doc.self_billed else today)
    supplier = db.session.get(Contact, doc.contact_id)
    doc.number = number
    doc.status = status_table.next_status(doc.kind, doc.status, "issue")
    doc.issue_date = on
    doc.due_date = on + timedelta(days=doc.payment_terms_days)
    doc.seller = buyer_snapshot(supplier)  # the supplier sold
    doc.buyer = seller_snapshot(org)  # the organization bought
    doc.buyer_name = supplier.display_name  # the lists name the other party
    doc.e_invoice_format = ""
    doc.refresh_search()
    doc.issued_at = utcnow()
    # what the supplier's invoice deducts less its rounding counts as settled, as a sale's advance invoices do
    doc.paid_total += deductions.settled_by_advances(doc)
    if doc.self_billed:
        _make_out(org, doc)
    db.session.flush()
    audit.record(org, actor, "document.booked", doc,
                 summary=f"{actor.email} booked {number} ({doc.supplier_number or 'no supplier number'}) from "
                         f"{supplier.display_name}", number=number, supplier_number=doc.supplier_number)
    return number


@dataclass(frozen=True)
class Difference:
    """Where Tallybook's calculator gets another figure than the supplier's e-invoice states (minor units)."""
    where: Text
    stated: int
    calculated: int


TOTAL_NAMES = {"line_total": _n("Sum of the lines (BT-106)"), "allowance_total": _n("Discounts (BT-107)"),
               "charge_total": _n("Charges (BT-108)"), "net_total": _n("Total without VAT (BT-109)"),
               "tax_total": _n("VAT (BT-110)"), "gross_total": _n("Total with VAT (BT-112)")}


# what the purchase is booked as due: its total with VAT less what it deducts plus its rounding (BT-112 - BT-113 +
# BT-114), named where the supplier's amount due says otherwise
PAYABLE_NAME = _n("Amount due (BT-115)")


def differences(doc: Document) -> list[Difference]:
    """The supplier's stated figures (``stated_totals``, the lines' ``stated_net``) against the calculator's, where
    they differ: each line, each total, each VAT group (none for a purchase entered by hand)."""
    if not doc.stated_totals:
        return []
    from webapp.domain.money import to_minor
    from webapp.services.calculation import compute

    totals = compute(doc)
    found = []
    for line, net in zip(doc.lines, totals.line_nets):
        calculated = to_minor(net, doc.currency)
        if line.stated_net is not None and line.stated_net != calculated:
            found.append(Difference(Text("Line {number}", number=line.position + 1), line.stated_net, calculated))
    stated = doc.stated_totals
    for name, label in TOTAL_NAMES.items():
        calculated = to_minor(getattr(totals, name), doc.currency)
        if stated.get(name) is not None and stated[name] != calculated:
            found.append(Difference(Text(label), stated[name], calculated))
    if stated.get("payable") is not None and stated["payable"] != doc.payable_total:
        found.append(Difference(Text(PAYABLE_NAME), stated["payable"], doc.payable_total))
    groups = {(g.category, g.rate.normalize()): g for g in totals.tax_groups}
    seen = set()
    for entry in stated.get("tax_breakdown") or []:
        key = (entry["category"], Decimal(entry["rate"]).normalize())
        seen.add(key)
        group = groups.get(key)
        base = to_minor(group.base, doc.currency) if group else 0
        tax = to_minor(group.tax, doc.currency) if group else 0
        where = {"category": entry["category"], "rate": Decimal(entry["rate"])}
        if entry["base"] != base:
            found.append(Difference(Text("VAT {category} {rate} %: base", **where), entry["base"], base))
        if entry["tax"] != tax:
            found.append(Difference(Text("VAT {category} {rate} %: VAT", **where), entry["tax"], tax))
    for key, group in groups.items():
        if key not in seen and stated.get("tax_breakdown"):
            where = {"category": key[0], "rate": key[1]}
            found.append(Difference(Text("VAT {category} {rate} %: base", **where), 0,
                                    to_minor(group.base, doc.currency)))
    return found


@dataclass(frozen=True)
class QuickRow:
    """One VAT rate of a supplier's invoice typed from paper: its net amount and, as printed, its VAT."""
    rate: TaxRate | None
    net: Decimal
    tax: Decimal | None = None  # None: as the calculator gets it
    category_id: int | None = None
    description: str = ""


QUICK_DESCRIPTION = Text("Net amount at {rate} %")


def quick_entry(doc: Document, rows: list[QuickRow]) -> None:
    """A draft without lines gets one line per rate (quantity 1, the net amount as its price, the rate's VAT); where
    VAT is typed as printed, the figures typed are the document's (``stated_totals``, as an imported e-invoice's):
    ``differences`` then names a VAT amount the calculator gets otherwise. A credit note's amounts are typed as
    printed and book as what it credits (negative, as every credit note's)."""
    from webapp.domain.money import round_money, to_minor
    from webapp.services.calculation import apply_rate, compute
    from webapp.models import DocumentLine

    require(doc, "edit")
    if doc.lines:
        raise ActionError("quick_entry_has_lines", "The quick entry is for a draft without lines.")

    def signed(amount: Decimal) -> Decimal:
        return -abs(amount) if doc.kind == "credit_note" else amount

    doc.prices_include_tax = False  # the quick entry types net amounts
    doc.stated_totals = None  # typed anew: only what is typed now is stated
    for position, row in enumerate(rows):
        line = DocumentLine(position=position, quantity=Decimal(1), unit="lump_sum", unit_price=signed(row.net),
                            expense_category_id=row.category_id,
                            description=row.description or str(Text(QUICK_DESCRIPTION.template,
                                                                    rate=(row.rate.percent if row.rate else 0))))
        apply_rate(line, row.rate)
        line.stated_net = to_minor(signed(row.net), doc.currency)
        doc.lines.append(line)
    db.session.flush()
    if any(row.tax is not None for row in rows):
        calculated = {(g.category, g.rate.normalize()): to_minor(g.tax, doc.currency) for g in compute(doc).tax_groups}
        # per VAT group: the net typed, the VAT typed, and the net of the rows whose VAT was left to the calculator
        groups: dict[tuple[str, Decimal], tuple[Decimal, Decimal, Decimal, bool]] = {}
        for row, line in zip(rows, doc.lines):
            key = (line.tax_category, line.tax_percent.normalize())
            net, typed, untyped, any_typed = groups.get(key, (Decimal(0), Decimal(0), Decimal(0), False))
            if row.tax is None:
                groups[key] = (net + signed(row.net), typed, untyped + signed(row.net), any_typed)
            else:
                groups[key] = (net + signed(row.net), typed + signed(row.tax), untyped, True)
        breakdown = []
        for (category, rate), (net, typed, untyped, any_typed) in groups.items():
            tax = (to_minor(typed, doc.currency) + to_minor(round_money(untyped * rate / 100, doc.currency), doc.currency)
                   if any_typed else calculated[(category, rate)])
            breakdown.append({"category": category, "rate": f"{rate:f}", "base": to_minor(net, doc.currency),
                              "tax": tax, "note": ""})
        net = sum(g["base"] for g in breakdown)
        tax = sum(g["tax"] for g in breakdown)
        doc.stated_totals = {"line_total": net, "allowance_total": 0, "charge_total": 0, "net_total": net,
                             "tax_total": tax, "gross_total": net + tax, "prepaid": 0, "rounding": 0,
                             "payable": net + tax, "tax_breakdown": breakdown}
    recalculate(doc)
