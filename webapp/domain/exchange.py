"""Exchange rates stated on a document (EN 16931 BT-6 / BT-111): an invoice in another currency than the seller's
states its VAT total in the seller's accounting currency too, at the rate the invoice names. Pure Python.

A rate reads "1 unit of the document's currency = ``rate`` units of the organization's currency" (1 GBP = 1.1712
EUR), with at most six decimals, above 0.
"""
from __future__ import annotations

from decimal import Decimal

from webapp.domain.errors import ActionError
from webapp.domain.money import from_minor, round_money, to_minor

RATE_PLACES = 6
MAX_RATE = Decimal(1_000_000)  # 1 KWD is some 85,000 VND; the converted VAT must fit the minor units' integers


def check_rate(rate: Decimal | None, field: str = "exchange_rate") -> Decimal | None:
    """``rate`` as it is stored (None: none), or ActionError saying what is wrong with it."""
    if rate is None:
        return None
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        raise ActionError("invalid_exchange_rate", "Enter an exchange rate above 0 and below {max}.", field,
                          max=MAX_RATE)
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_PLACES:
        raise ActionError("exchange_rate_precision", "An exchange rate has at most {places} decimal places.", field,
                          places=RATE_PLACES)
    return rate


def converted(minor: int, currency: str, rate: Decimal | None, to_currency: str | None) -> int | None:
    """``minor`` units of ``currency`` in ``to_currency`` at ``rate``, rounded half-up to its minor units; None
    without a rate, or when the currencies are the same (nothing to convert)."""
    if rate is None or not to_currency or to_currency == currency:
        return None
    return to_minor(round_money(from_minor(minor, currency) * rate, to_currency), to_currency)
