"""Organization settings: company details and logo, the invoice e-mail, number formats."""
from __future__ import annotations

from dataclasses import dataclass

from webapp.domain import timezones
from webapp.domain.errors import ActionError, Text
from webapp.domain.numbering import NumberFormatError, parse_format
from webapp.models.types import utcnow
from webapp.services import audit, orgs
from webapp.usecases import Actor, usecase

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
    org = actor.org
    values = dict(zip(INVOICE_EMAIL_FIELDS, (data.subject, data.body, data.attach_pdf)))
    changed = [name for name, value in values.items() if getattr(org, name) != value]
    for name, value in values.items():
        setattr(org, name, value)
    if changed:
        audit.record(org, actor.user, "settings.updated", org,
                     summary=f"{actor.email} changed the invoice e-mail", fields=changed)
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
