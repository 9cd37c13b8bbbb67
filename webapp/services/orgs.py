"""Organizations: creation with sensible defaults, settings, number series."""
from __future__ import annotations

from datetime import date

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import get_territory_currencies
from sqlalchemy import select

from webapp.domain.numbering import NumberFormatError, parse_format
from webapp.domain.roles import OWNER
from webapp.domain.tax import EU_MEMBER_STATES
from webapp.domain.timezones import default_timezone
from webapp.extensions import db
from webapp.models import Membership, NumberCounter, NumberSeries, Organization, User
from webapp.models.numbering import DEFAULT_FORMATS, DOCUMENT_KINDS
from webapp.services import audit, catalog


def defaults_for_country(country: str) -> dict:
    """Currency, locale and time zone a business in ``country`` most likely uses, and whether its PDFs carry the
    Factur-X e-invoice (an EU standard: on in the EU, off elsewhere, where a seller may lack what EN 16931
    requires, e.g. a VAT ID or registration number for BR-CO-26; Settings turns it on)."""
    currency, locale = "EUR", "en"
    if country:
        currencies = get_territory_currencies(country, date.today())
        if currencies:
            currency = currencies[0]
        try:
            likely = Locale.parse(f"und_{country}")
            locale = f"{likely.language}_{country}"
            Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            locale = "en"
    return {"currency": currency, "locale": locale, "time_zone": default_timezone(country),
            "facturx_enabled": country in EU_MEMBER_STATES}


def create_organization(name: str, country: str, owner: User) -> Organization:
    org = Organization(name=name.strip(), legal_name=name.strip(), country=country, **defaults_for_country(country))
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(org_id=org.id, user_id=owner.id, role=OWNER))
    for kind in DOCUMENT_KINDS:
        db.session.add(NumberSeries(org_id=org.id, kind=kind, format=DEFAULT_FORMATS[kind], reset_yearly=True))
    db.session.flush()
    catalog.add_default_tax_rates(org)
    audit.record(org, owner, "organization.created", org, summary=f"{owner.email} created {org.name}")
    return org


def series_of(org: Organization) -> dict[str, NumberSeries]:
    rows = db.session.scalars(select(NumberSeries).where(NumberSeries.org_id == org.id))
    return {s.kind: s for s in rows}


def peek_next_number(series: NumberSeries, pattern: str, reset_yearly: bool, on: date) -> str:
    """The number the next document of ``series`` would get with this format, without taking it."""
    fmt = parse_format(pattern, reset_yearly)
    period = on.year if reset_yearly else 0
    last = None
    if series.id is not None:
        last = db.session.scalar(
            select(NumberCounter.last_value).where(NumberCounter.series_id == series.id, NumberCounter.period == period)
        )
    return fmt.render((last or 0) + 1, on)


def number_preview(series: NumberSeries, pattern: str, reset_yearly: bool, on: date) -> dict:
    """For the settings page: ``{"number": ..., "error": ""}``, or the format's mistake in ``error``."""
    try:
        return {"number": peek_next_number(series, pattern, reset_yearly, on), "error": ""}
    except NumberFormatError as exc:
        return {"number": "", "error": str(exc)}
