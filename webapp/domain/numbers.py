"""Parsing the numbers people type: exact Decimals, never floats."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_decimal(text: str, places: int = 4, *, allow_negative: bool = True, max_integer_digits: int = 12) -> Decimal:
    """Parse ``text`` ("12.5", "12,50", " -3 ") into a Decimal with at most ``places`` decimals.

    Raises ValueError with a message for the person who typed it.
    """
    raw = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not raw:
        raise ValueError("Enter a number.")
    if "," in raw and "." in raw:
        raise ValueError("Use either a point or a comma as decimal separator, without thousands separators.")
    if not NUMBER_RE.match(raw):
        raise ValueError(f"{text.strip()} is not a number.")
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already refuses these
        raise ValueError(f"{text.strip()} is not a number.") from exc
    if not allow_negative and value < 0:
        raise ValueError("Enter a number that is not negative.")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"Use at most {places} decimal places.")
    if abs(value) >= Decimal(10) ** max_integer_digits:
        raise ValueError("This number is too large.")
    return value
