"""Automatic VAT on a document: the rules of ``domain/vat_rules.py`` applied to its lines (docs/vat-rules.md).

A draft with ``automatic_tax`` decides every line's VAT category, rate, jurisdiction and legal notice each time its
figures are recalculated (``calculation.recalculate`` calls ``apply``): from the organization (home country and VAT
ID, registrations elsewhere, One-Stop-Shop enrolment, small-business exemption), the customer (country, business or
consumer, VAT ID) and the line's tax code (the line's, else its product's, else the organization's default). A line
with a rate set by hand keeps it and says so. Issuing recalculates on the issue date and the decision is frozen with
the lines (issued lines never change); ``freeze`` records the document's cross-border distance sales in EUR, which
the EUR 10,000 threshold of later invoices adds up (``distance_sales``).

Document-level discounts and charges without a rate of their own follow the first line's decision (a discount on,
or shipping of, what the lines sell).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from webapp.domain import vat_rules
from webapp.domain.errors import ActionError, Text, text_from_json, text_json
from webapp.domain.money import from_minor, round_money, to_minor
from webapp.domain.tax import EU_MEMBER_STATES
from webapp.domain.tax_codes import TAX_CODES, tax_code as lookup_tax_code
from webapp.domain.totals import Line, compute_totals
from webapp.domain.vat_rates import rate_on, standard_rate
from webapp.extensions import db
from webapp.i18n import document_text
from webapp.models import Contact, Document, Organization, Product, VatRegistration

# the rules whose sales count towards the EUR 10,000 threshold (Article 59c): distance sales of goods and
# electronically supplied/telecom services to consumers in other member states
DISTANCE_RULES = frozenset({"distance_home", "distance_oss", "distance_destination", "distance_opted_in"})

NEEDS_COUNTRIES = Text("Automatic VAT needs the organization's country (Settings) and the customer's country.")
UNSUPPORTED_SELLER = Text("Automatic VAT knows the rates of the EU member states, the United Kingdom and "
                          "Switzerland; {country} is not among them: set the rates by hand.")
NOT_DECIDED = Text("Automatic VAT could not decide this line.")


def seller_of(org: Organization, on: date) -> vat_rules.Seller:
    registrations = db.session.scalars(select(VatRegistration.country).where(
        VatRegistration.org_id == org.id,
        (VatRegistration.valid_from.is_(None)) | (VatRegistration.valid_from <= on))).all()
    return vat_rules.Seller(country=org.country, vat_id=org.vat_id, oss_since=org.oss_since,
                            small_business=org.small_business, registrations=frozenset(registrations),
                            destination_opt_in=org.destination_opt_in)


def buyer_of(contact: Contact) -> vat_rules.Buyer:
    return vat_rules.Buyer(country=contact.country, business=contact.is_business, vat_id=contact.vat_id,
                           vat_id_valid=contact.vat_id_valid if contact.vat_id else None)


def line_tax_code(org: Organization, line, products: dict[int, Product] | None = None) -> str:
    """The code the rules read for ``line``: its own, else its product's, else the organization's default."""
    if line.tax_code:
        return line.tax_code
    product = None
    if line.product_id is not None:
        product = (products or {}).get(line.product_id) or db.session.get(Product, line.product_id)
    return (product.tax_code if product is not None and product.tax_code else "") or org.default_tax_code


def distance_sales(org: Organization, year: int) -> Decimal:
    """The organization's cross-border distance sales to consumers issued in ``year``, in EUR (net)."""
    total = db.session.scalar(select(func.coalesce(func.sum(Document.distance_sales_eur), 0)).where(
        Document.org_id == org.id, Document.distance_sales_eur.is_not(None), Document.flow == "sales",
        Document.issue_date >= date(year, 1, 1), Document.issue_date <= date(year, 12, 31)))
    return from_minor(int(total or 0), "EUR")


def _in_eur(minor: int, doc: Document, org: Organization) -> int | None:
    """An amount of the document (minor units of its currency) in EUR cents: as is in EUR; at the document's
    stated exchange rate (BT-6) when the organization's currency is EUR; None where no rate to EUR is known."""
    if doc.currency == "EUR":
        return minor
    if org.currency == "EUR" and doc.exchange_rate:
        return to_minor((from_minor(minor, doc.currency) * doc.exchange_rate).quantize(Decimal("0.01")), "EUR")
    return None


def _entered_sale_eur(org: Organization, doc: Document, home: str, on: date, candidates) -> Decimal:
    """This draft's distance-sale lines in EUR, net: the amounts as entered (with prices including VAT, without
    the home rate of each line's class, since the rate is what is being decided)."""
    total = Decimal(0)
    nets = compute_totals(lines=[Line(quantity=line.quantity, unit_price=line.unit_price, tax_rate=Decimal(0),
                                      tax_category="Z", discount_percent=line.discount_percent,
                                      base_quantity=line.base_quantity or Decimal(1),
                                      allowances=line.amounts("allowance"), charges=line.amounts("charge"))
                                 for line, _ in candidates], currency=doc.currency).line_nets
    for (line, code), entered in zip(candidates, nets):
        if doc.prices_include_tax:
            entered = entered * 100 / (100 + rate_on(home, code.rate_class, on).percent)
        eur = _in_eur(to_minor(round_money(entered, doc.currency), doc.currency), doc, org)
        total += from_minor(eur or 0, "EUR")  # no rate to EUR: not counted (docs/vat-rules.md)
    return total


def _decision_json(decision: vat_rules.Decision, base_rule: str) -> dict:
    return {"explanation": text_json(decision.explanation), "warning": text_json(decision.warning),
            "vatex": decision.vatex, "exemption_type": decision.exemption_type, "oss": decision.oss,
            "hand_set": decision.hand_set, "base_rule": base_rule}


def _set(target, **values) -> bool:
    """Set what differs only: an unchanged line stays clean (a 1,000-line draft's edit flushes the lines it moved).
    Whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _undecided(line, why: Text) -> bool:
    """The rules could not decide the line: it keeps its rate and says why; one without a rate set by hand keeps
    the draft from being issued (``issuing.issue_problems``)."""
    hand_set = line.tax_rate_id is not None
    return _set(line, tax_jurisdiction="", tax_rule="", tax_decision={
        "explanation": text_json(why), "warning": None, "vatex": "", "exemption_type": "", "oss": False,
        "hand_set": hand_set, "base_rule": "", "undecided": not hand_set})


def apply(org: Organization, doc: Document, on: date | None = None) -> set[int]:
    """Decide the VAT of every line of the draft (``doc.automatic_tax``) as of ``on`` (default: its chosen issue
    date, else today). Lines the rules cannot decide (no countries, an unknown code) keep their rate and carry
    the reason (``undecided``); ``issue_problems`` refuses to issue them. Returns the ids of the lines whose
    decision changed (what the editor shows anew)."""
    on = on or doc.chosen_issue_date or date.today()
    contact = doc.contact if doc.contact_id is not None else None
    lines = list(doc.lines)
    if not org.country or contact is None or not contact.country:
        return {line.id for line in lines if _undecided(line, NEEDS_COUNTRIES)}
    seller, buyer = seller_of(org, on), buyer_of(contact)
    try:
        standard_rate(seller.country, on)
    except LookupError:
        return {line.id for line in lines if _undecided(line, Text(UNSUPPORTED_SELLER.template, country=seller.country))}
    products = {}
    ids = {line.product_id for line in lines if line.product_id and not line.tax_code}
    if ids:
        products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}
    coded = []
    for line in lines:
        code = line_tax_code(org, line, products)
        try:
            coded.append((line, lookup_tax_code(code)))
        except KeyError:
            coded.append((line, None))
    cross_border_b2c = (seller.country in EU_MEMBER_STATES and buyer.country in EU_MEMBER_STATES
                        and buyer.country != seller.country
                        and not (buyer.business and buyer.has_valid_vat_id()))
    this_year = last_year = sale = Decimal(0)
    if cross_border_b2c:
        candidates = [(line, code) for line, code in coded if code is not None and code.kind in ("goods", "electronic")]
        if candidates:
            this_year, last_year = distance_sales(org, on.year), distance_sales(org, on.year - 1)
            sale = _entered_sale_eur(org, doc, seller.country, on, candidates)
    notices: dict[str, str] = {}

    def notice(text: str) -> str:  # in the document's language, once per notice
        if text not in notices:
            notices[text] = document_text(doc, org, text)
        return notices[text]

    decided: dict = {}
    moved: set[int] = set()
    first = None
    for line, code in coded:
        if code is None:
            if _undecided(line, Text("{code} is not a tax code from the list.", code=line_tax_code(org, line, products))):
                moved.add(line.id)
            continue
        hand_set = (line.tax_category, line.tax_percent.normalize()) if line.tax_rate_id is not None else None
        key = (code.code, hand_set)
        if key not in decided:  # the lines of one code (and hand-set rate) share the decision
            try:
                decision = vat_rules.decide(seller, buyer, code.code, on, sale_eur=sale, b2c_this_year_eur=this_year,
                                            b2c_last_year_eur=last_year, hand_set=hand_set)
                base_rule = (vat_rules.decide(seller, buyer, code.code, on, sale_eur=sale,
                                              b2c_this_year_eur=this_year, b2c_last_year_eur=last_year).rule
                             if hand_set else decision.rule)
                decided[key] = (decision, base_rule, _decision_json(decision, base_rule))
            except LookupError:
                decided[key] = None
        if decided[key] is None:
            if _undecided(line, NOT_DECIDED):
                moved.add(line.id)
            continue
        decision, base_rule, decision_json = decided[key]
        if not decision.hand_set and _set(line, tax_category=decision.category, tax_percent=decision.rate,
                                          exemption_note=notice(decision.legal_notice) if decision.legal_notice else ""):
            moved.add(line.id)
        if _set(line, tax_jurisdiction=decision.jurisdiction, tax_rule=decision.rule, tax_decision=decision_json):
            moved.add(line.id)
        first = first or line
    for adjustment in doc.adjustments:
        if adjustment.tax_rate_id is None and first is not None:
            _set(adjustment, tax_category=first.tax_category, tax_percent=first.tax_percent,
                 exemption_note=first.exemption_note)
    return moved


def counts_as_distance_sale(line) -> bool:
    decision = line.tax_decision or {}
    return (decision.get("base_rule") or line.tax_rule) in DISTANCE_RULES


def freeze(org: Organization, doc: Document) -> None:
    """At issue: the document's distance sales in EUR cents (negative for a credit note), for the threshold."""
    if doc.flow != "sales" or doc.kind not in ("invoice", "credit_note"):
        doc.distance_sales_eur = None
        return
    counted = [line.net_amount for line in doc.lines if counts_as_distance_sale(line)]
    # a credit note's lines carry negative nets already; no rate to EUR: not counted (docs/vat-rules.md)
    doc.distance_sales_eur = _in_eur(sum(counted), doc, org) if counted else None


def explanation(line) -> Text | str | None:
    """The line's decision in the reader's language (None: no automatic decision)."""
    decision = line.tax_decision or {}
    return text_from_json(decision.get("explanation"))


def warning(line) -> Text | str | None:
    return text_from_json((line.tax_decision or {}).get("warning"))


def group_decision(group: dict) -> dict:
    """The decision fields of a line that credits a VAT group as a whole (``tax_breakdown`` entry): its
    jurisdiction and exemption reason code, so the credit note's e-invoice and reports say what the invoice said."""
    if not group.get("jurisdiction"):
        return {}
    return {"tax_jurisdiction": group["jurisdiction"],
            "tax_decision": {"vatex": group.get("vatex", ""), "exemption_type": group.get("exemption_type", "")}}


def checked_tax_code(value: str | None, field: str = "tax_code") -> str:
    """A tax code as stored: trimmed, upper case, one of the list ("" for none: the product's or the default)."""
    code = (value or "").strip().upper()
    if code and code not in TAX_CODES:
        raise ActionError("unknown_tax_code", "{given} is not a tax code from the list (e.g. S10000000 services, "
                          "P00000000 goods, D10000000 electronically supplied services).", field, given=value.strip())
    return code
