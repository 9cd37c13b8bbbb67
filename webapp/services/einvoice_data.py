"""The figures and parties of an issued document as EN 16931 sees them (the business terms, BT-n), read from
what was frozen at issue: the seller and buyer snapshots, the lines' stored nets and the stored totals and VAT
breakdown. ``einvoice_xml`` writes them as CII or UBL; both syntaxes read this one mapping.

Signs: Tallybook stores a credit note with negated quantities and amounts (its totals are negative); an EN 16931
credit note (type 381) states them positive, so every amount and quantity of a credit note is negated here. A
line with a negative price (a discount typed as a line) is stated as a negative quantity at a positive price
(BR-27: an item price is never negative); its net is unchanged.

Amounts of documents whose prices include VAT: the lines' nets are stored; the net price of a line (BT-146) and
its allowances and charges (BT-136, BT-141) are their gross amounts without VAT (the price to six places), and
the document-level allowances and charges are the nets the calculator gives them (``calculation.compute``, the
figures the PDF shows). Their sums are checked against the stored totals: a mismatch raises, nothing is guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from webapp.domain.einvoice import FACTURX, SPEC_EN16931, SPEC_XRECHNUNG, XRECHNUNG
from webapp.domain.money import from_minor, precision, round_money
from webapp.domain.tax import NOTE_REQUIRED
from webapp.domain.units import unece_code
from webapp.domain.vat_rules import VATEX  # BT-121
from webapp.i18n import document_locale, document_text, format_day, format_money
from webapp.models import Document, Organization
from webapp.services.calculation import compute
from webapp.services.snapshots import parties

PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"  # BT-23 (XRechnung requires it)
DISCOUNT_CODE = "95"  # UNTDID 5189: discount
HUNDRED = Decimal(100)
PRICE_PLACES = Decimal("0.000001")


class EInvoiceError(RuntimeError):
    """The stored figures of a document do not add up (a bug, never the member's input)."""


@dataclass(frozen=True)
class Address:
    street: str = ""
    street2: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""


@dataclass(frozen=True)
class Party:
    name: str
    trading_name: str = ""
    address: Address = Address()
    registration_id: str = ""  # BT-30 / BT-47
    vat_id: str = ""  # BT-31 / BT-48
    tax_number: str = ""  # BT-32 (scheme FC)
    email: str = ""  # the electronic address (BT-34 / BT-49, scheme EM)
    contact_name: str = ""  # BT-41
    phone: str = ""  # BT-42
    contact_email: str = ""  # BT-43


@dataclass(frozen=True)
class AllowanceCharge:
    charge: bool
    amount: Decimal  # BT-92 / BT-99 (line: BT-136 / BT-141)
    reason: str = ""
    reason_code: str = ""
    percent: Decimal | None = None  # BT-94
    base: Decimal | None = None  # BT-93
    category: str = ""  # document level: BT-95 / BT-102
    rate: Decimal | None = None


@dataclass(frozen=True)
class InvoiceLine:
    id: str  # BT-126
    name: str  # BT-153
    description: str  # BT-154
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    net_amount: Decimal  # BT-131
    price: Decimal  # BT-146
    base_quantity: Decimal  # BT-149
    category: str  # BT-151
    rate: Decimal  # BT-152
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    allowances: tuple[AllowanceCharge, ...] = ()
    charges: tuple[AllowanceCharge, ...] = ()


@dataclass(frozen=True)
class TaxGroup:
    category: str  # BT-118
    rate: Decimal  # BT-119
    base: Decimal  # BT-116
    tax: Decimal  # BT-117
    reason: str = ""  # BT-120
    reason_code: str = ""  # BT-121


@dataclass(frozen=True)
class EInvoice:
    format: str
    spec_id: str  # BT-24
    process_id: str  # BT-23 ("" none)
    number: str  # BT-1
    type_code: str  # BT-3: 380 invoice, 381 credit note, 386 advance (prepayment) invoice
    issue_date: date  # BT-2
    due_date: date | None  # BT-9
    currency: str  # BT-5
    buyer_reference: str  # BT-10
    purchase_order: str  # BT-13
    sales_order: str  # BT-14
    notes: tuple[str, ...]  # BT-22
    preceding_number: str  # BT-25
    preceding_date: date | None  # BT-26
    seller: Party
    buyer: Party
    delivery_date: date | None  # BT-72
    period_start: date | None  # BT-73
    period_end: date | None  # BT-74
    ship_to: Party | None  # BG-13 (BT-70, BG-15)
    payment_means: str  # BT-81
    iban: str  # BT-84
    account_name: str  # BT-85
    bic: str  # BT-86
    remittance: str  # BT-83
    payment_terms: str  # BT-20
    lines: tuple[InvoiceLine, ...]
    allowances: tuple[AllowanceCharge, ...]
    charges: tuple[AllowanceCharge, ...]
    tax_groups: tuple[TaxGroup, ...]
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    net_total: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    gross_total: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    due_payable: Decimal  # BT-115
    extra: dict = field(default_factory=dict)
    tax_currency: str = ""  # BT-6: the seller's currency, when the VAT total is stated in it too ("" none)
    tax_total_accounting: Decimal | None = None  # BT-111: the VAT total in it (frozen at issue, signed as BT-110)
    # BG-3 after the first: a final invoice names every advance invoice it deducts (BT-25, BT-26); CII D16B has room
    # for one preceding invoice only, so there they are supporting documents (BG-24) with these descriptions
    more_preceding: tuple[tuple[str, date | None], ...] = ()
    more_preceding_names: tuple[str, ...] = ()

    @property
    def preceding(self) -> tuple[tuple[str, date | None], ...]:
        """Every preceding invoice reference (BG-3): (BT-25, BT-26)."""
        first = ((self.preceding_number, self.preceding_date),) if self.preceding_number else ()
        return first + self.more_preceding

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == "381"


def amount_text(value: Decimal, currency: str) -> str:
    """An amount as EN 16931 writes it: the currency's places, at most two where the third is a zero (BHD, KWD
    ... amounts of whole hundredths; one that needs three places is written with them, and the rules refuse it
    with BR-DEC)."""
    places = precision(currency)
    if value == 0:  # a credit note's negated zero (the VAT of reverse charge ...) is 0.00, not -0.00 (BR-AE-09)
        value = abs(value)
    text = f"{value:.{places}f}"
    while places > 2 and text.endswith("0"):
        text, places = text[:-1], places - 1
    return text


def decimal_text(value: Decimal) -> str:
    """A quantity, price or rate without trailing zeros (19, 5.5, 0.5)."""
    text = f"{value.normalize():f}"
    return text


def _party_address(data: dict, prefix: str = "") -> Address:
    return Address(*(data.get(prefix + key) or "" for key in ("street", "street2", "postal_code", "city", "region",
                                                               "country")))


def _seller(seller: dict, org: Organization, vat_ids: bool) -> Party:
    legal = seller.get("legal_name") or seller.get("name") or ""
    trading = seller.get("name") or ""
    return Party(name=legal, trading_name=trading if trading != legal else "", address=_party_address(seller),
                 registration_id=seller.get("registration_id") or "",
                 vat_id=seller.get("vat_id") or "" if vat_ids else "", tax_number=seller.get("tax_number") or "",
                 email=seller.get("email") or "", contact_name=seller.get("contact_name") or org.contact_name or trading,
                 phone=seller.get("phone") or "", contact_email=seller.get("email") or "")


def _buyer(buyer: dict, vat_ids: bool) -> Party:
    return Party(name=buyer.get("company_name") or buyer.get("name") or "", address=_party_address(buyer),
                 vat_id=buyer.get("vat_id") or "" if vat_ids else "", email=buyer.get("email") or "",
                 contact_name=buyer.get("person_name") if buyer.get("company_name") else "")


def _ship_to(buyer: dict, intra_eu: bool) -> Party | None:
    """The delivery address (BG-15): the customer's shipping address; for an intra-EU supply, which must name the
    country delivered to (BR-IC-12), the customer's address when it has no other."""
    if buyer.get("has_shipping_address"):
        return Party(name=buyer.get("shipping_name") or buyer.get("name") or "",
                     address=_party_address(buyer, "shipping_"))
    if intra_eu:
        return Party(name=buyer.get("company_name") or buyer.get("name") or "", address=_party_address(buyer))
    return None


def _default_reason(doc: Document, charge: bool) -> str:
    """BR-33/BR-38: an allowance or charge without a reason or code is named "Charge" or "Discount"."""
    return document_text(doc, None, "Charge") if charge else document_text(doc, None, "Discount")


def _net_of(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(gross * HUNDRED / (HUNDRED + rate), currency)


def _line(doc: Document, line, sign: int) -> InvoiceLine:
    currency = doc.currency
    quantity, price = line.quantity * sign, line.unit_price
    if price < 0:
        quantity, price = -quantity, -price
    base_quantity = line.base_quantity or Decimal(1)
    allowances, charges = [], []
    if line.discount_percent:
        base = round_money(line.quantity * line.unit_price / base_quantity, currency)
        allowances.append(AllowanceCharge(False, round_money(base * line.discount_percent / HUNDRED, currency),
                                          document_text(doc, None, "Discount"), DISCOUNT_CODE,
                                          percent=line.discount_percent, base=base))
    for adjustment in line.adjustments:
        amount = round_money(adjustment.amount, currency)
        charge = adjustment.kind == "charge"
        reason = adjustment.reason or ("" if adjustment.reason_code else _default_reason(doc, charge))
        code = adjustment.reason_code or ("" if charge or adjustment.reason else DISCOUNT_CODE)
        (charges if charge else allowances).append(AllowanceCharge(charge, amount, reason, code))
    if doc.prices_include_tax:
        rate = line.tax_percent
        price = (price * HUNDRED / (HUNDRED + rate)).quantize(PRICE_PLACES, ROUND_HALF_UP)
        allowances = [AllowanceCharge(a.charge, _net_of(a.amount, rate, currency), a.reason, a.reason_code)
                      for a in allowances]
        charges = [AllowanceCharge(c.charge, _net_of(c.amount, rate, currency), c.reason, c.reason_code)
                   for c in charges]
    signed = [AllowanceCharge(a.charge, a.amount * sign, a.reason, a.reason_code, a.percent,
                              None if a.base is None else a.base * sign) for a in allowances + charges]
    allowances = tuple(a for a in signed if not a.charge)
    charges = tuple(c for c in signed if c.charge)
    name, _, rest = line.description.strip().partition("\n")
    return InvoiceLine(
        id=str(line.position + 1), name=name.strip()[:200], description=rest.strip() if rest.strip() else "",
        quantity=quantity, unit_code=unece_code(line.unit), net_amount=from_minor(line.net_amount, currency) * sign,
        price=price, base_quantity=base_quantity, category=line.tax_category, rate=line.tax_percent,
        period_start=line.period_start, period_end=line.period_end, allowances=allowances, charges=charges)


def _document_adjustments(doc: Document, sign: int) -> tuple[list[AllowanceCharge], list[AllowanceCharge]]:
    """The document-level allowances and charges with the nets the calculator gives them, each with its VAT
    category and rate; the percent discount on all lines is one allowance per VAT group of the lines."""
    if not doc.adjustments and not doc.discount_percent:
        return [], []
    currency = doc.currency
    totals = compute(doc)
    allowance_nets, charge_nets = list(totals.allowance_nets), list(totals.charge_nets)
    allowances, charges = [], []
    for adj in doc.adjustments:
        net = allowance_nets.pop(0) if adj.kind == "allowance" else charge_nets.pop(0)
        charge = adj.kind == "charge"
        reason = adj.reason or ("" if adj.reason_code else _default_reason(doc, charge))
        (charges if charge else allowances).append(
            AllowanceCharge(charge, net * sign, reason, adj.reason_code, category=adj.tax_category, rate=adj.tax_percent))
    if doc.discount_percent:
        groups: dict[tuple[str, Decimal], Decimal] = {}
        for line in doc.lines:
            key = (line.tax_category, line.tax_percent.normalize())
            groups[key] = groups.get(key, Decimal(0)) + from_minor(line.net_amount, currency)
        reason = document_text(doc, None, "Discount %(percent)s %%", percent=decimal_text(doc.discount_percent))
        for (category, rate), net in zip(groups, allowance_nets):
            base = groups[(category, rate)]
            exact = not doc.prices_include_tax  # with VAT in the prices the net is not base x percent
            allowances.append(AllowanceCharge(False, net * sign, reason, DISCOUNT_CODE,
                                              percent=doc.discount_percent if exact else None,
                                              base=base * sign if exact else None, category=category, rate=rate))
    return allowances, charges


def _check(condition: bool, what: str, doc: Document) -> None:
    if not condition:
        raise EInvoiceError(f"document {doc.id}: {what} does not add up to the stored total")


def einvoice(doc: Document, org: Organization, fmt: str) -> EInvoice:
    """The EN 16931 view of an issued invoice or credit note (``fmt``: domain/einvoice.FORMATS)."""
    if doc.is_draft or doc.kind not in ("invoice", "credit_note"):
        raise ValueError("only issued invoices and credit notes have an e-invoice")
    currency = doc.currency
    sign = -1 if doc.kind == "credit_note" else 1
    seller_data, buyer_data = parties(doc, org)

    def money(minor: int) -> Decimal:
        return from_minor(minor, currency) * sign

    lines = tuple(_line(doc, line, sign) for line in doc.lines)
    allowances, charges = _document_adjustments(doc, sign)
    groups = tuple(
        TaxGroup(category=g["category"], rate=Decimal(g["rate"]), base=money(g["base"]), tax=money(g["tax"]),
                 reason=g.get("note") or "" if g["category"] in NOTE_REQUIRED else "",
                 reason_code=(g.get("vatex") or VATEX.get(g["category"], "")) if g["category"] in NOTE_REQUIRED
                 else "")
        for g in doc.tax_breakdown)
    line_total, allowance_total, charge_total = money(doc.line_total), money(doc.allowance_total), money(doc.charge_total)
    _check(sum((x.net_amount for x in lines), Decimal(0)) == line_total, "the lines' nets", doc)
    _check(sum((a.amount for a in allowances), Decimal(0)) == allowance_total, "the allowances", doc)
    _check(sum((c.amount for c in charges), Decimal(0)) == charge_total, "the charges", doc)
    _check(sum((g.tax for g in groups), Decimal(0)) == money(doc.tax_total), "the VAT breakdown", doc)

    related = doc.related if doc.kind == "credit_note" else None
    locale = document_locale(doc, org)
    if doc.kind == "credit_note":  # BT-20: what happens to the credit (BR-CO-25 wants terms or a due date)
        terms = document_text(doc, org, "This credit note reduces invoice %(number)s by %(amount)s. An amount already "
                              "paid is refunded or set off.", number=related.number if related is not None else "",
                              amount=format_money(-doc.gross_total, currency, locale))
    elif doc.payment_terms_days:
        terms = document_text(doc, org, "Payable by %(date)s without deduction.",
                              date=format_day(doc.due_date, locale))
    else:
        terms = document_text(doc, org, "Payable immediately without deduction.")
    categories = {g.category for g in groups}
    # BR-O-02: an invoice outside the scope of VAT names no VAT identifier (of seller or buyer)
    vat_ids = categories != {"O"}
    iban = (seller_data.get("iban") or "").replace(" ", "").upper()
    period = doc.service_period_end is not None and doc.service_date is not None
    xrechnung = fmt in XRECHNUNG
    gross = money(doc.gross_total)
    prepaid = money(doc.prepaid_total) if doc.kind == "invoice" else Decimal(0)  # BT-113: the advances deducted
    # BG-3: a final invoice names the advance invoices it deducts (a credit note: the invoice it corrects)
    advances = tuple((d.advance.number, d.advance.issue_date) for d in doc.deductions) if doc.kind == "invoice" else ()
    return EInvoice(
        format=fmt, spec_id=SPEC_XRECHNUNG if xrechnung else SPEC_EN16931,
        process_id=PEPPOL_BILLING if xrechnung else "", number=doc.number,
        type_code="381" if sign < 0 else ("389" if doc.self_billed else ("386" if doc.advance else "380")),
        issue_date=doc.issue_date, due_date=doc.due_date if doc.kind == "invoice" else None, currency=currency,
        buyer_reference=doc.buyer_reference, purchase_order=doc.customer_reference,
        sales_order=doc.order_reference or "", notes=tuple(n for n in [doc.notes.strip()] if n),
        preceding_number=related.number if related is not None and related.number else (
            advances[0][0] if advances else ""),
        preceding_date=related.issue_date if related is not None else (advances[0][1] if advances else None),
        more_preceding=advances[1:],
        more_preceding_names=tuple(document_text(doc, org, "Advance invoice %(number)s of %(date)s", number=number,
                                                 date=format_day(issued_on, locale)) for number, issued_on in advances[1:]),
        seller=_seller(seller_data, org, vat_ids), buyer=_buyer(buyer_data, vat_ids),
        # BT-72: the PDF of an invoice without a service date says "delivery date: same as invoice date"
        delivery_date=(doc.service_date or (doc.issue_date if doc.kind == "invoice" else None)) if not period else None,
        period_start=doc.service_date if period else None, period_end=doc.service_period_end if period else None,
        ship_to=_ship_to(buyer_data, "K" in categories),
        payment_means=("58" if currency == "EUR" else "30") if iban else "1", iban=iban,
        account_name=seller_data.get("legal_name") or seller_data.get("name") or "" if iban else "",
        bic=(seller_data.get("bic") or "").replace(" ", "").upper() if iban else "", remittance=doc.number,
        payment_terms=terms, lines=lines, allowances=tuple(allowances), charges=tuple(charges), tax_groups=groups,
        line_total=line_total, allowance_total=allowance_total, charge_total=charge_total,
        net_total=money(doc.net_total), tax_total=money(doc.tax_total), gross_total=gross,
        prepaid=prepaid, due_payable=gross - prepaid, **_accounting(doc, sign),
    )


def _accounting(doc: Document, sign: int) -> dict:
    """BT-6 and BT-111 as frozen at issue (``Document.accounting_vat``); nothing for a document without them."""
    accounting = doc.accounting_vat(None)
    if accounting is None:
        return {}
    minor, currency = accounting
    return {"tax_currency": currency, "tax_total_accounting": from_minor(minor, currency) * sign}


__all__ = ["EInvoice", "EInvoiceError", "einvoice", "amount_text", "decimal_text", "FACTURX"]
