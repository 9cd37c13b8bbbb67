"""Customers: add and change one (with custom field values), archive, restore, delete; the organization's
custom fields; the CSV import (upload, map the columns, import)."""
from __future__ import annotations

from dataclasses import dataclass, field

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Contact, CustomField, ImportJob
from webapp.services import audit, contacts, customer_csv
from webapp.usecases import Actor, load, usecase


@dataclass(frozen=True)
class CustomerInput:
    values: dict  # the contact's own fields (name, e-mail, address ...), already parsed; a change: those to change
    custom: dict = field(default_factory=dict)  # custom field key -> value
    custom_partial: bool = False  # True: only the custom values given change (the API's PATCH); else all are set


@dataclass(frozen=True)
class SavedCustomer:
    contact: Contact
    created: bool
    same_email: list[Contact]  # other customers with this e-mail address (a warning, not an error)


@usecase
def save_customer(actor: Actor, contact_id: int | None, data: CustomerInput) -> SavedCustomer:
    actor.require("manage_customers")
    contact = load(actor, Contact, contact_id, "customer") if contact_id is not None else None
    fields = contacts.custom_fields(actor.org.id)
    custom = data.custom
    if data.custom_partial and contact is not None:
        custom = {**contacts.custom_values(contact, fields), **custom}
    saved = contacts.save_contact(actor.org, actor.user, contact, data.values, custom, fields)
    return SavedCustomer(saved, contact is None,
                         contacts.duplicates_of_email(actor.org.id, saved.email, exclude_id=saved.id))


@usecase
def set_archived(actor: Actor, contact_id: int, archived: bool) -> Contact:
    actor.require("manage_customers")
    contact = load(actor, Contact, contact_id, "customer")
    contacts.set_archived(actor.org, actor.user, contact, archived)
    return contact


@usecase
def delete_customer(actor: Actor, contact_id: int) -> str:
    """Delete a customer without documents; returns the name it had."""
    actor.require("manage_customers")
    contact = load(actor, Contact, contact_id, "customer")
    name = contact.display_name
    contacts.delete_contact(actor.org, actor.user, contact)
    return name


@dataclass(frozen=True)
class FieldInput:
    key: str
    label: str
    type: str
    options: list[str] = field(default_factory=list)


@usecase
def add_custom_field(actor: Actor, data: FieldInput) -> CustomField:
    actor.require("manage_custom_fields")
    existing = contacts.custom_fields(actor.org.id)
    if any(f.key == data.key for f in existing):
        raise ActionError("field_key_taken", "Another field already uses this key.", "key")
    if data.type not in CustomField.TYPES:
        raise ActionError("invalid_field_type", "Choose one of the types.", "type")
    custom = CustomField(org_id=actor.org.id, key=data.key, label=data.label, type=data.type, options=data.options,
                         position=len(existing))
    db.session.add(custom)
    db.session.flush()
    audit.record(actor.org, actor.user, "custom_field.created", custom,
                 summary=f"{actor.email} added the customer field {custom.label}")
    return custom


@usecase
def delete_custom_field(actor: Actor, field_id: int) -> str:
    """Delete the field and every customer's value of it; returns its label."""
    actor.require("manage_custom_fields")
    custom = load(actor, CustomField, field_id, "field")
    audit.record(actor.org, actor.user, "custom_field.deleted", custom,
                 summary=f"{actor.email} deleted the customer field {custom.label} and its values")
    db.session.delete(custom)
    return custom.label


@usecase
def start_import(actor: Actor, filename: str, data: bytes) -> ImportJob:
    actor.require("import_customers")
    return customer_csv.create_job(actor.org, actor.user, filename, data, contacts.custom_fields(actor.org.id))


@usecase
def map_import(actor: Actor, job_id: int, targets: list[str]) -> ImportJob:
    """Which field each column of the file goes to (one target per column, in order)."""
    actor.require("import_customers")
    job = load(actor, ImportJob, job_id, "import")
    header, _ = customer_csv.read_table(job.content)
    allowed = {key for key, _ in customer_csv.target_choices(contacts.custom_fields(actor.org.id))}
    if len(targets) != len(header):
        raise ActionError("invalid_mapping", "Choose a field for every column.")
    for index, target in enumerate(targets):
        if target not in allowed:
            raise ActionError("invalid_mapping", "Column {column}: choose a field from the list.", column=index + 1)
    job.mapping = {str(i): t for i, t in enumerate(targets)}
    return job


@usecase
def run_import(actor: Actor, job_id: int, valid_only: bool) -> tuple[ImportJob, int]:
    actor.require("import_customers")
    job = load(actor, ImportJob, job_id, "import")
    count = customer_csv.run_import(actor.org, actor.user, job, contacts.custom_fields(actor.org.id),
                                    valid_only=valid_only)
    return job, count
