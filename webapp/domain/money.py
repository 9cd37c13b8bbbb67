"""Money: currency precision from Babel, half-up rounding, minor units. Pure Python, no floats."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies


class MoneyError(ValueError):
    """Money input that cannot be used (unknown currency, not a finite Decimal...)."""


@lru_cache(maxsize=512)
def precision(currency: str) -> int:
    """Decimal places of ``currency`` (EUR 2, JPY 0, BHD 3). Unknown codes raise MoneyError."""
    if not isinstance(currency, str) or currency.upper() != currency or currency not in list_currencies():
        raise MoneyError(f"Unknown currency {currency!r}: use an ISO 4217 code such as EUR.")
    return get_currency_precision(currency)


@lru_cache(maxsize=512)
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up, away from zero, to the currency's precision."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """12.34 EUR -> 1234. The amount must already be rounded to the currency's precision."""
    scaled = amount.scaleb(precision(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {currency} allows.")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return (Decimal(minor).scaleb(-precision(currency))).quantize(quantum(currency))
