"""EN 16931 VAT categories and the usual rates a new organization starts with."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from webapp.domain.units import _n

# EN 16931 VAT category codes (UNCL5305 subset) and what they mean to a shop owner.
CATEGORIES = {  # labels: translated where shown
    "S": _n("Standard rate"),
    "Z": _n("Zero rated"),
    "E": _n("Exempt"),
    "AE": _n("Reverse charge"),
    "K": _n("Intra-EU supply"),
    "G": _n("Export outside the EU"),
    "O": _n("Outside the scope of VAT"),
    "L": _n("Canary Islands tax (IGIC)"),
    "M": _n("Ceuta and Melilla tax (IPSI)"),
    "B": _n("Transferred VAT (split payment)"),
}
# Every EN 16931 VAT category code (UNCL5305 subset): what the database accepts (CHECK constraints, migration
# 0010), the calculator, the tax rates and the documents.
TAX_CATEGORIES = tuple(CATEGORIES)
# EN 16931 document-level allowances (BG-20, e.g. a discount) and charges (BG-21, e.g. shipping)
ADJUSTMENT_KINDS = ("allowance", "charge")
# Categories whose rate is 0 by definition.
ZERO_CATEGORIES = {"Z", "E", "AE", "K", "G", "O"}
# Categories whose rate is above 0: S (a zero rate is Z); L, whose lines, allowances and charges the CEN rules for
# CII require above 0 (BR-AF-05 to 07: IGIC's own zero rate cannot be stated there); B, the Italian VAT the
# public buyer pays over itself (split payment). M (IPSI) takes 0 or more (BR-AG-05 to 07).
POSITIVE_CATEGORIES = {"S", "L", "B"}
# EN 16931 business rules on the exemption reason of a VAT breakdown (BR-x-10): required for the exemptions,
# forbidden for S, Z, L (BR-AF-10) and M (BR-AG-10). B has no rule: its note (e.g. the Italian "scissione dei
# pagamenti, art. 17-ter DPR 633/1972") is printed on documents, and is no exemption reason in the e-invoice.
NOTE_REQUIRED = {"E", "AE", "K", "G", "O"}
NOTE_FORBIDDEN = {"S", "Z", "L", "M"}

REVERSE_CHARGE_NOTE = _n("Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive "
                         "2006/112/EC).")
INTRA_EU_NOTE = _n("Intra-Community supply of goods, exempt from VAT (Article 138, Council Directive 2006/112/EC).")
EXPORT_NOTE = _n("Export outside the EU, exempt from VAT (Article 146, Council Directive 2006/112/EC).")

EU_MEMBER_STATES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}


@dataclass(frozen=True)
class RateTemplate:
    name: str
    percent: Decimal
    category: str
    note: str = ""
    default: bool = False


def _rates(standard: str, *reduced: str) -> list[RateTemplate]:
    rates = [RateTemplate(f"Standard {standard} %", Decimal(standard), "S", default=True)]
    rates += [RateTemplate(f"Reduced {r} %", Decimal(r), "S") for r in reduced]
    return rates


NATIONAL_RATES: dict[str, list[RateTemplate]] = {
    "DE": _rates("19", "7") + [RateTemplate("Zero rate 0 %", Decimal("0"), "Z")],
    "AT": _rates("20", "13", "10"),
    "FR": _rates("20", "10", "5.5", "2.1"),
    "NL": _rates("21", "9"),
    "BE": _rates("21", "12", "6"),
    "IT": _rates("22", "10", "5", "4"),
    "ES": _rates("21", "10", "4"),
    "GB": _rates("20", "5") + [RateTemplate("Zero rate 0 %", Decimal("0"), "Z")],
    "US": [RateTemplate("No sales tax", Decimal("0"), "O", "Not subject to sales tax.", default=True)],
}


def default_rates(country: str) -> list[RateTemplate]:
    """The rates a new organization in ``country`` starts with: national rates, then the 0 % special cases."""
    rates = list(NATIONAL_RATES.get(country, []))
    if not rates:
        rates.append(RateTemplate("Zero rate 0 %", Decimal("0"), "Z", default=True))
    rates.append(RateTemplate("Reverse charge", Decimal("0"), "AE", REVERSE_CHARGE_NOTE))
    if country in EU_MEMBER_STATES:
        rates.append(RateTemplate("Intra-EU supply", Decimal("0"), "K", INTRA_EU_NOTE))
    rates.append(RateTemplate("Export", Decimal("0"), "G", EXPORT_NOTE))
    return rates
