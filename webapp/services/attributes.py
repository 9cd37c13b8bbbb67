"""Custom attributes of invoices: the organization's custom fields that apply to invoices, with their values.

The fields are the customers' ``CustomField`` definitions (``applies_to = "invoice"``), checked by the same rules
(``contacts.check_custom``: text, number, date, checkbox, choice, multiple choice); the values are rows of
``DocumentFieldValue``, the same shape as a customer's. They change with the draft only: an issued document's
attributes are frozen with it (``require(doc, "edit")``), like everything else it says.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import CustomField, Document, DocumentFieldValue
from webapp.models.types import utcnow
from webapp.services import contacts
from webapp.services.state import require

PREFIX = "custom_attributes"  # the errors' field: custom_attributes.<key>


def fields(org_id: int) -> list[CustomField]:
    return contacts.custom_fields(org_id, "invoice")


def values(doc: Document, fields_: list[CustomField]) -> dict[str, object]:
    """The document's values by field key (every field, empty ones as None / False / [])."""
    return values_of_many([doc.id], fields_)[doc.id]


def values_of_many(document_ids: list[int], fields_: list[CustomField]) -> dict[int, dict[str, object]]:
    """Several documents' values in one query (a list's page)."""
    rows: dict[int, list[DocumentFieldValue]] = {i: [] for i in document_ids}
    if document_ids and fields_:
        for row in db.session.scalars(select(DocumentFieldValue).where(
                DocumentFieldValue.document_id.in_(document_ids)).order_by(DocumentFieldValue.id)):
            rows[row.document_id].append(row)
    return {i: contacts.values_of_rows(r, fields_) for i, r in rows.items()}


def check(fields_: list[CustomField], custom: dict) -> dict:
    """``custom`` (by key) checked and normalized as a customer's custom values are."""
    return contacts.check_custom(fields_, custom, PREFIX)


def replace(doc: Document, checked: dict, fields_: list[CustomField]) -> None:
    """Store ``checked`` (every field's value, from ``check``) as the draft's attributes; the draft's version goes
    up, so a stale edit of them is refused like any other."""
    require(doc, "edit")
    db.session.flush()
    db.session.execute(delete(DocumentFieldValue).where(DocumentFieldValue.document_id == doc.id))
    for field in fields_:
        for row in contacts.value_rows(field, checked.get(field.key), DocumentFieldValue):
            row.document_id = doc.id
            db.session.add(row)
    doc.updated_at = utcnow()


def change(doc: Document, custom: dict, fields_: list[CustomField], partial: bool = True) -> None:
    """Check ``custom`` and set it; ``partial``: the fields not named keep their values."""
    checked = check(fields_, custom)
    if partial:
        checked = {**values(doc, fields_), **checked}
    replace(doc, checked, fields_)


def used_by_issued(field: CustomField) -> bool:
    """Whether a document that is no longer a draft has a value of ``field`` (its values are frozen with it)."""
    return db.session.scalar(select(DocumentFieldValue.id).join(Document, Document.id == DocumentFieldValue.document_id)
                             .where(DocumentFieldValue.field_id == field.id, Document.status != "draft").limit(1)) \
        is not None


def copy(source: Document, target: Document) -> None:
    """The attributes of ``source`` onto a new draft made from it (duplicate, reactivate, convert)."""
    for row in db.session.scalars(select(DocumentFieldValue).where(DocumentFieldValue.document_id == source.id)):
        db.session.add(DocumentFieldValue(document_id=target.id, field_id=row.field_id, value_text=row.value_text,
                                          value_number=row.value_number, value_date=row.value_date))


def page_context(doc: Document) -> dict:
    """What the document page and the editor show of the attributes: the fields, the values, and each value as
    text in the member's locale."""
    from webapp.i18n import member_locale

    fields_ = fields(doc.org_id)
    values_ = values(doc, fields_) if fields_ else {}
    locale = member_locale()
    return {"attribute_fields": fields_, "attribute_values": values_,
            "attribute_texts": {f.key: contacts.format_value(f, values_.get(f.key), locale) for f in fields_}}
