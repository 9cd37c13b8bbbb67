"""Customers: add and change one (with custom field values), archive, restore, delete; the organization's
custom fields; the CSV import (upload, map the columns, import)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from webapp.domain.errors import ActionError, Forbidden, InvalidInput, NotFound, Text
from webapp.extensions import db
from webapp.models import Contact, CustomField, ImportJob
from webapp.models.contact import APPLIES_TO
from webapp.services import attributes, audit, contacts, customer_csv
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


RECIPIENT_NEEDED = Text("There is no customer with the identifier {identifier} yet: send the recipient's data "
                        "to create one.")


def _in_recipient(error: ActionError) -> ActionError:
    field = error.field if error.field == "external_id" else f"recipient.{error.field}" if error.field else "recipient"
    return ActionError(error.code, error.template, field, **error.params)


@usecase
def customer_for_recipient(actor: Actor, identifier: str, data: CustomerInput | None) -> Contact:
    """The customer the shop knows as ``identifier`` (seed 004's ``recipient_identifier``), else a new one made
    from ``data`` by ``save_customer`` (the customer API's rules) with that identifier. A customer found is used
    as it is: the recipient data of an invoice never rewrites it (change it with the customer API).

    Two requests at once with one new identifier: the partial unique index ``uq_contact_external_id`` lets one
    insert win; the other's insert is undone (a savepoint) and it takes the winner's customer."""
    identifier = (identifier or "").strip()
    if not identifier:
        raise ActionError("recipient_identifier_required", "Enter the recipient's identifier.", "external_id")
    found = contacts.by_external_id(actor.org.id, identifier)
    if found is not None:
        return found
    if data is None:
        raise ActionError("recipient_required", RECIPIENT_NEEDED, "recipient", identifier=identifier)
    values = {**data.values, "external_id": identifier, "is_customer": True}
    try:
        with db.session.begin_nested():
            saved = save_customer.__wrapped__(actor, None, CustomerInput(values=values, custom=data.custom))
    except InvalidInput as exc:  # the customer's rules, about the recipient's fields: recipient.<field>
        raise InvalidInput([_in_recipient(e) for e in exc.errors]) from exc
    except (Forbidden, NotFound):
        raise
    except ActionError as exc:
        raise _in_recipient(exc) from exc
    except IntegrityError as exc:
        if not contacts.is_external_id_conflict(exc):
            raise
        found = contacts.by_external_id(actor.org.id, identifier)
        if found is None:
            raise
        return found
    return saved.contact


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
    applies_to: str = "customer"  # or "invoice"


@usecase
def add_custom_field(actor: Actor, data: FieldInput) -> CustomField:
    actor.require("manage_custom_fields")
    if data.applies_to not in APPLIES_TO:
        raise ActionError("invalid_applies_to", "Choose customers or invoices.", "applies_to")
    existing = contacts.custom_fields(actor.org.id, data.applies_to)
    others = contacts.custom_fields(actor.org.id, "invoice" if data.applies_to == "customer" else "customer")
    if any(f.key == data.key for f in [*existing, *others]):  # one key, one field: filters and CSV name it
        raise ActionError("field_key_taken", "Another field already uses this key.", "key")
    if data.type not in CustomField.TYPES:
        raise ActionError("invalid_field_type", "Choose one of the types.", "type")
    custom = CustomField(org_id=actor.org.id, key=data.key, label=data.label, type=data.type, options=data.options,
                         position=len(existing), applies_to=data.applies_to)
    db.session.add(custom)
    db.session.flush()
    audit.record(actor.org, actor.user, "custom_field.created", custom,
                 summary=f"{actor.email} added the {custom.applies_to} field {custom.label}")
    return custom


@usecase
def delete_custom_field(actor: Actor, field_id: int) -> str:
    """Delete the field and every customer's value of it; returns its label."""
    actor.require("manage_custom_fields")
    custom = load(actor, CustomField, field_id, "field")
    if custom.applies_to == "invoice" and attributes.used_by_issued(custom):
        raise ActionError("field_used_by_issued", "Issued invoices carry {label}: their values are kept, so the field "
                          "stays.", label=custom.label)
    audit.record(actor.org, actor.user, "custom_field.deleted", custom,
                 summary=f"{actor.email} deleted the {custom.applies_to} field {custom.label} and its values")
    db.session.delete(custom)
    return custom.label


@usecase
def start_import(actor: Actor, filename: str, data: bytes) -> ImportJob:
    actor.require("import_customers")
    return customer_csv.create_job(actor.org, actor.user, filename, data, contacts.custom_fields(actor.org.id))


def _customer_import(actor: Actor, job_id: int) -> ImportJob:
    """The organization's customer import (a bank statement's CSV waiting for its layout is another kind)."""
    job = load(actor, ImportJob, job_id, "import")
    if job.kind != "customers":
        raise NotFound("import")
    return job


@usecase
def map_import(actor: Actor, job_id: int, targets: list[str]) -> ImportJob:
    """Which field each column of the file goes to (one target per column, in order)."""
    actor.require("import_customers")
    job = _customer_import(actor, job_id)
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
    job = _customer_import(actor, job_id)
    count = customer_csv.run_import(actor.org, actor.user, job, contacts.custom_fields(actor.org.id),
                                    valid_only=valid_only)
    return job, count
