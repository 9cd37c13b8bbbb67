"""Organization settings: company details and logo, the invoice e-mail, number formats, VAT (automatic VAT and
the VAT registrations in other countries, docs/vat-rules.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from webapp.domain import identifiers, timezones
from webapp.domain.errors import ActionError, Country, Text, from_value_error
from webapp.domain.numbering import NumberFormatError, parse_format
from webapp.extensions import db
from webapp.models import VatRegistration
from webapp.models.types import utcnow
from webapp.services import audit, automatic_tax, orgs
from webapp.usecases import Actor, load, usecase

COMPANY_FIELDS = (
    "name", "legal_name", "street", "street2", "postal_code", "city", "region", "country", "vat_id",
    "tax_number", "email", "phone", "website", "bank_name", "iban", "bic", "currency", "locale",
    "payment_terms_days", "prices_include_tax", "footer_text", "email_sender_name", "email_reply_to", "time_zone",
    "registration_id", "contact_name", "facturx_enabled",
)
INVOICE_EMAIL_FIELDS = ("invoice_email_subject", "invoice_email_body", "invoice_email_attach_pdf")


def _message(exc: ValueError) -> "Text | str":
    """The message a domain check raised its ValueError with (a ``Text``, translated where it is read)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)


@dataclass(frozen=True)
class CompanyInput:
    values: dict  # COMPANY_FIELDS, already parsed and checked (VAT ID, IBAN ...)
    logo: tuple[bytes, str] | None = None  # a new logo: (bytes, MIME type read from the bytes)
    remove_logo: bool = False


@usecase
def save_company(actor: Actor, data: CompanyInput) -> list[str]:
    """Save the company details; returns the names of the fields that changed (audited)."""
    actor.require("manage_settings")
    org = actor.org
    unknown = set(data.values) - set(COMPANY_FIELDS)
    if unknown:
        raise ActionError("unknown_field", "Unknown fields: {fields}.", fields=", ".join(sorted(unknown)))
    values = dict(data.values)
    if "time_zone" in values:
        try:
            values["time_zone"] = timezones.normalize_timezone(values["time_zone"])
        except ValueError as exc:
            raise ActionError("invalid_time_zone", _message(exc), "time_zone") from exc
    before = {name: getattr(org, name) for name in values}
    for name, value in values.items():
        setattr(org, name, value.strip() if isinstance(value, str) else value)
    changed = [name for name in values if getattr(org, name) != before[name]]
    if data.logo is not None:
        org.logo, org.logo_mime = data.logo
        org.logo_updated_at = utcnow()
        changed.append("logo")
    elif data.remove_logo and org.has_logo:
        org.logo, org.logo_mime, org.logo_updated_at = None, "", utcnow()
        changed.append("logo")
    if changed:
        audit.record(org, actor.user, "settings.updated", org,
                     summary=f"{actor.email} changed {', '.join(changed)}", fields=changed)
    return changed


@dataclass(frozen=True)
class InvoiceEmailInput:
    subject: str
    body: str
    attach_pdf: bool


@usecase
def save_invoice_email(actor: Actor, data: InvoiceEmailInput) -> list[str]:
    actor.require("manage_settings")
    values = dict(zip(INVOICE_EMAIL_FIELDS, (data.subject, data.body, data.attach_pdf)))
    return _save_fields(actor, values, lambda changed: f"{actor.email} changed the invoice e-mail")


def _save_fields(actor: Actor, values: dict, summary) -> list[str]:
    """Set the organization's fields to ``values``; the names of those that changed, audited with
    ``summary(changed)`` when any did."""
    org = actor.org
    changed = [name for name, value in values.items() if getattr(org, name) != value]
    for name, value in values.items():
        setattr(org, name, value)
    if changed:
        audit.record(org, actor.user, "settings.updated", org, summary=summary(changed), fields=changed)
    return changed


@dataclass(frozen=True)
class SeriesInput:
    format: str
    reset_yearly: bool


@usecase
def save_numbering(actor: Actor, series: dict[str, SeriesInput]) -> list[str]:
    """New number formats per document kind; returns the kinds that changed."""
    actor.require("manage_settings")
    existing = orgs.series_of(actor.org)
    changed = []
    for kind, data in series.items():
        if kind not in existing:
            raise ActionError("unknown_series", "There is no number series '{kind}'.", kind=kind)
        try:
            parse_format(data.format, data.reset_yearly)
        except NumberFormatError as exc:
            raise ActionError("invalid_number_format", exc.text, f"{kind}_format") from exc
        s = existing[kind]
        if (s.format, s.reset_yearly) != (data.format, data.reset_yearly):
            s.format, s.reset_yearly = data.format, data.reset_yearly
            changed.append(kind)
    if changed:
        audit.record(actor.org, actor.user, "settings.numbering_updated", actor.org,
                     summary=f"{actor.email} changed the number format of {', '.join(changed)}", kinds=changed)
    return changed


# --- VAT ----------------------------------------------------------------------------------------------

VAT_FIELDS = ("automatic_tax", "default_tax_code", "small_business", "oss_since", "destination_opt_in")
TAX_CODE_REQUIRED = Text("Choose the tax code of products without one.")
HOME_COUNTRY = Text("{country} is your home country: its registration is the VAT ID of the company details.")
VAT_ID_REQUIRED = Text("Enter the VAT ID of the registration.")
VAT_ID_OF_ANOTHER_COUNTRY = Text("{vat_id} is a VAT ID of {prefix}, not of {country}.")
REGISTRATION_EXISTS = Text("There is a registration in {country} already; remove it first to change it.")


@dataclass(frozen=True)
class VatInput:
    automatic_tax: bool
    default_tax_code: str  # a key of domain/tax_codes.TAX_CODES
    small_business: bool
    oss_since: date | None  # None: not enrolled in the One-Stop-Shop
    destination_opt_in: bool


@usecase
def save_vat(actor: Actor, data: VatInput) -> list[str]:
    """Save the organization's VAT settings; returns the names of the fields that changed (audited)."""
    actor.require("manage_settings")
    code = automatic_tax.checked_tax_code(data.default_tax_code, "default_tax_code")
    if not code:
        raise ActionError("tax_code_required", TAX_CODE_REQUIRED, "default_tax_code")
    values = {"automatic_tax": bool(data.automatic_tax), "default_tax_code": code,
              "small_business": bool(data.small_business), "oss_since": data.oss_since,
              "destination_opt_in": bool(data.destination_opt_in)}
    return _save_fields(actor, values,
                        lambda changed: f"{actor.email} changed the VAT settings: {', '.join(changed)}")


@dataclass(frozen=True)
class VatRegistrationInput:
    country: str  # ISO 3166 alpha-2, not the organization's own
    vat_id: str
    valid_from: date | None = None  # None: registered before any date that matters


def _registration_vat_id(value: str, country: str) -> str:
    """The registration's VAT ID checked for ``country`` (python-stdnum) and normalized; one with the prefix of
    another country is refused (Greece's IDs read EL)."""
    if not (value or "").strip():
        raise ActionError("vat_id_required", VAT_ID_REQUIRED, "vat_id")
    try:
        vat_id = identifiers.normalize_vat_id(value, country)
    except ValueError as exc:
        raise from_value_error("invalid_vat_id", exc, "vat_id") from exc
    prefix = vat_id[:2]
    if prefix.isalpha() and prefix not in {country, "EL" if country == "GR" else country}:
        raise ActionError("vat_id_country_mismatch", VAT_ID_OF_ANOTHER_COUNTRY, "vat_id", vat_id=vat_id,
                          prefix=Country("GR" if prefix == "EL" else prefix), country=Country(country))
    return vat_id


@usecase
def add_vat_registration(actor: Actor, data: VatRegistrationInput) -> VatRegistration:
    """Record a VAT registration of the organization in another country (one per country); audited."""
    actor.require("manage_settings")
    org = actor.org
    try:
        country = identifiers.normalize_country(data.country)
    except ValueError as exc:
        raise from_value_error("invalid_country", exc, "country") from exc
    if country == org.country:
        raise ActionError("home_country_registration", HOME_COUNTRY, "country", country=Country(country))
    if db.session.scalar(select(VatRegistration.id).where(VatRegistration.org_id == org.id,
                                                          VatRegistration.country == country)) is not None:
        raise ActionError("vat_registration_exists", REGISTRATION_EXISTS, "country", country=Country(country))
    vat_id = _registration_vat_id(data.vat_id, country)
    registration = VatRegistration(org_id=org.id, country=country, vat_id=vat_id, valid_from=data.valid_from)
    db.session.add(registration)
    db.session.flush()
    since = f" from {data.valid_from.isoformat()}" if data.valid_from else ""
    audit.record(org, actor.user, "settings.vat_registration_added", registration,
                 summary=f"{actor.email} added the VAT registration in {country} ({vat_id}){since}",
                 country=country, vat_id=vat_id, valid_from=data.valid_from.isoformat() if data.valid_from else None)
    return registration


@usecase
def remove_vat_registration(actor: Actor, registration_id: int) -> VatRegistration:
    """Remove one of the organization's VAT registrations; audited. Issued documents keep their decisions."""
    actor.require("manage_settings")
    registration = load(actor, VatRegistration, registration_id, "VAT registration")
    audit.record(actor.org, actor.user, "settings.vat_registration_removed", registration,
                 summary=f"{actor.email} removed the VAT registration in {registration.country} "
                         f"({registration.vat_id})",
                 country=registration.country, vat_id=registration.vat_id)
    db.session.delete(registration)
    return registration
