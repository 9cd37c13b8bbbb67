"""Units of measure and their UN/ECE Recommendation 20 codes (used in e-invoices)."""
from __future__ import annotations



def _n(text: str) -> str:
    """Marks a label for the message catalogs (pybabel extracts ``_n``); translated where it is shown."""
    return text


# key -> (label, UN/ECE Rec. 20 code)
UNITS: dict[str, tuple[str, str]] = {
    "piece": (_n("piece"), "H87"),
    "unit": (_n("unit"), "C62"),
    "hour": (_n("hour"), "HUR"),
    "minute": (_n("minute"), "MIN"),
    "day": (_n("day"), "DAY"),
    "week": (_n("week"), "WEE"),
    "month": (_n("month"), "MON"),
    "year": (_n("year"), "ANN"),
    "kg": ("kg", "KGM"),
    "g": ("g", "GRM"),
    "t": (_n("tonne"), "TNE"),
    "m": ("m", "MTR"),
    "km": ("km", "KMT"),
    "m2": ("m²", "MTK"),
    "m3": ("m³", "MTQ"),
    "l": (_n("litre"), "LTR"),
    "set": (_n("set"), "SET"),
    "package": (_n("package"), "XPK"),
    "lump_sum": (_n("lump sum"), "LS"),
}


def unece_code(unit: str) -> str:
    return UNITS[unit][1]
