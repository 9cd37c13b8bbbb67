"""The purchases inbox (issue 17): a file a supplier sent becomes a purchase draft (docs/purchases.md).

``receive`` takes one uploaded file. An e-invoice (XRechnung or UBL/CII XML, a Factur-X/ZUGFeRD PDF; read by
``services/einvoice_read``) becomes a draft with its supplier (matched by VAT ID, then by name; added when new),
its number, dates, lines, allowances and charges, and the totals and VAT breakdown *as the supplier states them*
(``Document.stated_totals``, ``DocumentLine.stated_net``: for a purchase the supplier's document is the legal
fact; ``purchases.differences`` shows where Tallybook's calculator gets another figure). The official rules check
it (``services/einvoice.validate``) and their findings are kept with the file. Any other PDF or an image becomes an
empty draft with the file attached, to be entered by hand. A file refused (hostile, malformed, not an invoice,
too large) or a duplicate (the same bytes, or the same supplier and number) raises ``ActionError`` before anything
is stored; the file's bytes are written last (services/storage.py), so a refusal leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from webapp.domain import units
from webapp.domain.units import _n
from webapp.domain.errors import ActionError, InvalidInput, Text, text_json
from webapp.domain.money import MoneyError, precision, round_money, to_minor
from webapp.domain.numbers import MAX_INTEGER_DIGITS
from webapp.domain.tax import TAX_CATEGORIES
from webapp.extensions import db
from webapp.models import (Contact, Document, DocumentAdjustment, DocumentFile, DocumentLine, DocumentLineAdjustment,
                           Organization, TaxRate, User)
from webapp.services import audit, einvoice, einvoice_read, purchases, storage
from webapp.services.calculation import recalculate
from webapp.services.contacts import check_values

MAX_BYTES = einvoice_read.MAX_BYTES
MAX_TERMS_DAYS = 365
# what may be attached to a draft entered by hand (the reader names what it recognised)
ATTACHABLE = frozenset({einvoice_read.PDF, "image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp",
                        "image/heic"})
XML = "application/xml"

SAME_FILE = Text("This file was uploaded already: {number}.")
SAME_NUMBER = Text("{supplier} already has a document numbered {number} here: {existing}.")


@dataclass(frozen=True)
class Received:
    document: Document
    file: DocumentFile

    @property
    def einvoice(self) -> bool:
        return bool(self.file.syntax)


def clean_name(name: str) -> str:
    """The file's own name without any folder, at most 200 characters ("upload" when none)."""
    base = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return (base or "upload")[-200:]


def _label(doc: Document) -> str:
    return doc.number or doc.supplier_number or f"#{doc.id}"


def _refuse_same_file(org: Organization, digest: str) -> None:
    existing = db.session.scalar(select(DocumentFile).where(DocumentFile.org_id == org.id,
                                                            DocumentFile.sha256 == digest))
    if existing is not None:
        raise ActionError("duplicate_file", SAME_FILE, "file", number=_label(existing.document),
                          document_id=existing.document_id)


def _new_bytes(org: Organization, data: bytes) -> str:
    """The SHA-256 of an upload the organization has not yet and that is not too large, else refused."""
    if len(data) > MAX_BYTES:
        raise ActionError("file_too_large", "This file is larger than {limit} MB.", "file",
                          limit=MAX_BYTES // (1024 * 1024))
    digest = hashlib.sha256(data).hexdigest()
    _refuse_same_file(org, digest)
    return digest


def receive(org: Organization, actor: User, file_name: str, data: bytes) -> Received:
    """The purchase draft for one uploaded file; raises ``ActionError`` (nothing stored) when it is refused."""
    name = clean_name(file_name)
    digest = _new_bytes(org, data)
    try:
        invoice = einvoice_read.read(data, name)
    except einvoice_read.ReadError as exc:
        if not exc.attachable or exc.media_type not in ATTACHABLE:
            raise ActionError(f"file_{exc.code}", exc.text, "file") from exc
        doc = purchases.new_purchase(org, actor, None)
        notes = [exc.text]
        return _attach(org, actor, doc, name, exc.media_type, data, digest, notes=notes)
    return _import(org, actor, invoice, name, data, digest)


def _attach(org: Organization, actor: User, doc: Document, name: str, mime: str, data: bytes, digest: str,
            syntax: str = "", rules: str = "", findings: list | None = None, notes: list | None = None) -> Received:
    key = storage.put(org.id, data)  # last: every refusal came before (and a rollback removes it again)
    row = DocumentFile(org_id=org.id, document_id=doc.id, file_name=name, file_mime=mime, file_size=len(data),
                       file_key=key, sha256=digest, syntax=syntax, rules=rules, findings=findings,
                       notes=[text_json(n) for n in notes or []], uploaded_by_id=actor.id)
    row.document = doc
    db.session.add(row)
    db.session.flush()
    audit.record(org, actor, "document.file_received", doc,
                 summary=f"{actor.email} uploaded {name} ({'e-invoice' if syntax else mime})", file_name=name)
    return Received(doc, row)


def discard_file_after_commit(doc: Document) -> None:
    """The supplier's file of a draft being deleted goes once the deletion is committed (its row goes with it)."""
    for org_id, key in db.session.execute(select(DocumentFile.org_id, DocumentFile.file_key)
                                          .where(DocumentFile.document_id == doc.id)):
        storage.delete_after_commit(org_id, key)


# --- an e-invoice ------------------------------------------------------------------------------------------

# what the import could not take as written, as messages shown with the draft (``DocumentFile.notes``)
_Notes = list[Text]


LARGEST = Decimal(10) ** MAX_INTEGER_DIGITS  # as a member may type (domain/numbers.parse_decimal)
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


def _bounded(value: Decimal, what) -> Decimal:
    """``value``, or the file refused: no number Tallybook takes from a member is this large."""
    if abs(value) >= LARGEST:
        raise ActionError("file_number_too_large", "{what}: the number {value} is too large.", "file", what=what,
                          value=f"{value:f}"[:40])
    return value


def _dated(value: date | None, what) -> date | None:
    """``value``, or the file refused: an invoice's dates lie between 1900 and 2199."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ActionError("file_implausible_date", "{what}: the date {date} cannot be right.", "file", what=what,
                          date=value.isoformat())
    return value


def _minor(value: Decimal | None, currency: str, notes: _Notes, what: str, sign: int = 1) -> int | None:
    if value is None:
        return None
    value = _bounded(value, what) * sign
    try:
        return to_minor(value, currency)
    except MoneyError:
        rounded = round_money(value, currency)
        notes.append(Text("{what}: {value} has more decimals than {currency} allows; rounded to {rounded}.", what=what,
                  value=f"{value:f}", currency=currency, rounded=f"{rounded:f}"))
        return to_minor(rounded, currency)


def _rate(value: Decimal | None) -> Decimal:
    return (value if value is not None else Decimal(0)).normalize()


def _vat(category: str, rate: Decimal | None, what) -> tuple[str, Decimal]:
    """A VAT category (BT-151 / BT-95) and rate as stored, or refused: EN 16931's categories, 0 to 100 % with at
    most 4 decimals."""
    category = (category or "S").strip().upper()
    if category not in TAX_CATEGORIES:
        raise ActionError("file_unknown_vat_category", "{what} names the VAT category {category}, which EN 16931 "
                          "does not know.", "file", what=what, category=category[:5])
    rate = _rate(rate)
    if not 0 <= rate < 100 or rate != rate.quantize(Decimal("0.0001")):
        raise ActionError("file_invalid_vat_rate", "{what} names the VAT rate {rate} %, which cannot be right.",
                          "file", what=what, rate=f"{rate:f}"[:20])
    return category, rate


def _currency(invoice: einvoice_read.ReadInvoice) -> str:
    code = (invoice.currency or "").strip().upper()
    try:
        precision(code)
    except MoneyError as exc:
        raise ActionError("file_unknown_currency", "The e-invoice's currency {currency} is not an ISO 4217 "
                          "currency.", "file", currency=invoice.currency or "-") from exc
    return code


PARTY_FIELDS = {"vat_id": _n("VAT ID"), "email": _n("e-mail address"), "phone": _n("phone number"),
                "country": _n("country"), "company_name": _n("name")}


def _supplier(org: Organization, actor: User, party: einvoice_read.Party, notes: _Notes) -> Contact:
    """The organization's contact for the e-invoice's seller: by VAT ID, then by name; added when new."""
    compact = "".join(ch for ch in party.vat_id if ch.isalnum()).upper()
    if compact:
        found = db.session.scalar(select(Contact).where(Contact.org_id == org.id, Contact.vat_id == compact)
                                  .order_by(Contact.archived, Contact.id).limit(1))
        if found is not None:
            return found
    names = {n.strip().lower() for n in (party.name, party.trading_name) if n.strip()}
    if names:
        found = db.session.scalar(select(Contact).where(
            Contact.org_id == org.id, func.lower(Contact.company_name).in_(names))
            .order_by(Contact.archived, Contact.id).limit(1))
        if found is not None:
            return found
    values = {"company_name": (party.name or party.trading_name)[:200], "person_name": party.contact_name[:200],
              "email": party.email[:254], "phone": party.phone[:40], "vat_id": party.vat_id[:40],
              "country": party.country[:2], "street": party.street[:200], "street2": party.street2[:200],
              "postal_code": party.postal_code[:20], "city": party.city[:100], "region": party.region[:100]}
    if not values["company_name"]:
        raise ActionError("file_no_supplier", "The e-invoice names no seller (BT-27).", "file")
    try:
        checked = check_values(values)
    except InvalidInput as exc:  # keep what is valid; say what was left out
        bad = {e.field for e in exc.errors}
        for error in exc.errors:
            notes.append(Text("The supplier's {field} {value} was left out: {reason}",
                           field=Text(PARTY_FIELDS.get(error.field or "", _n("details"))),
                           value=values.get(error.field or "", ""), reason=error.text))
        checked = check_values({k: ("" if k in bad else v) for k, v in values.items()})
    contact = Contact(org_id=org.id, is_customer=False, is_supplier=True, is_business=True,
                      currency="", locale="", **{k: v for k, v in checked.items() if k in values})
    contact.refresh_search()
    db.session.add(contact)
    db.session.flush()
    audit.record(org, actor, "contact.created", contact,
                 summary=f"{actor.email} added {contact.display_name} from an e-invoice")
    return contact


def _tax_rates(org: Organization) -> dict[tuple[str, Decimal], TaxRate]:
    found: dict[tuple[str, Decimal], TaxRate] = {}
    for rate in db.session.scalars(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.archived.is_(False))
                                   .order_by(TaxRate.is_default.desc(), TaxRate.id)):
        found.setdefault((rate.category, rate.percent.normalize()), rate)
    return found


def _quantized(value: Decimal, places: int, notes: _Notes, what) -> Decimal:
    exact = _bounded(value, what).quantize(Decimal(1).scaleb(-places))
    if exact != value:
        notes.append(Text("{what}: {value} has more than {places} decimals; rounded to {rounded}.", what=what,
                  value=f"{value:f}", places=places, rounded=f"{exact:f}"))
    return exact


UNIT_KEYS = {code: key for key, (_label_, code) in units.UNITS.items()}


def _line(number: int, read: einvoice_read.ReadLine, currency: str, rates, exemption: dict, notes: _Notes,
          unknown_units: set[str], sign: int) -> DocumentLine:
    """A line as the supplier wrote it; a credit note's negated (a credit note's figures are negative here, as a
    sale's are: ``services/corrections``), which its stated positive amounts become."""
    what = Text("Line {number}", number=read.line_id or number)
    description = "\n".join(p for p in (read.name, read.description, read.note) if p) or str(what)
    unit = UNIT_KEYS.get(read.unit_code.strip().upper())
    if unit is None:
        unit = "unit"
        if read.unit_code:
            unknown_units.add(read.unit_code.strip())
    category, rate = _vat(read.category, read.rate, what)
    line = DocumentLine(position=number - 1, description=description[:5000], unit=unit,
                        quantity=sign * _quantized(read.quantity if read.quantity is not None else Decimal(1), 4,
                                                   notes, what),
                        unit_price=_quantized(read.unit_price if read.unit_price is not None else Decimal(0), 6,
                                              notes, what),
                        base_quantity=_quantized(read.base_quantity or Decimal(1), 4, notes, what),
                        tax_category=category, tax_percent=rate, exemption_note=exemption.get((category, rate), ""),
                        period_start=_dated(read.period_start, what), period_end=_dated(read.period_end, what),
                        stated_net=_minor(read.net_amount, currency, notes, str(what), sign))
    known = rates.get((category, rate))
    line.tax_rate_id = known.id if known is not None else None
    for position, (kind, items) in enumerate((("allowance", read.allowances), ("charge", read.charges))):
        for index, adj in enumerate(items):
            amount = _adjustment_amount(adj, notes, what)
            if amount is None:
                continue
            line.adjustments.append(DocumentLineAdjustment(kind=kind, amount=sign * amount, reason=adj.reason[:200],
                                                           reason_code=adj.reason_code[:3],
                                                           position=position * 100 + index))
    return line


def _adjustment_amount(adj: einvoice_read.ReadAdjustment, notes: _Notes, what) -> Decimal | None:
    amount = adj.amount
    if amount is None and adj.base is not None and adj.percent is not None:
        amount = adj.base * adj.percent / 100
    if amount is None:
        notes.append(Text("{what}: an allowance or charge without an amount was left out.", what=what))
        return None
    return _quantized(amount, 4, notes, what)


def _stated(invoice: einvoice_read.ReadInvoice, currency: str, notes: _Notes, sign: int) -> dict:
    t = invoice.totals
    stated = {name: _minor(getattr(t, name), currency, notes, label, sign) for name, label in (
        ("line_total", "BT-106"), ("allowance_total", "BT-107"), ("charge_total", "BT-108"),
        ("net_total", "BT-109"), ("tax_total", "BT-110"), ("gross_total", "BT-112"), ("prepaid", "BT-113"),
        ("rounding", "BT-114"), ("payable", "BT-115"))}
    stated["allowance_total"] = stated["allowance_total"] or 0
    stated["charge_total"] = stated["charge_total"] or 0
    stated["prepaid"] = stated["prepaid"] or 0
    stated["rounding"] = stated["rounding"] or 0
    stated["tax_breakdown"] = [
        {"category": category, "rate": f"{rate:f}",
         "base": _minor(g.base, currency, notes, "BT-116", sign) or 0,
         "tax": _minor(g.tax, currency, notes, "BT-117", sign) or 0,
         "note": g.exemption_reason, **({"vatex": g.exemption_code} if g.exemption_code else {})}
        for g, (category, rate) in ((g, _vat(g.category, g.rate, Text("The VAT breakdown")))
                                    for g in invoice.tax_breakdown)]
    return stated


def _notes_text(invoice: einvoice_read.ReadInvoice) -> str:
    parts = list(invoice.notes)
    if invoice.payment_terms:
        parts.append(invoice.payment_terms)
    pay = ", ".join(p for p in (f"IBAN {invoice.iban}" if invoice.iban else "",
                                f"BIC {invoice.bic}" if invoice.bic else "",
                                invoice.payment_reference) if p)
    if pay:
        parts.append(pay)
    return "\n".join(parts)[:10000]


def _corrected(org: Organization, supplier: Contact, number: str, notes: _Notes) -> int | None:
    """The supplier's invoice a credit note corrects (BT-25), when it is here: its balance falls when the credit
    note is booked (services/ledger.py)."""
    found = db.session.scalar(select(Document.id).where(
        Document.org_id == org.id, Document.flow == "purchases", Document.kind == "invoice",
        Document.contact_id == supplier.id, Document.supplier_number == number[:60],
        Document.status != "cancelled").limit(1))
    if found is None:
        notes.append(Text("The invoice {number} it corrects is not among your purchases: this credit note stands "
                          "alone.", number=number))
    return found


def _import(org: Organization, actor: User, invoice: einvoice_read.ReadInvoice, name: str, data: bytes,
            digest: str) -> Received:
    notes: _Notes = []
    for value in (invoice.issue_date, invoice.due_date, invoice.delivery_date, invoice.period_start,
                  invoice.period_end):
        _dated(value, Text("The e-invoice"))
    currency = _currency(invoice)
    supplier = _supplier(org, actor, invoice.seller, notes)
    kind = "credit_note" if invoice.is_credit_note else "invoice"
    sign = -1 if invoice.is_credit_note else 1
    doc = purchases.new_purchase(org, actor, supplier, kind)
    if invoice.number:
        try:
            doc.supplier_number = purchases.checked_supplier_number(doc, invoice.number[:60])
        except ActionError as exc:
            if exc.code != "supplier_number_taken":
                raise
            other = db.session.get(Document, exc.params["document_id"])
            raise ActionError("duplicate_number", SAME_NUMBER, "file", supplier=supplier.display_name,
                              number=invoice.number, existing=_label(other), document_id=other.id) from exc
    doc.currency = currency
    doc.prices_include_tax = False
    doc.chosen_issue_date = invoice.issue_date
    if invoice.issue_date and invoice.due_date:
        days = (invoice.due_date - invoice.issue_date).days
        doc.payment_terms_days = min(max(days, 0), MAX_TERMS_DAYS)
        if days != doc.payment_terms_days:
            notes.append(Text("The due date {due} was not kept: it is {days} days after the invoice date.",
                              due=invoice.due_date, days=days))
    doc.service_date = invoice.delivery_date or invoice.period_start
    doc.service_period_end = invoice.period_end if doc.service_date else None
    doc.buyer_reference = invoice.buyer_reference[:100]
    doc.customer_reference = (invoice.order_reference or invoice.contract_reference)[:100]
    doc.notes = _notes_text(invoice)
    exemption = {((g.category or "S").upper(), _rate(g.rate)): g.exemption_reason for g in invoice.tax_breakdown}
    rates = _tax_rates(org)
    unknown_units: set[str] = set()
    for number, read_line in enumerate(invoice.lines, start=1):
        doc.lines.append(_line(number, read_line, currency, rates, exemption, notes, unknown_units, sign))
    if unknown_units:
        notes.append(Text("The unit codes {codes} are shown as \"unit\".", codes=", ".join(sorted(unknown_units))))
    for kind_, items in (("allowance", invoice.allowances), ("charge", invoice.charges)):
        for adj in items:
            amount = _adjustment_amount(adj, notes, Text("The document"))
            if amount is None:
                continue
            category, rate = _vat(adj.category, adj.rate, Text("The document"))
            known = rates.get((category, rate))
            doc.adjustments.append(DocumentAdjustment(
                kind=kind_, amount=sign * amount, reason=adj.reason[:200], reason_code=adj.reason_code[:3],
                tax_category=category, tax_percent=rate, tax_rate_id=known.id if known else None,
                exemption_note=exemption.get((category, rate), "")))
    if invoice.tax_currency and invoice.tax_currency.upper() != currency:
        notes.append(Text("The VAT total in {currency} (BT-111) is not kept: {amount}.", currency=invoice.tax_currency,
                          amount=f"{invoice.tax_total_accounting:f}" if invoice.tax_total_accounting is not None
                          else "-"))
    doc.stated_totals = _stated(invoice, currency, notes, sign)
    if invoice.is_credit_note and invoice.preceding_invoice:
        doc.related_id = _corrected(org, supplier, invoice.preceding_invoice, notes)
    db.session.flush()
    recalculate(doc)
    report = einvoice.validate(invoice.xml, xrechnung="xrechnung" in invoice.customization_id.lower())
    findings = [{"rule": f.rule_id, "flag": f.flag, "message": f.message, "location": f.location}
                for f in report.findings]
    cen = f"EN 16931 {report.cen_rules}" if report.cen_rules else ""
    rules = f"XRechnung 3.0 (KoSIT), {cen}" if report.xrechnung else cen
    mime = einvoice_read.PDF if invoice.source == einvoice_read.SOURCE_PDF else XML
    return _attach(org, actor, doc, name, mime, data, digest, syntax=invoice.syntax, rules=rules,
                   findings=findings, notes=notes)




def attach(org: Organization, actor: User, doc: Document, file_name: str, data: bytes) -> Received:
    """The supplier's file (a PDF or an image) attached to a purchase entered by hand, while it is a draft; an
    e-invoice is read in the inbox instead (it becomes its own draft with the figures it states)."""
    from webapp.services.state import require

    require(doc, "edit")
    if doc.flow != "purchases":
        raise ActionError("file_for_purchases", "Only a purchase has a supplier's file.", "file")
    if db.session.scalar(select(DocumentFile.id).where(DocumentFile.document_id == doc.id)) is not None:
        raise ActionError("file_attached_already", "This purchase has its supplier's file already.", "file")
    name = clean_name(file_name)
    if not data:
        raise ActionError("file_empty", "This file is empty.", "file")
    digest = _new_bytes(org, data)
    try:
        einvoice_read.read(data, name)
    except einvoice_read.ReadError as exc:
        if exc.attachable and exc.media_type in ATTACHABLE:
            return _attach(org, actor, doc, name, exc.media_type, data, digest)
        raise ActionError(f"file_{exc.code}", exc.text, "file") from exc
    raise ActionError("file_is_einvoice", "This file is an e-invoice: upload it to the purchases inbox, which reads "
                      "its figures into a draft of its own.", "file")
