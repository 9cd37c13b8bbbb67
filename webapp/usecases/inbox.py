"""The purchases inbox (issue 17): uploaded files become purchase drafts (services/inbox.py), each on its own."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, DocumentFile
from webapp.services import inbox
from webapp.usecases import Actor, NotFound, load, usecase

MAX_FILES = 20


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """One file's result: the draft it became, or why it was refused (nothing of it stored)."""
    name: str
    document: Document | None = None
    file: DocumentFile | None = None
    error: ActionError | None = None


@usecase
def receive_files(actor: Actor, uploads: list[Upload]) -> list[Outcome]:
    """Each file becomes a purchase draft or is refused on its own (a savepoint each): one bad file among ten
    leaves the other nine."""
    actor.require("upload_purchases")
    if not uploads:
        raise ActionError("file_required", "Choose one or more files.", "file")
    if len(uploads) > MAX_FILES:
        raise ActionError("too_many_files", "At most {count} files at once.", "file", count=MAX_FILES)
    outcomes = []
    for upload in uploads:
        name = inbox.clean_name(upload.name)
        savepoint = db.session.begin_nested()
        try:
            received = inbox.receive(actor.org, actor.user, name, upload.data)
        except ActionError as exc:
            savepoint.rollback()
            outcomes.append(Outcome(name, error=exc))
            continue
        savepoint.commit()
        outcomes.append(Outcome(name, received.document, received.file))
    return outcomes


def supplier_file(actor: Actor, document_id: int) -> DocumentFile:
    """The supplier's file of a purchase the member may see (404 for another organization's)."""
    actor.require("view")
    doc = load(actor, Document, document_id, "document")
    found = db.session.query(DocumentFile).filter_by(org_id=actor.org.id, document_id=doc.id).one_or_none()
    if found is None:
        raise NotFound("file")
    return found


@usecase
def start_purchase(actor: Actor, kind: str = "invoice") -> Document:
    """A blank purchase draft to enter by hand (the supplier is chosen in the editor)."""
    actor.require("book_purchases")
    if kind not in ("invoice", "credit_note"):
        raise ActionError("invalid_kind", "A purchase is an invoice or a credit note.", "kind")
    from webapp.services import purchases

    return purchases.new_purchase(actor.org, actor.user, None, kind)


@dataclass(frozen=True)
class QuickRowInput:
    tax_rate_id: int | None
    net: Decimal
    tax: Decimal | None = None
    expense_category_id: int | None = None


MAX_QUICK_ROWS = 10


@usecase
def quick_entry(actor: Actor, document_id: int, version: int | None, rows: list[QuickRowInput]) -> Document:
    """A purchase typed from paper: the net amount and VAT of each rate (services/purchases.quick_entry)."""
    from webapp.domain.money import precision
    from webapp.services import expense_categories, purchases
    from webapp.usecases.documents import for_action
    from webapp.usecases.drafts import _rate

    doc = for_action(actor, document_id, "edit", version)
    if doc.flow != "purchases":
        raise ActionError("quick_entry_for_purchases", "The quick entry is for a supplier's invoice.")
    rows = [r for r in rows if r.net is not None]
    if not rows:
        raise ActionError("quick_entry_empty", "Enter the net amount of at least one rate.", "rows.0.net")
    if len(rows) > MAX_QUICK_ROWS:
        raise ActionError("quick_entry_too_long", "At most {count} rates at once.", count=MAX_QUICK_ROWS)
    places = precision(doc.currency)
    checked = []
    for index, row in enumerate(rows):
        for name, amount in (("net", row.net), ("tax", row.tax)):
            exponent = amount.as_tuple().exponent if amount is not None else 0
            if isinstance(exponent, int) and -exponent > places:
                raise ActionError("amount_precision", "{currency} amounts have at most {places} decimal places.",
                                  f"rows.{index}.{name}", currency=doc.currency, places=places)
        rate = _rate(actor, row.tax_rate_id, None)
        checked.append(purchases.QuickRow(rate=rate, net=row.net, tax=row.tax, category_id=expense_categories.for_line(
            actor.org, row.expense_category_id, None)))
    purchases.quick_entry(doc, checked)
    return doc


@usecase
def attach_supplier_file(actor: Actor, document_id: int, upload: Upload) -> DocumentFile:
    """The supplier's PDF or scan, attached to a purchase draft entered by hand."""
    from webapp.usecases.documents import for_action

    doc = for_action(actor, document_id, "edit")
    return inbox.attach(actor.org, actor.user, doc, upload.name, upload.data).file
