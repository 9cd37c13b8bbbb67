"""Validation of the identifiers businesses type in: VAT IDs, IBAN, BIC, countries, currencies, locales.

Each ``normalize_*`` returns the canonical form or raises ``ValueError`` with a
message meant for the person who typed the value. Validation is delegated to
maintained libraries (python-stdnum, pycountry, Babel).
"""
from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import get_currency_name, list_currencies
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.util import get_cc_module

from webapp.domain.errors import Text

PHONE_RE = r"^[0-9+()\-./ ]*$"  # phone numbers: digits, spaces and + ( ) - / .

# Locales offered for the UI and documents; any Babel locale of these languages formats correctly.
SUPPORTED_LOCALES = (
    "en", "en_GB", "en_US", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_BE", "fr_CH", "nl_NL",
    "nl_BE", "it_IT", "es_ES", "pt_PT", "pl_PL", "cs_CZ", "da_DK", "sv_SE", "fi_FI", "nb_NO",
)


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


@lru_cache(maxsize=1)
def currency_choices() -> list[tuple[str, str]]:
    return sorted((code, f"{code} - {get_currency_name(code, locale='en')}") for code in list_currencies())


@lru_cache(maxsize=1)
def locale_choices() -> list[tuple[str, str]]:
    return [(code, Locale.parse(code).get_display_name("en")) for code in SUPPORTED_LOCALES]


# why python-stdnum refused a number, as a clause after "... is not a valid IBAN:"
REASONS = (
    (InvalidChecksum, Text("the number's checksum or check digit is invalid")),
    (InvalidLength, Text("the number has an invalid length")),
    (InvalidFormat, Text("the number has an invalid format")),
    (InvalidComponent, Text("one of the parts of the number are invalid or unknown")),
)
CHECK_THE_DIGITS = Text("check the digits")


def _reason(exc: Exception) -> Text:
    return next((text for kind, text in REASONS if isinstance(exc, kind)), CHECK_THE_DIGITS)


def normalize_country(value: str) -> str:
    code = (value or "").strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(Text("Choose a country from the list (ISO 3166 code such as DE or FR)."))
    return code


def normalize_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in list_currencies():
        raise ValueError(Text("Choose a currency from the list (ISO 4217 code such as EUR)."))
    return code


def normalize_locale(value: str) -> str:
    """One of SUPPORTED_LOCALES; also written as de-DE, or as a language alone (de: its first locale, de_DE)."""
    code = (value or "").strip().replace("-", "_")
    if "_" in code:
        language, _, territory = code.partition("_")
        code = f"{language.lower()}_{territory.upper()}"
    elif code.lower() != "en":
        code = next((c for c in SUPPORTED_LOCALES if c.split("_")[0] == code.lower()), code)
    if code not in SUPPORTED_LOCALES:
        raise ValueError(Text("Choose a language from the list."))
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(Text("Choose a language from the list.")) from exc
    return code


def normalize_vat_id(value: str, country: str) -> str:
    """Check a VAT ID against the rules of its country (the prefix's or, without one, ``country``'s).

    Returns the compact form with the country prefix, e.g. ``DE136695976``.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s.\-/]", "", raw).upper()
    if not compact.isalnum() or len(compact) > 20:
        raise ValueError(Text("{value} is not a VAT ID: use letters and digits only.", value=raw))
    prefix = compact[:2].lower()
    if prefix.isalpha():
        if prefix in eu_vat.MEMBER_STATES or prefix == "el":
            if not eu_vat.is_valid(compact):
                raise ValueError(Text("{value} is not a valid VAT ID for {country}: check the digits.", value=raw,
                                      country=prefix.upper()))
            return eu_vat.compact(compact)
        module = get_cc_module(prefix, "vat")
        if module is None:
            raise ValueError(Text("{country} is not a country whose VAT IDs can be checked; enter the number with the "
                                  "right country prefix.", country=prefix.upper()))
        try:
            module.validate(compact)
        except ValidationError as exc:
            raise ValueError(Text("{value} is not a valid VAT ID for {country}: {reason}.", value=raw,
                                  country=prefix.upper(), reason=_reason(exc))) from exc
        return compact
    country = (country or "").lower()
    if not country:
        raise ValueError(Text("Enter the VAT ID with its country prefix, e.g. DE123456789."))
    candidate = ("EL" if country == "gr" else country.upper()) + compact
    if country in eu_vat.MEMBER_STATES:
        if not eu_vat.is_valid(candidate):
            raise ValueError(Text("{value} is not a valid VAT ID for {country}: check the digits.", value=raw,
                                  country=country.upper()))
        return candidate
    module = get_cc_module(country, "vat")
    if module is None:
        raise ValueError(Text("There are no VAT IDs to check for {country}; use the tax number field instead.",
                              country=country.upper()))
    try:
        module.validate(compact)
    except ValidationError as exc:
        raise ValueError(Text("{value} is not a valid VAT ID for {country}: {reason}.", value=raw,
                              country=country.upper(), reason=_reason(exc))) from exc
    return module.compact(compact)


def normalize_iban(value: str) -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return stdnum_iban.validate(raw)
    except ValidationError as exc:
        raise ValueError(Text("{value} is not a valid IBAN: {reason}.", value=raw, reason=_reason(exc))) from exc


def normalize_bic(value: str) -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return stdnum_bic.validate(raw)
    except ValidationError as exc:
        raise ValueError(Text("{value} is not a valid BIC: {reason}.", value=raw, reason=_reason(exc))) from exc


def format_iban(value: str) -> str:
    return stdnum_iban.format(value) if value else ""
