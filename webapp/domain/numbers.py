"""Parsing the numbers people type: exact Decimals, never floats.

A number is read in the member's locale first (Babel's strict parsing: ``1.299,00`` and ``1299,00`` in
de_DE, ``1,299.00`` and ``1299.00`` in en), then in the plain form every locale also accepts (``1299.00``,
or ``1299,00`` with a comma as the decimal separator, without thousands separators).

Text that both forms read, as different numbers, is refused, never guessed: in de_DE ``1.299`` is 1299 to Babel
(a German's thousands separator) and 1.299 in the plain form (a point as the decimal separator), a factor of
1000 apart, so the member is asked to write ``1299`` or ``1,299``; likewise ``1,299`` in en (1299 or 1.299).
``1.29``, ``1.2995`` or ``12.5`` in de_DE are no German groupings and read as the plain decimals, ``1.299.000``
and ``1.299,00`` only as German numbers. ``tests/unit/test_numbers.py`` pins this.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.core import UnknownLocaleError
from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol
from babel.numbers import parse_decimal as babel_parse_decimal

from webapp.domain.errors import Text

NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
SPACES = (" ", "\u00a0", "\u202f", "\u2009")  # typed or pasted between digit groups (fr writes 1 299,00)


def _in_locale(raw: str, locale: str) -> Decimal | None:
    """``raw`` read strictly as ``locale`` writes numbers; None when it is not such a number."""
    try:
        allowed = set("0123456789+-") | {get_group_symbol(locale), get_decimal_symbol(locale)}
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if not set(raw) <= allowed:  # Babel hands the rest to Decimal(), which reads 1e5, NaN, Infinity, 1_000
        return None
    try:
        value = babel_parse_decimal(raw, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _plain(raw: str) -> Decimal | None:
    """``raw`` in the plain form every locale accepts: digits with a point or a comma as the decimal separator and
    no thousands separators (1299.00, 1299,00, .5); None otherwise."""
    if not NUMBER_RE.match(raw):
        return None
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses these
        return None


def _example(locale: str | None) -> str:
    try:
        return format_decimal(Decimal("1299.00"), "#,##0.00", locale=locale) if locale else ""
    except (UnknownLocaleError, ValueError, TypeError):
        return ""


def _in_digits(value: Decimal, locale: str) -> str:
    """``value`` as an input shows it in ``locale``: its decimal separator, no thousands separators."""
    return format_decimal(value, format="0", locale=locale, decimal_quantization=False)


def as_plain_number(text: str, locale: str | None) -> str:
    """A number typed as ``locale`` writes it ("12,5" in de_DE) as plain digits ("12.5"), for a rule that reads
    plain decimals; text that is no such number comes back unchanged (that rule then says what is wrong)."""
    raw = (text or "").strip()
    value = _in_locale(raw, locale) if locale else None
    if value is None:
        value = _plain(raw)
    return str(value) if value is not None else text


# what any typed or imported number may reach (quantities, prices, amounts): their integer part has at most 12 digits
MAX_INTEGER_DIGITS = 12


def parse_decimal(text: str, places: int = 4, *, allow_negative: bool = True,
                  max_integer_digits: int = MAX_INTEGER_DIGITS,
                  locale: str | None = None) -> Decimal:
    """Parse ``text`` ("12.5", "12,50", " -3 "; with ``locale`` also "1.299,00" in de_DE) into a Decimal with at
    most ``places`` decimals. Text that reads as two different numbers (``1.299`` in de_DE) is refused.

    Raises ValueError with a message for the person who typed it.
    """
    raw = (text or "").strip()
    for space in SPACES:
        raw = raw.replace(space, "")
    if not raw:
        raise ValueError(Text("Enter a number."))
    local = _in_locale(raw, locale) if locale else None
    plain = _plain(raw)
    if local is not None and plain is not None and local != plain:
        raise ValueError(Text("{text} can be read two ways: write {one} or {other}.", text=text.strip(),
                              one=_in_digits(local, locale), other=_in_digits(plain, locale)))
    value = local if local is not None else plain
    if value is None:
        if "," in raw and "." in raw:
            example = _example(locale)
            raise ValueError(Text("Write the number as {example} or 1299.00.", example=example) if example else
                             Text("Use either a point or a comma as decimal separator, without thousands separators."))
        raise ValueError(Text("{text} is not a number.", text=text.strip()))
    if not allow_negative and value < 0:
        raise ValueError(Text("Enter a number that is not negative."))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(Text("Use at most {places} decimal places.", places=places))
    if abs(value) >= Decimal(10) ** max_integer_digits:
        raise ValueError(Text("This number is too large."))
    return value
