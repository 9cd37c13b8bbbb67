"""Units of measure and their UN/ECE Recommendation 20 codes (used in e-invoices)."""
from __future__ import annotations

# key -> (label, UN/ECE Rec. 20 code)
UNITS: dict[str, tuple[str, str]] = {
    "piece": ("piece", "H87"),
    "unit": ("unit", "C62"),
    "hour": ("hour", "HUR"),
    "minute": ("minute", "MIN"),
    "day": ("day", "DAY"),
    "week": ("week", "WEE"),
    "month": ("month", "MON"),
    "year": ("year", "ANN"),
    "kg": ("kg", "KGM"),
    "g": ("g", "GRM"),
    "t": ("tonne", "TNE"),
    "m": ("m", "MTR"),
    "km": ("km", "KMT"),
    "m2": ("m²", "MTK"),
    "m3": ("m³", "MTQ"),
    "l": ("litre", "LTR"),
    "set": ("set", "SET"),
    "package": ("package", "XPK"),
    "lump_sum": ("lump sum", "LS"),
}


def unece_code(unit: str) -> str:
    return UNITS[unit][1]
