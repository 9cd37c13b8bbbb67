"""Languages: members read the app in theirs, customers read documents in theirs.

The app's own screens, messages and e-mails to members speak the member's language (``ui_language``): the
user's setting (Account), else the browser's ``Accept-Language``, else the organization's locale; English,
German and French, from the message catalogs under ``translations/``. Messages of the domain (``ActionError``,
``Text``) are English templates; ``translate_text`` (installed at start) reads them in that language.

Everything a customer receives is rendered inside
``customer_language(locale)``: labels come from the message catalogs under ``translations/``
(English, German, French; other languages fall back to English), and amounts, numbers and dates
are formatted by Babel in the customer's locale (``de_AT`` formats as Austria does). This module is the one
place amounts, numbers and dates are formatted: templates (filters), e-mails and PDFs all use it.

Members read and type numbers and dates in their locale: ``member_locale()`` (``locale_for``: the
organization's locale, or the language the member chose with the organization's country), the default of the ``money``, ``price``, ``number`` and ``day`` filters and the locale the forms'
number fields (``contact_form.DecimalText``) parse and show numbers in.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, get_decimal_symbol
from flask import has_app_context, has_request_context, request
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user

from webapp.domain.errors import Amount, Country, Text, fill
from webapp.domain.money import from_minor
from webapp.domain.timezones import zone
from webapp.tenancy import load_current_membership

# Languages with a message catalog; a customer in another language reads English labels.
DOCUMENT_LANGUAGES = ("en", "de", "fr")
# The languages a member may choose (Account), each named in itself.
UI_LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français"}


def _language_of(locale: str | None) -> str:
    return (locale or "").replace("-", "_").split("_")[0].lower()


def is_api_request() -> bool:
    """A request to the JSON API (/api/...): it speaks to programs, whatever session cookie came along."""
    return request.path.startswith("/api/")


def ui_language() -> str:
    """The language the app speaks to whoever makes the request (Flask-Babel's locale selector): the user's
    setting, else the best of the browser's Accept-Language, else the organization's locale, else English."""
    if not has_request_context():
        return "en"
    if is_api_request():  # a program: the language it asks for, else English; never a browser session's
        return request.accept_languages.best_match(tuple(UI_LANGUAGES)) or "en"
    if current_user.is_authenticated and current_user.language in UI_LANGUAGES:
        return current_user.language
    best = request.accept_languages.best_match(tuple(UI_LANGUAGES))
    if best:
        return best
    if current_user.is_authenticated:
        membership = load_current_membership()
        language = _language_of(membership.organization.locale if membership else "")
        if language in UI_LANGUAGES:
            return language
    return "en"


def user_language(user, org=None) -> str:
    """The language an e-mail to a member is written in: the user's setting, else the language of the
    organization's locale (``org``, else the user's first organization), else English. Without a user (an
    invitation to someone without an account): the language the app speaks now (the inviter's), else English."""
    if user is None:
        language = str(get_locale() or "en") if has_request_context() else "en"
        return language if language in UI_LANGUAGES else "en"
    if getattr(user, "language", "") in UI_LANGUAGES:
        return user.language
    if org is None:
        memberships = sorted(getattr(user, "memberships", None) or [], key=lambda m: m.id or 0)
        org = memberships[0].organization if memberships else None
    language = _language_of(getattr(org, "locale", "") or "")
    return language if language in UI_LANGUAGES else "en"


def document_locale(doc, org=None) -> str:
    """The locale a document speaks: its buyer's (frozen at issue), else the seller's, else English."""
    if doc.buyer or doc.seller:  # issued: the copies frozen then
        buyer_locale, seller_locale = (doc.buyer or {}).get("locale"), (doc.seller or {}).get("locale")
    else:  # a draft: the customer and the organization as they are now
        buyer_locale = doc.contact.locale if doc.contact is not None else ""
        seller_locale = org.locale if org is not None else ""
    return buyer_locale or seller_locale or "en"


def locale_for(org=None, user=None) -> str:
    """The locale a member reads and types numbers and dates in: the organization's (``Organization.locale``,
    e.g. de_DE), unless the member chose another language: then that language as written in the organization's
    country where Babel knows it (fr_CH for a Swiss organization), else the language's own (fr). English without
    either. The one place that decides it."""
    org_locale = (getattr(org, "locale", "") or "") or "en"
    language = getattr(user, "language", "") or ""
    if not language or language == _language_of(org_locale):
        return org_locale
    territory = org_locale.replace("-", "_").partition("_")[2]
    return _known_locale(f"{language}_{territory}") if territory else language


@lru_cache(maxsize=64)
def _known_locale(candidate: str) -> str:
    try:
        Locale.parse(candidate)
        return candidate
    except (ValueError, UnknownLocaleError):
        return candidate.split("_")[0]


def member_locale() -> str:
    """``locale_for`` the logged-in member in the current organization; English outside a request (e-mails and
    PDFs pass their locale explicitly) and for visitors."""
    if not has_request_context():
        return "en"
    if is_api_request():  # numbers in the API's messages: as its language writes them
        return ui_language()
    if not current_user.is_authenticated:
        return "en"
    membership = load_current_membership()
    return locale_for(membership.organization if membership else None, current_user)


def translate_text(template: str, params: dict) -> str:
    """A domain message (``Text``) in the reader's language: the template from the catalog, its values formatted
    in the member's locale (amounts, numbers, dates), nested Texts translated in turn. English outside an app."""
    number_locale = member_locale()  # English outside a request

    def show(value) -> str:
        if isinstance(value, Text):
            return str(value)
        if isinstance(value, Amount):
            return format_money(value.minor, value.currency, number_locale)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, (int, Decimal)):
            return format_number(Decimal(value), number_locale)
        if isinstance(value, date):
            return format_day(value, number_locale)
        if isinstance(value, Country):
            from flask_babel import get_locale  # the language being read (a forced one too)

            return value.name(str(get_locale() or "en") if has_app_context() else "en")
        return str(value)

    return fill(gettext(template) if has_app_context() else template, params, show)


@contextmanager
def customer_language(locale: str):
    with force_locale(locale or "en"):
        yield


def document_text(doc, org, message: str, **params) -> str:
    """A text Tallybook writes into a document (a credit note's line, a default discount reason) in the language the
    document speaks (``document_locale``), stored as written: the customer reads it in their language."""
    with customer_language(document_locale(doc, org)):
        return gettext(message, **params)


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
