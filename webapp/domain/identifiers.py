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
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

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


def _reason(exc: Exception) -> str:
    return str(exc).rstrip(".").lower() or "check the digits"


def normalize_country(value: str) -> str:
    code = (value or "").strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("Choose a country from the list (ISO 3166 code such as DE or FR).")
    return code


def normalize_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in list_currencies():
        raise ValueError("Choose a currency from the list (ISO 4217 code such as EUR).")
    return code


def normalize_locale(value: str) -> str:
    code = (value or "").strip()
    if code not in SUPPORTED_LOCALES:
        raise ValueError("Choose a language from the list.")
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError("Choose a language from the list.") from exc
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
        raise ValueError(f"{raw} is not a VAT ID: use letters and digits only.")
    prefix = compact[:2].lower()
    if prefix.isalpha():
        if prefix in eu_vat.MEMBER_STATES or prefix == "el":
            if not eu_vat.is_valid(compact):
                raise ValueError(f"{raw} is not a valid VAT ID for {prefix.upper()}: check the digits.")
            return eu_vat.compact(compact)
        module = get_cc_module(prefix, "vat")
        if module is None:
            raise ValueError(f"{prefix.upper()} is not a country whose VAT IDs can be checked; "
                             "enter the number with the right country prefix.")
        try:
            module.validate(compact)
        except ValidationError as exc:
            raise ValueError(f"{raw} is not a valid VAT ID for {prefix.upper()}: {_reason(exc)}.") from exc
        return compact
    country = (country or "").lower()
    if not country:
        raise ValueError("Enter the VAT ID with its country prefix, e.g. DE123456789.")
    candidate = ("EL" if country == "gr" else country.upper()) + compact
    if country in eu_vat.MEMBER_STATES:
        if not eu_vat.is_valid(candidate):
            raise ValueError(f"{raw} is not a valid VAT ID for {country.upper()}: check the digits.")
        return candidate
    module = get_cc_module(country, "vat")
    if module is None:
        raise ValueError(f"There are no VAT IDs to check for {country.upper()}; use the tax number field instead.")
    try:
        module.validate(compact)
    except ValidationError as exc:
        raise ValueError(f"{raw} is not a valid VAT ID for {country.upper()}: {_reason(exc)}.") from exc
    return module.compact(compact)


def normalize_iban(value: str) -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return stdnum_iban.validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{raw} is not a valid IBAN: {_reason(exc)}.") from exc


def normalize_bic(value: str) -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return stdnum_bic.validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{raw} is not a valid BIC: {_reason(exc)}.") from exc


def format_iban(value: str) -> str:
    return stdnum_iban.format(value) if value else ""
