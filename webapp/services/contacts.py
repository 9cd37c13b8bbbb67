"""Contacts: saving with custom field values, archiving, deleting."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from email_validator import EmailNotValidError, validate_email

from webapp.domain import identifiers
from webapp.domain.einvoice import PREFERENCES
from webapp.domain.errors import ActionError, InvalidInput, Text, from_value_error
from webapp.extensions import db
from webapp.i18n import format_day, format_number
from webapp.models import Contact, ContactFieldValue, CustomField, Organization, User
from webapp.services import audit


def custom_fields(org_id: int, applies_to: str = "customer") -> list[CustomField]:
    """The organization's custom fields of customers (``applies_to="customer"``) or of invoices (``"invoice"``)."""
    return db.session.scalars(
        select(CustomField).where(CustomField.org_id == org_id, CustomField.applies_to == applies_to)
        .order_by(CustomField.position, CustomField.id)
    ).all()


def value_rows(field: CustomField, value, row=ContactFieldValue) -> list:
    """The rows (of ``row``: ``ContactFieldValue`` or ``DocumentFieldValue``) that store ``value`` (already
    validated) of ``field``; none for an empty value."""
    if value is None or value == "" or value == [] or value is False:
        return []
    if field.type == "number":
        return [row(field_id=field.id, value_number=Decimal(value))]
    if field.type == "date":
        return [row(field_id=field.id, value_date=value)]
    if field.type == "checkbox":
        return [row(field_id=field.id, value_text="true")]
    if field.type == "multichoice":
        return [row(field_id=field.id, value_text=v) for v in value]
    return [row(field_id=field.id, value_text=str(value))]


def custom_values(contact: Contact, fields: list[CustomField]) -> dict[str, object]:
    """The contact's custom values by field key, in the shape the form fields take."""
    return values_of_rows(contact.field_values, fields)


def values_of_rows(value_rows_, fields: list[CustomField]) -> dict[str, object]:
    """Stored value rows (of a contact or a document) as values by field key, in the shape the form fields take."""
    by_field: dict[int, list] = {}
    for row in value_rows_:
        by_field.setdefault(row.field_id, []).append(row)
    values: dict[str, object] = {}
    for field in fields:
        rows = by_field.get(field.id, [])
        if field.type == "multichoice":
            values[field.key] = [r.value_text for r in rows]
        elif not rows:
            values[field.key] = False if field.type == "checkbox" else None
        elif field.type == "number":
            values[field.key] = rows[0].value_number
        elif field.type == "date":
            values[field.key] = rows[0].value_date
        elif field.type == "checkbox":
            values[field.key] = True
        else:
            values[field.key] = rows[0].value_text
    return values


def format_value(field: CustomField, value, locale: str | None = None) -> str:
    """A custom field's value as text: plain digits and ISO dates (the CSV), or with ``locale`` as a screen shows
    them in that locale ("1.299,5", "21.11.2026" in de_DE)."""
    if value is None or value == [] or value is False:
        return ""
    if field.type == "multichoice":
        return ", ".join(value)
    if field.type == "checkbox":
        return "yes"
    if isinstance(value, Decimal):
        return format_number(value, locale) if locale else f"{value.normalize():f}"
    if isinstance(value, date):
        return format_day(value, locale) if locale else value.isoformat()
    return str(value)


def apply(contact: Contact, values: dict, custom: dict, fields: list[CustomField]) -> None:
    """Set the contact's fields and replace its custom values (no flush)."""
    for key, value in values.items():
        setattr(contact, key, value.strip() if isinstance(value, str) else value)
    contact.email = (contact.email or "").lower()
    contact.refresh_search()
    contact.field_values = [row for field in fields for row in value_rows(field, custom.get(field.key))]


PHONE_CHARACTERS = re.compile(identifiers.PHONE_RE)
NAME_REQUIRED = Text("Enter a person or a company name.")


def check_values(values: dict) -> dict:
    """The contact's own fields checked and normalized: the one place of the rules every way in (the form, the
    CSV import, the API) goes through. Returns the normalized values or raises ``InvalidInput`` with one error
    per field. Empty locale and currency mean the organization's; the country may be empty (the web form asks
    for it)."""
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    errors: list[ActionError] = []
    if not (values.get("company_name") or values.get("person_name")):
        errors.append(ActionError("name_required", NAME_REQUIRED, "company_name"))
    if values.get("email"):
        try:
            values["email"] = validate_email(values["email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors.append(ActionError("invalid_email", "Enter a valid e-mail address.", "email"))
    if values.get("phone") and not PHONE_CHARACTERS.match(values["phone"]):
        errors.append(ActionError("invalid_phone", "Use digits, spaces and + ( ) - / . only.", "phone"))
    for name, normalize, code in (("locale", identifiers.normalize_locale, "invalid_locale"),
                                  ("currency", identifiers.normalize_currency, "invalid_currency"),
                                  ("country", identifiers.normalize_country, "invalid_country")):
        if values.get(name):
            try:
                values[name] = normalize(values[name])
            except ValueError as exc:
                errors.append(from_value_error(code, exc, name))
    if values.get("vat_id"):
        try:
            values["vat_id"] = identifiers.normalize_vat_id(values["vat_id"], values.get("country") or "")
        except ValueError as exc:
            errors.append(from_value_error("invalid_vat_id", exc, "vat_id"))
    if "external_id" in values:  # the shop's own id of the customer; empty: none
        values["external_id"] = (values["external_id"] or "").strip() or None
        if values["external_id"] is not None and len(values["external_id"]) > 100:
            errors.append(ActionError("invalid_external_id", "At most {count} characters.", "external_id",
                                      count=100))
    if "e_invoice_format" in values:  # what the customer receives (domain/einvoice.PREFERENCES); "" none
        values["e_invoice_format"] = values["e_invoice_format"] or ""
        if values["e_invoice_format"] not in PREFERENCES:
            errors.append(ActionError("invalid_e_invoice_format", "Choose one of the e-invoice formats ({formats}) or "
                                      "none.", "e_invoice_format", formats=", ".join(PREFERENCES[1:])))
    if values.get("buyer_reference") and len(values["buyer_reference"]) > 100:
        errors.append(ActionError("invalid_buyer_reference", "At most {count} characters.", "buyer_reference",
                                  count=100))
    if values.get("has_shipping_address"):
        if not values.get("shipping_country"):
            errors.append(ActionError("shipping_country_required", "Choose the country to ship to.",
                                      "shipping_country"))
        else:
            try:
                values["shipping_country"] = identifiers.normalize_country(values["shipping_country"])
            except ValueError as exc:
                errors.append(from_value_error("invalid_country", exc, "shipping_country"))
    if errors:
        raise InvalidInput(errors)
    return values


CHECKED_FIELDS = ("company_name", "person_name", "email", "phone", "locale", "currency", "country", "vat_id",
                  "has_shipping_address", "shipping_country", "external_id", "e_invoice_format")
EXTERNAL_ID_TAKEN = Text("Another customer already has the identifier {identifier}.")


def by_external_id(org_id: int, identifier: str) -> Contact | None:
    """The organization's contact the shop knows as ``identifier`` (``Contact.external_id``), or None."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return db.session.scalar(select(Contact).where(Contact.org_id == org_id, Contact.external_id == identifier))


def is_external_id_conflict(exc: IntegrityError) -> bool:
    """Whether the database refused a second contact with one external id (uq_contact_external_id)."""
    return "uq_contact_external_id" in str(exc.orig) or "contact.external_id" in str(exc.orig)


def check_custom(fields: list[CustomField], custom: dict, prefix: str = "custom_fields") -> dict:
    """Custom values by field key, checked against each field's type and options and normalized (Decimal,
    date, bool, str, list of options); ``InvalidInput`` with ``<prefix>.<key>`` as each error's field (a customer's
    ``custom_fields``, an invoice's ``custom_attributes``)."""
    by_key = {f.key: f for f in fields}
    errors: list[ActionError] = []
    normalized = {}
    for key, value in custom.items():
        field = by_key.get(key)
        if field is None:
            errors.append(ActionError("unknown_custom_field", "There is no custom field '{key}'.",
                                      f"{prefix}.{key}", key=key))
            continue
        try:
            normalized[key] = _custom_value(field, value)
        except ValueError as exc:
            errors.append(from_value_error("invalid_custom_value", exc, f"{prefix}.{key}"))
    if errors:
        raise InvalidInput(errors)
    return normalized


def _custom_value(field: CustomField, value):
    if value is None or value == "" or value == []:
        return False if field.type == "checkbox" else [] if field.type == "multichoice" else None
    if field.type == "checkbox":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(Text("{field}: true or false.", field=field.label))
    if field.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise ValueError(Text("{field}: a number, e.g. 12.5.", field=field.label))
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError as exc:
            raise ValueError(Text("{field}: a number, e.g. 12.5.", field=field.label)) from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** 14 or number != round(number, 4):
            raise ValueError(Text("{field}: a number with at most 4 decimals.", field=field.label))
        return number
    if field.type == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueError(Text("{field}: a date (YYYY-MM-DD).", field=field.label)) from exc
    if field.type == "multichoice":
        values = value if isinstance(value, list) else [value]
        if any(not isinstance(v, str) or v not in field.options for v in values):
            raise ValueError(Text("{field}: choose from {options}.", field=field.label,
                                  options=", ".join(field.options)))
        return list(dict.fromkeys(values))
    if not isinstance(value, str):
        raise ValueError(Text("{field}: a text.", field=field.label))
    if field.type == "choice" and value not in field.options:
        raise ValueError(Text("{field}: choose from {options}.", field=field.label, options=", ".join(field.options)))
    if len(value) > 500:
        raise ValueError(Text("{field}: at most {count} characters.", field=field.label, count=500))
    return value


def save_contact(org: Organization, actor: User, contact: Contact | None, values: dict, custom: dict,
                 fields: list[CustomField]) -> Contact:
    # the rules see the contact as it will be: its stored fields with the changed ones over them
    checked = check_values({**({k: getattr(contact, k) for k in CHECKED_FIELDS} if contact else {}), **values})
    values = {k: checked[k] if k in CHECKED_FIELDS else v for k, v in values.items()}
    custom = check_custom(fields, custom)
    if values.get("external_id"):
        other = by_external_id(org.id, values["external_id"])
        if other is not None and other is not contact:
            raise ActionError("external_id_taken", EXTERNAL_ID_TAKEN, "external_id", identifier=values["external_id"])
    created = contact is None
    if created:
        contact = Contact(org_id=org.id)
        db.session.add(contact)
    vat_key = (contact.country, contact.vat_id)
    apply(contact, values, custom, fields)
    if created or (contact.country, contact.vat_id) != vat_key:
        check_vat_id_online(contact)
    db.session.flush()
    audit.record(org, actor, "contact.created" if created else "contact.updated", contact,
                 summary=f"{actor.email} {'added' if created else 'changed'} {contact.display_name}")
    return contact


def check_vat_id_online(contact: Contact) -> None:
    """The optional online check of the contact's VAT ID (services/vies.py, off unless VIES_CHECK): its answer is
    kept on the contact for the VAT rules (``vat_id_valid``); no answer, no check or no VAT ID: None, and the
    rules use the offline check (python-stdnum)."""
    from webapp.services import vies

    checker = vies.current_checker() if contact.vat_id else None
    answer = checker.check(contact.country, contact.vat_id) if checker is not None else None
    contact.vat_id_valid = answer.valid if answer is not None else None
    contact.vat_id_checked_at = answer.checked_at if answer is not None and answer.valid is not None else None


def duplicates_of_email(org_id: int, email: str, exclude_id: int | None = None) -> list[Contact]:
    email = (email or "").strip().lower()
    if not email:
        return []
    stmt = select(Contact).where(Contact.org_id == org_id, Contact.email == email)
    if exclude_id:
        stmt = stmt.where(Contact.id != exclude_id)
    return db.session.scalars(stmt.order_by(Contact.id).limit(5)).all()


def set_archived(org: Organization, actor: User, contact: Contact, archived: bool) -> None:
    contact.archived = archived
    audit.record(org, actor, "contact.archived" if archived else "contact.restored", contact,
                 summary=f"{actor.email} {'archived' if archived else 'restored'} {contact.display_name}")


def delete_contact(org: Organization, actor: User, contact: Contact) -> None:
    """Delete a contact that has no documents; documents reference contacts with ON DELETE RESTRICT."""
    name = contact.display_name
    try:
        with db.session.begin_nested():
            db.session.execute(delete(ContactFieldValue).where(ContactFieldValue.contact_id == contact.id))
            db.session.delete(contact)
            db.session.flush()
    except IntegrityError as exc:
        raise ActionError("contact_has_documents", "{name} has documents and cannot be deleted. Archive the customer "
                          "instead.", name=name) from exc
    audit.record(org, actor, "contact.deleted", None, summary=f"{actor.email} deleted {name}", contact_id=contact.id)
