"""EN 16931 reason codes of allowances and charges (document level BT-98 / BT-105, line level BT-140 / BT-145).

Allowances: UNTDID 5189, the codes EN 16931 allows. Charges: UNTDID 7161, the codes a shop commonly needs (the
full list has several hundred; more can be added here). Names in English, translated where they are shown.
"""
from __future__ import annotations

from webapp.domain.units import _n

# UNTDID 5189 (the EN 16931 subset): allowance reason codes
ALLOWANCE_REASONS: dict[str, str] = {
    "41": _n("Bonus for works ahead of schedule"),
    "42": _n("Other bonus"),
    "60": _n("Manufacturer's consumer discount"),
    "62": _n("Due to military status"),
    "63": _n("Due to work accident"),
    "64": _n("Special agreement"),
    "65": _n("Production error discount"),
    "66": _n("New outlet discount"),
    "67": _n("Sample discount"),
    "68": _n("End-of-range discount"),
    "70": _n("Incoterm discount"),
    "71": _n("Point of sales threshold allowance"),
    "88": _n("Material surcharge/deduction"),
    "95": _n("Discount"),
    "100": _n("Special rebate"),
    "102": _n("Fixed long term"),
    "103": _n("Temporary"),
    "104": _n("Standard"),
    "105": _n("Yearly turnover"),
}

# UNTDID 7161: common charge reason codes
CHARGE_REASONS: dict[str, str] = {
    "AA": _n("Advertising"),
    "AAA": _n("Telecommunication"),
    "AAC": _n("Technical modification"),
    "AAD": _n("Job-order production"),
    "AAE": _n("Outlays"),
    "AAF": _n("Off-premises"),
    "AAH": _n("Additional processing"),
    "AAI": _n("Attesting"),
    "AAS": _n("Acceptance"),
    "AAT": _n("Rush delivery"),
    "AAV": _n("Special construction"),
    "ABA": _n("Compulsory storage"),
    "ABD": _n("Overtime"),
    "ABF": _n("Tooling"),
    "ABK": _n("Miscellaneous"),
    "ABL": _n("Additional packaging"),
    "ADR": _n("Other services"),
    "ADT": _n("Pick-up"),
    "CAE": _n("Certification"),
    "DL": _n("Delivery"),
    "FC": _n("Freight service"),
    "FI": _n("Financing"),
    "IN": _n("Insurance"),
    "LA": _n("Labelling"),
    "PC": _n("Packing"),
    "SH": _n("Special handling"),
    "TAC": _n("Testing"),
}

REASONS = {"allowance": ALLOWANCE_REASONS, "charge": CHARGE_REASONS}


def reason_name(kind: str, code: str) -> str:
    """The code's English name ("" for no code or one not in the list)."""
    return REASONS.get(kind, {}).get(code or "", "")
