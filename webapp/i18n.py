"""The customer's language: PDFs, the customer's page and invoice e-mails speak it.

The app's own screens are English. Everything a customer receives is rendered inside
``customer_language(locale)``: labels come from the message catalogs under ``translations/``
(English, German, French; other languages fall back to English), and amounts, numbers and dates
are formatted by Babel in the customer's locale (``de_AT`` formats as Austria does). This module is the one
place amounts, numbers and dates are formatted: templates (filters), e-mails and PDFs all use it.

Members read and type numbers and dates in their locale: ``member_locale()`` (today the organization's,
``locale_for``), the default of the ``money``, ``price``, ``number`` and ``day`` filters and the locale the forms'
number fields (``contact_form.DecimalText``) parse and show numbers in.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, get_decimal_symbol
from flask import has_request_context
from flask_babel import force_locale
from flask_login import current_user

from webapp.domain.money import from_minor
from webapp.domain.timezones import zone
from webapp.tenancy import load_current_membership

# Languages with a message catalog; a customer in another language reads English labels.
DOCUMENT_LANGUAGES = ("en", "de", "fr")


def document_locale(doc, org=None) -> str:
    """The locale a document speaks: its buyer's (frozen at issue), else the seller's, else English."""
    if doc.buyer or doc.seller:  # issued: the copies frozen then
        buyer_locale, seller_locale = (doc.buyer or {}).get("locale"), (doc.seller or {}).get("locale")
    else:  # a draft: the customer and the organization as they are now
        buyer_locale = doc.contact.locale if doc.contact is not None else ""
        seller_locale = org.locale if org is not None else ""
    return buyer_locale or seller_locale or "en"


def locale_for(org=None, user=None) -> str:
    """The locale a member reads and types numbers and dates in: today the organization's (``Organization.locale``,
    e.g. de_DE), English without one. The one place that decides it (a per-user language setting goes here)."""
    return (getattr(org, "locale", "") or "") or "en"


def member_locale() -> str:
    """``locale_for`` the logged-in member in the current organization; English outside a request (e-mails and
    PDFs pass their locale explicitly) and for visitors."""
    if not has_request_context() or not current_user.is_authenticated:
        return "en"
    membership = load_current_membership()
    return locale_for(membership.organization if membership else None, current_user)


@contextmanager
def customer_language(locale: str):
    with force_locale(locale or "en"):
        yield


def format_day(value: date | None, locale: str) -> str:
    """A date as the locale writes it: 21.11.2026 (de), 21 nov. 2026 (fr), Nov 21, 2026 (en)."""
    return format_date(value, "medium", locale=locale or "en") if value else ""


def format_moment(value: datetime | None, time_zone: str, locale: str, part: str = "datetime") -> str:
    """A stored (UTC) moment in a time zone, as the locale writes it: 15.01.2026, 13:00 (de, Europe/Berlin),
    Jan 15, 2026, 1:00 PM (en). ``part``: "datetime", "date" or "time"."""
    if value is None:
        return ""
    local = value.astimezone(zone(time_zone))
    locale = locale or "en"
    day, clock = format_date(local.date(), "medium", locale=locale), format_time(local, "short", locale=locale)
    if part == "date":
        return day
    if part == "time":
        return clock
    return get_datetime_format("medium", locale=locale).format(clock, day)


def format_money(minor: int | None, currency: str, locale: str) -> str:
    """Minor units as a localized amount: 123456, "EUR", "de_DE" -> "1.234,56 €". The amount is exact in minor
    units already (rounded half-up before, never here: Babel would round half-even)."""
    if minor is None:
        return ""
    return format_currency(from_minor(minor, currency), currency, locale=locale or "en", currency_digits=True)


def format_price(value: Decimal | None, currency: str, locale: str) -> str:
    """A unit price (an exact Decimal in major units, up to 6 decimals) as the locale writes an amount: at least
    the currency's decimals, none dropped or rounded: 1299 EUR -> "1.299,00 €", 0.0125 -> "0,0125 €" (de_DE)."""
    if value is None:
        return ""
    return format_currency(value, currency, locale=locale or "en", currency_digits=True, decimal_quantization=False)


def format_number(value: Decimal | None, locale: str, min_places: int = 0, grouping: bool = True) -> str:
    """An exact Decimal in the locale's digits, at least ``min_places`` decimals, none dropped or rounded:
    1299.5 -> "1.299,5" (de_DE); without ``grouping`` "1299,5", as inputs show it."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))  # e.g. a VAT rate kept as text in the frozen breakdown
    if not grouping:  # the digits as they are with the locale's decimal sign (fast: every input of a long draft)
        text = f"{value.normalize():f}"
        if len(text.partition(".")[2]) < min_places:
            text = f"{value:.{min_places}f}"  # only zeros are added
        return text.replace(".", _decimal_symbol(locale or "en"))
    pattern = "#,##0" + ("." + "0" * min_places if min_places else "")
    return format_decimal(value, format=pattern, locale=locale or "en", decimal_quantization=False)


@lru_cache(maxsize=256)
def _decimal_symbol(locale: str) -> str:
    return get_decimal_symbol(locale)


def tax_rate_label(rate, locale: str) -> str:
    """A tax rate as choices and lists name it, its percent in the locale: "Reduced (5,5 %, S)" (de_DE)."""
    return rate.label_with(format_number(rate.percent, locale))


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css(template: str) -> str:
    """A translated "Page {page} of {pages}" as a CSS ``content`` value with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", template)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append(css_string(part))
    return " ".join(out)
