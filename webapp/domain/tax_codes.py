"""Product tax codes: what a product is for VAT, in the form of seed 000/001 (``D10000000`` digital goods/SaaS,
``S10000000`` services, ``P00000000`` general goods).

A code says two things the rules (``webapp/domain/vat_rules.py``) need:

- its **kind**, which decides the place of supply: ``goods`` (Articles 31-33, 138, 146 of Council Directive
  2006/112/EC), ``service`` (the general rule, Articles 44/45), ``electronic`` (electronically supplied,
  telecom and broadcasting services, Article 58: B2C at the customer's place), ``local`` (services taxed where
  they are performed: passenger transport Article 48, accommodation Article 47, restaurant Article 55; the
  rules assume the seller performs them in its own country) and ``exempt`` (Articles 132 and 135: no VAT);
- its **rate class**, the column of the rate table (``webapp/domain/vat_rates.csv``) that gives the rate.

The list (documented in docs/vat-rules.md):

====================  ================================================  ===========  ===================
code                  what                                              kind         rate class
====================  ================================================  ===========  ===================
P00000000             physical goods (general)                          goods        standard
P10000000             food for human consumption                        goods        food
P20000000             printed books                                     goods        books
P21000000             printed newspapers and periodicals                goods        newspapers
P30000000             pharmaceuticals (medicines)                       goods        pharmaceuticals
S10000000             services (general)                                service      standard
S20000000             passenger transport                               local        passenger_transport
S30000000             accommodation (hotels, holiday lets)              local        accommodation
S40000000             restaurant and catering services                  local        restaurant
S50000000             exempt: medical care                              exempt       (none)
S51000000             exempt: education and training                    exempt       (none)
S52000000             exempt: financial and insurance services          exempt       (none)
D10000000             electronically supplied services (SaaS, digital   electronic   standard
                      goods, downloads)
D20000000             e-books and audiobooks                            electronic   ebooks
D21000000             digital newspapers and periodicals                electronic   newspapers
D30000000             telecommunications and broadcasting services      electronic   standard
====================  ================================================  ===========  ===================
"""
from __future__ import annotations

from dataclasses import dataclass

from webapp.domain.units import _n

KINDS = ("goods", "service", "electronic", "local", "exempt")
RATE_CLASSES = ("standard", "food", "books", "ebooks", "newspapers", "pharmaceuticals", "passenger_transport",
                "accommodation", "restaurant")


@dataclass(frozen=True)
class TaxCode:
    code: str
    label: str  # English, marked for translation: translated where shown
    kind: str
    rate_class: str = "standard"  # the column of the rate table ("" for exempt services)
    vatex: str = ""  # EN 16931 exemption reason code (BT-121) of an exempt service
    exemption_note: str = ""  # its legal notice


MEDICAL_NOTE = _n("Exempt from VAT: medical care (Article 132(1)(c), Council Directive 2006/112/EC).")
EDUCATION_NOTE = _n("Exempt from VAT: education (Article 132(1)(i), Council Directive 2006/112/EC).")
FINANCIAL_NOTE = _n("Exempt from VAT: financial and insurance services (Article 135(1), Council Directive "
                    "2006/112/EC).")

TAX_CODES: dict[str, TaxCode] = {c.code: c for c in (
    TaxCode("P00000000", _n("Physical goods"), "goods"),
    TaxCode("P10000000", _n("Food"), "goods", "food"),
    TaxCode("P20000000", _n("Printed books"), "goods", "books"),
    TaxCode("P21000000", _n("Printed newspapers and periodicals"), "goods", "newspapers"),
    TaxCode("P30000000", _n("Pharmaceuticals"), "goods", "pharmaceuticals"),
    TaxCode("S10000000", _n("Services"), "service"),
    TaxCode("S20000000", _n("Passenger transport"), "local", "passenger_transport"),
    TaxCode("S30000000", _n("Accommodation"), "local", "accommodation"),
    TaxCode("S40000000", _n("Restaurant and catering"), "local", "restaurant"),
    TaxCode("S50000000", _n("Medical care (exempt)"), "exempt", "", "VATEX-EU-132-1C", MEDICAL_NOTE),
    TaxCode("S51000000", _n("Education (exempt)"), "exempt", "", "VATEX-EU-132-1I", EDUCATION_NOTE),
    TaxCode("S52000000", _n("Financial and insurance services (exempt)"), "exempt", "", "VATEX-EU-135-1",
            FINANCIAL_NOTE),
    TaxCode("D10000000", _n("Electronically supplied services (SaaS, digital goods)"), "electronic"),
    TaxCode("D20000000", _n("E-books and audiobooks"), "electronic", "ebooks"),
    TaxCode("D21000000", _n("Digital newspapers and periodicals"), "electronic", "newspapers"),
    TaxCode("D30000000", _n("Telecommunications and broadcasting"), "electronic"),
)}

DEFAULT_TAX_CODE = "S10000000"  # an organization's default until it picks its own


def tax_code(code: str) -> TaxCode:
    """The code's definition; ``KeyError`` for an unknown code (the caller refuses it with a message)."""
    return TAX_CODES[code.strip().upper()]
