"""Automatic VAT: which category, rate and jurisdiction a line takes, from the seller, the buyer, the product's
tax code (``webapp/domain/tax_codes.py``) and the date, with the legal notice and a one-line explanation.

One pure function, ``decide``; the rules and their sources are in docs/vat-rules.md. In short, for a seller
established in the EU:

- domestic sale: the home rate of the product's class;
- services taxed where performed (passenger transport, accommodation, restaurant): the seller's rate, whoever
  buys (the rules assume the seller performs them in its own country);
- exempt services (medical, education, financial): E with their Article 132/135 notice (O outside the EU);
- B2B to another member state with a valid VAT ID: goods K (Article 138), services AE (Article 196);
  without a valid VAT ID the buyer is treated as a consumer;
- B2C to another member state: goods (distance sales) and electronically supplied/telecom services at the
  destination's rate once the seller's cross-border B2C sales passed EUR 10,000 in this or the last calendar
  year (the sale that passes it is already taxed at destination), or when the seller is enrolled in the
  One-Stop-Shop or opted in; otherwise the home rate. At destination without OSS (and without a registration
  there) a warning says the seller must register. Other services: the home rate;
- outside the EU: goods G (Article 146), B2B services O, B2C electronically supplied services O with a
  notice, other B2C services the home rate;
- small businesses (Kleinunternehmer § 19 UStG, the EU SME scheme): E with the national notice wherever the
  sale would be taxed in the seller's country;
- a hand-set rate overrides all of it, and the explanation says so.

Sellers established outside the EU (GB, CH): their own rates at home; goods leave as exports (G); services to
EU businesses with a valid VAT ID are reverse charged (AE); electronically supplied services to EU consumers
are taxed at the destination's rate (no threshold; the non-Union OSS scheme); other services at home.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from webapp.domain.errors import Country, Text, joined
from webapp.domain.tax import EU_MEMBER_STATES, EXPORT_NOTE, INTRA_EU_NOTE, REVERSE_CHARGE_NOTE
from webapp.domain.tax_codes import TaxCode, tax_code as lookup_tax_code
from webapp.domain.units import _n
from webapp.domain.vat_rates import rate_on

THRESHOLD_EUR = Decimal("10000")  # Article 59c, Council Directive 2006/112/EC

OUTSIDE_SCOPE_NOTE = _n("Outside the scope of EU VAT: place of supply outside the EU (Article 44, Council "
                        "Directive 2006/112/EC).")
ESERVICE_OUTSIDE_NOTE = _n("Outside the scope of EU VAT: electronically supplied service to a customer outside "
                           "the EU (Article 58, Council Directive 2006/112/EC); the customer's local taxes may "
                           "apply.")
NON_EU_EXPORT_NOTE = _n("Export of goods: no VAT charged; import VAT and duties are due in the country of "
                        "destination.")
NON_EU_OUTSIDE_NOTE = _n("Outside the scope of VAT: the place of supply is in the customer's country.")
NATIONAL_EXEMPTION_NOTE = _n("Exempt from VAT under national law (Article 371 and Annex X, Council Directive "
                             "2006/112/EC).")
SME_NOTE = _n("VAT exempt: small enterprise scheme (Article 284, Council Directive 2006/112/EC).")
# The notices the national laws word themselves: printed as they are, never translated.
SME_NOTES = {
    "DE": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
    "AT": "Umsatzsteuerbefreit – Kleinunternehmer gemäß § 6 Abs. 1 Z 27 UStG.",
    "FR": "TVA non applicable, art. 293 B du CGI.",
    "BE": "Petite entreprise soumise au régime de la franchise de la taxe. TVA non applicable.",
    "LU": "Franchise de TVA – article 57 de la loi TVA.",
    "IT": "Operazione in franchigia da IVA ai sensi dell'art. 1, commi 54-89, Legge n. 190/2014.",
    "NL": "Vrijgesteld van omzetbelasting (kleineondernemersregeling, artikel 25 Wet OB 1968).",
    "GB": _n("Not registered for VAT."),
    "CH": _n("Not registered for VAT (Article 10, Swiss VAT Act)."),
}
# EN 16931 exemption reason codes (BT-121, CEF VATEX list as vendored in webapp/einvoice/artefacts). The SME
# scheme has no VATEX code there: its e-invoice carries category E and the notice as the reason text (BT-120).
VATEX = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}
# seed 001's ``exemption.type`` by category (the API's ``exemption.type``; a small business's E is SMALL_BUSINESS)
EXEMPTION_TYPES = {"AE": "REVERSE_CHARGE", "K": "INTRA_EU", "G": "EXPORT", "O": "NOT_SUBJECT", "E": "EXEMPT",
                   "B": "SPLIT_PAYMENT"}

# explanations: one line each, templates with placeholders (translated where shown)
DOMESTIC = _n("Sale within {country}: {product} at {country}'s rate of {rate} %.")
DOMESTIC_EXEMPT = _n("Sale within {country}: {product} is exempt from VAT there.")
LOCAL = _n("{product} is taxed where it is performed, in {country}: {rate} %.")
LOCAL_EXEMPT = _n("{product} is taxed where it is performed, in {country}, and is exempt from VAT there.")
EXEMPT_SERVICE = _n("{product} is exempt from VAT.")
EXEMPT_OUTSIDE = _n("{product} for a customer outside the EU ({buyer}): outside the scope of EU VAT.")
INTRA_EU_GOODS = _n("Goods to a business in {buyer} with a valid VAT ID: intra-Community supply, exempt; the "
                    "customer declares the acquisition.")
REVERSE_CHARGE = _n("Service to a business in {buyer} with a valid VAT ID: reverse charge, the customer accounts "
                    "for the VAT.")
NO_VALID_VAT_ID = _n("The customer has no valid VAT ID for {buyer}, so the sale is treated as one to a consumer.")
BELOW_THRESHOLD = _n("Sale to a consumer in {buyer}: cross-border consumer sales are within EUR 10,000, so "
                     "{seller}'s rate of {rate} % applies.")
ABOVE_THRESHOLD = _n("Sale to a consumer in {buyer}: cross-border consumer sales passed EUR 10,000, so {buyer}'s "
                     "rate of {rate} % applies.")
VIA_OSS = _n("Sale to a consumer in {buyer}, declared through the One-Stop-Shop: {buyer}'s rate of {rate} %.")
OPTED_IN = _n("Sale to a consumer in {buyer}: the seller opted for taxation at destination, {buyer}'s rate of "
              "{rate} %.")
SERVICE_HOME = _n("Service to a consumer in {buyer}: taxed where the seller is established, {seller}'s rate of "
                  "{rate} %.")
EXPORT = _n("Goods exported to {buyer}, outside the EU: exempt from VAT.")
NON_EU_EXPORT = _n("Goods sent from {seller} to {buyer}: an export, no {seller} VAT.")
OUTSIDE_B2B = _n("Service to a business in {buyer}: taxed in the customer's country, not with the seller's VAT.")
ESERVICE_OUTSIDE = _n("Electronically supplied service to a consumer in {buyer}, outside the EU: outside the "
                      "scope of EU VAT.")
NON_EU_ESERVICE = _n("Electronically supplied service to a consumer in {buyer}: {buyer}'s rate of {rate} %, "
                     "declared through the One-Stop-Shop (non-Union scheme).")
NON_EU_ESERVICE_UNREGISTERED = _n("Electronically supplied service to a consumer in {buyer}: {buyer}'s rate "
                                  "of {rate} %.")
SMALL_BUSINESS = _n("Small business in {seller}: no VAT charged.")
HAND_SET = _n("Rate set by hand: {category} {rate} % (the rules give {rule_category} {rule_rate} %).")
MUST_REGISTER = _n("Cross-border consumer sales passed EUR 10,000: register for the One-Stop-Shop or for VAT in "
                   "{buyer} to declare this VAT.")
NON_EU_MUST_REGISTER = _n("Electronically supplied services to consumers in the EU: register for the "
                          "One-Stop-Shop (non-Union scheme) or for VAT in {buyer} to declare this VAT.")


class UnknownTaxCode(ValueError):
    """A tax code the list does not have (``webapp/domain/tax_codes.py``)."""


@dataclass(frozen=True)
class Seller:
    country: str
    vat_id: str = ""
    oss_since: date | None = None  # One-Stop-Shop enrolment (union scheme; non-Union scheme for non-EU sellers)
    small_business: bool = False  # Kleinunternehmer (§ 19 UStG), the EU SME scheme and the like
    registrations: frozenset[str] = frozenset()  # other countries where the seller is registered for VAT
    destination_opt_in: bool = False  # opted for taxation at destination below the threshold (Art. 59c(3))

    def in_oss(self, on: date) -> bool:
        return self.oss_since is not None and self.oss_since <= on


@dataclass(frozen=True)
class Buyer:
    country: str
    business: bool
    vat_id: str = ""
    # None: checked here with python-stdnum (format and check digits); a caller with an online check passes its
    # answer instead
    vat_id_valid: bool | None = None

    def has_valid_vat_id(self) -> bool:
        return self.vat_id_valid if self.vat_id_valid is not None else valid_vat_id(self.country, self.vat_id)


@dataclass(frozen=True)
class Decision:
    category: str  # EN 16931 VAT category (UNCL5305)
    rate: Decimal
    jurisdiction: str  # the country whose VAT the line follows (where the supply is taxed)
    explanation: Text
    legal_notice: str = ""  # English, marked for translation (national small-business notices as worded)
    vatex: str = ""  # EN 16931 exemption reason code (BT-121)
    exemption_type: str = ""  # seed 001's exemption.type
    rule: str = ""  # a stable name of the rule applied (docs/vat-rules.md)
    oss: bool = False  # declared through the One-Stop-Shop
    warning: Text | None = None
    hand_set: bool = False


def valid_vat_id(country: str, vat_id: str) -> bool:
    """Whether ``vat_id`` is a valid VAT number of ``country`` by python-stdnum (format and check digits; no
    online check). The country prefix may be left out. Countries without a check here: False."""
    from stdnum.ch import vat as ch_vat
    from stdnum.eu import vat as eu_vat
    from stdnum.gb import vat as gb_vat

    if not vat_id or not vat_id.strip():
        return False
    if country in EU_MEMBER_STATES:
        number = "".join(ch for ch in vat_id if ch.isalnum()).upper()
        prefixes = ("EL", "GR") if country == "GR" else (country,)
        if not number[:2].isalpha():
            number = prefixes[0] + number
        return number[:2] in prefixes and eu_vat.is_valid(number)
    if country == "GB":
        return gb_vat.is_valid(vat_id)
    if country == "CH":
        return ch_vat.is_valid(vat_id)
    return False


def decide(seller: Seller, buyer: Buyer, tax_code: str, on: date, *, sale_eur: Decimal = Decimal(0),
           b2c_this_year_eur: Decimal = Decimal(0), b2c_last_year_eur: Decimal = Decimal(0),
           hand_set: tuple[str, Decimal] | None = None) -> Decision:
    """The VAT of one line.

    ``sale_eur`` is this sale's net amount in EUR (other currencies at the invoice's stated exchange rate),
    ``b2c_this_year_eur`` the seller's cross-border B2C distance sales and electronically supplied services to
    other member states issued this calendar year before this sale, ``b2c_last_year_eur`` those of the last
    calendar year (all in EUR, net). ``hand_set`` = (category, rate) set on the line by hand."""
    try:
        code = lookup_tax_code(tax_code)
    except KeyError:
        raise UnknownTaxCode(tax_code) from None
    decision = _rule(seller, buyer, code, on, sale_eur, b2c_this_year_eur, b2c_last_year_eur)
    if seller.small_business:
        decision = _small_business(seller, decision)
    if hand_set is not None:
        category, rate = hand_set
        decision = Decision(
            category, rate, decision.jurisdiction,
            Text(HAND_SET, category=category, rate=rate, rule_category=decision.category, rule_rate=decision.rate),
            legal_notice=_NOTES.get(category, ""), vatex=VATEX.get(category, ""),
            exemption_type=EXEMPTION_TYPES.get(category, ""), rule="hand_set", hand_set=True)
    return decision


_NOTES = {"AE": REVERSE_CHARGE_NOTE, "K": INTRA_EU_NOTE, "G": EXPORT_NOTE, "O": OUTSIDE_SCOPE_NOTE}


def _product(code: TaxCode) -> Text:
    return Text(code.label)


def _taxed(taxed_in: str, code: TaxCode, on: date, template: str, exempt_template: str, rule: str, **params):
    """A sale taxed in ``taxed_in`` at its rate for the product's class (S, Z, or E where the law exempts it)."""
    rate = rate_on(taxed_in, code.rate_class, on)
    if rate.exempt:
        return Decision("E", Decimal(0), taxed_in, Text(exempt_template, product=_product(code), **params),
                        NATIONAL_EXEMPTION_NOTE, exemption_type="EXEMPT", rule=rule + "_exempt")
    return Decision(rate.category, rate.percent, taxed_in,
                    Text(template, product=_product(code), rate=rate.percent, **params), rule=rule)


def _zero(category: str, jurisdiction: str, explanation: Text, rule: str, note: str | None = None) -> Decision:
    return Decision(category, Decimal(0), jurisdiction, explanation, _NOTES[category] if note is None else note,
                    VATEX[category], EXEMPTION_TYPES[category], rule)


def _rule(seller: Seller, buyer: Buyer, code: TaxCode, on: date, sale_eur: Decimal, this_year: Decimal,
          last_year: Decimal) -> Decision:
    home, there = seller.country, buyer.country
    seller_in_eu, buyer_in_eu = home in EU_MEMBER_STATES, there in EU_MEMBER_STATES
    where = {"seller": Country(home), "buyer": Country(there)}

    if code.kind == "exempt":
        if buyer_in_eu or there == home:
            return Decision("E", Decimal(0), home,
                            Text(EXEMPT_SERVICE, product=_product(code)), code.exemption_note, code.vatex,
                            "EXEMPT", "exempt_service")
        return _zero("O", there, Text(EXEMPT_OUTSIDE, product=_product(code), buyer=Country(there)), "exempt_outside_eu",
                     OUTSIDE_SCOPE_NOTE if seller_in_eu else NON_EU_OUTSIDE_NOTE)
    if code.kind == "local":
        return _taxed(home, code, on, LOCAL, LOCAL_EXEMPT, "local", country=Country(home))
    if there == home:
        return _taxed(home, code, on, DOMESTIC, DOMESTIC_EXEMPT, "domestic", country=Country(home))

    goods = code.kind == "goods"
    business = buyer.business
    prefix = None
    if business and buyer_in_eu and not buyer.has_valid_vat_id():
        business, prefix = False, Text(NO_VALID_VAT_ID, buyer=Country(there))

    decision = (_from_eu if seller_in_eu else _from_outside_eu)(
        seller, buyer, code, on, sale_eur, this_year, last_year, goods, business, buyer_in_eu, where)
    if prefix is not None:
        decision = _explained(decision, joined([prefix, decision.explanation]))
    return decision


def _from_eu(seller, buyer, code, on, sale_eur, this_year, last_year, goods, business, buyer_in_eu, where):
    home, there = where["seller"].code, where["buyer"].code
    if not buyer_in_eu:
        if goods:
            return _zero("G", home, Text(EXPORT, **where), "export")
        if business:
            return _zero("O", there, Text(OUTSIDE_B2B, **where), "outside_scope_b2b")
        if code.kind == "electronic":
            return _zero("O", there, Text(ESERVICE_OUTSIDE, **where), "outside_scope_eservice",
                         ESERVICE_OUTSIDE_NOTE)
        return _taxed(home, code, on, SERVICE_HOME, DOMESTIC_EXEMPT, "service_home", country=Country(home), **where)
    if business:
        if goods:
            return _zero("K", there, Text(INTRA_EU_GOODS, **where), "intra_eu_goods")
        return _zero("AE", there, Text(REVERSE_CHARGE, **where), "reverse_charge")
    if code.kind == "service":
        return _taxed(home, code, on, SERVICE_HOME, DOMESTIC_EXEMPT, "service_home", country=Country(home), **where)
    # distance sales of goods, electronically supplied and telecom services to consumers (Article 59c)
    oss = seller.in_oss(on)
    passed = last_year > THRESHOLD_EUR or this_year + sale_eur > THRESHOLD_EUR
    if oss:
        decision = _taxed(there, code, on, VIA_OSS, DOMESTIC_EXEMPT, "distance_oss", country=Country(there), **where)
        return replace(decision, oss=True)
    if passed:
        decision = _taxed(there, code, on, ABOVE_THRESHOLD, DOMESTIC_EXEMPT, "distance_destination",
                          country=Country(there), **where)
        if there in seller.registrations:
            return decision
        return replace(decision, warning=Text(MUST_REGISTER, buyer=Country(there)))
    if seller.destination_opt_in:
        return _taxed(there, code, on, OPTED_IN, DOMESTIC_EXEMPT, "distance_opted_in", country=Country(there), **where)
    return _taxed(home, code, on, BELOW_THRESHOLD, DOMESTIC_EXEMPT, "distance_home", country=Country(home), **where)


def _from_outside_eu(seller, buyer, code, on, sale_eur, this_year, last_year, goods, business, buyer_in_eu,
                     where):
    home, there = where["seller"].code, where["buyer"].code
    if goods:
        return _zero("G", home, Text(NON_EU_EXPORT, **where), "export", NON_EU_EXPORT_NOTE)
    if business:
        if buyer_in_eu:
            return _zero("AE", there, Text(REVERSE_CHARGE, **where), "reverse_charge")
        return _zero("O", there, Text(OUTSIDE_B2B, **where), "outside_scope_b2b", NON_EU_OUTSIDE_NOTE)
    if code.kind == "electronic" and buyer_in_eu:
        if seller.in_oss(on):
            decision = _taxed(there, code, on, NON_EU_ESERVICE, DOMESTIC_EXEMPT, "eservice_non_union_oss",
                              country=Country(there), **where)
            return replace(decision, oss=True)
        decision = _taxed(there, code, on, NON_EU_ESERVICE_UNREGISTERED, DOMESTIC_EXEMPT,
                          "eservice_destination", country=Country(there), **where)
        if there in seller.registrations:
            return decision
        return replace(decision, warning=Text(NON_EU_MUST_REGISTER, buyer=Country(there)))
    return _taxed(home, code, on, SERVICE_HOME, DOMESTIC_EXEMPT, "service_home", country=Country(home), **where)


def _explained(decision: Decision, explanation: Text) -> Decision:
    return replace(decision, explanation=explanation)


def _small_business(seller: Seller, decision: Decision) -> Decision:
    """The small-business exemption covers what would be taxed in the seller's own country (and its
    intra-Community supplies); what is taxed elsewhere (reverse charge, destination, exports) is left as it is."""
    at_home = decision.category in ("S", "Z") and decision.jurisdiction == seller.country
    if not (at_home or decision.category == "K"):
        return decision
    return Decision("E", Decimal(0), seller.country, Text(SMALL_BUSINESS, seller=Country(seller.country)),
                    SME_NOTES.get(seller.country, SME_NOTE), "", "SMALL_BUSINESS", "small_business")
