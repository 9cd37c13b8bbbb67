"""Contacts: saving with custom field values, archiving, deleting."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.i18n import format_day, format_number
from webapp.models import Contact, ContactFieldValue, CustomField, Organization, User
from webapp.services import audit


def custom_fields(org_id: int) -> list[CustomField]:
    return db.session.scalars(
        select(CustomField).where(CustomField.org_id == org_id).order_by(CustomField.position, CustomField.id)
    ).all()


def value_rows(field: CustomField, value) -> list[ContactFieldValue]:
    """The rows that store ``value`` (already validated) of ``field``; none for an empty value."""
    if value is None or value == "" or value == [] or value is False:
        return []
    if field.type == "number":
        return [ContactFieldValue(field_id=field.id, value_number=Decimal(value))]
    if field.type == "date":
        return [ContactFieldValue(field_id=field.id, value_date=value)]
    if field.type == "checkbox":
        return [ContactFieldValue(field_id=field.id, value_text="true")]
    if field.type == "multichoice":
        return [ContactFieldValue(field_id=field.id, value_text=v) for v in value]
    return [ContactFieldValue(field_id=field.id, value_text=str(value))]


def custom_values(contact: Contact, fields: list[CustomField]) -> dict[str, object]:
    """The contact's custom values by field key, in the shape the form fields take."""
    by_field: dict[int, list[ContactFieldValue]] = {}
    for row in contact.field_values:
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


def save_contact(org: Organization, actor: User, contact: Contact | None, values: dict, custom: dict,
                 fields: list[CustomField]) -> Contact:
    created = contact is None
    if created:
        contact = Contact(org_id=org.id)
        db.session.add(contact)
    apply(contact, values, custom, fields)
    db.session.flush()
    audit.record(org, actor, "contact.created" if created else "contact.updated", contact,
                 summary=f"{actor.email} {'added' if created else 'changed'} {contact.display_name}")
    return contact


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
