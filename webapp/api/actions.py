"""The actions on a document after it is issued (seeds 000-004): send it by e-mail, mark it paid, cancel it,
give it another recipient, reactivate it, credit it; decide and convert quotes; internal notes with files;
the customer's link. Each route parses, calls the web's use case and answers the document as
``GET /invoices/{id}`` does (``InvoiceOut``).

The answers, in one style: an action answers the document it acted on (200), or, when it makes a new one,
that new document (201, ``Location``). A correction names its credit notes there: the invoice's
``credit_note_ids`` lists every credit note of it (so ``cancel`` answers the cancelled invoice with the credit
note that cancelled it), a credit note's ``related_id`` is its invoice, a copy's ``related_id`` its original;
``change-recipient`` answers the new draft, with the credit note that cancelled the original as
``credit_note_id``.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask import g, jsonify, request, url_for
from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field, WithJsonSchema
from spectree import Response as Answers
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from webapp.api.base import MULTIPART_ENDPOINTS, actor, etag, idempotent
from webapp.api.invoices import ACTION_TAGS, ERRORS, InvoiceOut, _details, _doc, answer, invoice_json
from webapp.api.messages import EmailDetails, field_map as message_fields, message_of, request_key
from webapp.api.schemas import Day, Flag, Id, Input, MinorAmount, Output, Query, decimal_input, decimal_text, text
from webapp.api.spec import bp, spec
from webapp.domain.money import from_minor
from webapp.domain.tax import TAX_CATEGORIES
from webapp.extensions import db
from webapp.models import DocumentNote
from webapp.models.payment import METHODS
from webapp.services import notes as note_rules
from webapp.usecases import corrections, links, notes, payments, quotes, sending
from webapp.usecases.issuing import new_key
from webapp.web.files import stored_file

NOTE_TAGS = ["Invoice notes"]
LINK_TAGS = ["Customer link"]
REASON = text(300, "Why (printed on the credit note)")


def _answer(doc, status: int = 200, **extra):
    """The document as GET /invoices/{id} answers it (plus ``extra``), with its ETag; 201 with Location."""
    db.session.flush()
    db.session.refresh(doc)
    response = jsonify({**_details(doc, invoice_json(doc)), **extra})
    response.status_code = status
    response.headers["ETag"] = etag(doc.version)
    if status == 201:
        response.headers["Location"] = url_for("api.get_invoice", document_id=doc.id)
    return response


# --- send -------------------------------------------------------------------------------------------

@bp.post("/invoices/<int:document_id>/send")
@idempotent
@spec.validate(json=EmailDetails, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def send_invoice(document_id: int):
    """E-mail an issued document

    Seed 002 step 5: to the customer (or `to`, `cc`), with the organization's subject and message (or
    `subject`, `body`), the stored PDF attached unless `attach_pdf` is false. The message is queued in the same
    transaction and delivered by the worker; the answer is the document, marked sent. The same
    `Idempotency-Key` queues one message."""
    body: EmailDetails | None = request.context.json
    g.api_field_map = message_fields()
    doc, _ = sending.send(actor(), document_id, message_of(body or EmailDetails()))
    return answer(doc)


# --- set-paid ---------------------------------------------------------------------------------------

class SetPaid(Input):
    """Seed 002: the whole amount due, recorded as paid."""
    send_notification: Flag = Field(False, description="E-mail the customer a payment confirmation")
    paid_on: Day | None = Field(None, description="Default: today")
    method: Literal[*METHODS] = "bank_transfer"  # type: ignore[valid-type]
    reference: text(100, examples=["STRIPE_ch_abc123"]) = ""


class SetPaidQuery(Query):
    send_notification: bool | None = Field(None, alias="sendNotification",
                                           description="Seed 002's query form of send_notification")


@bp.post("/invoices/<int:document_id>/set-paid")
@idempotent
@spec.validate(query=SetPaidQuery, json=SetPaid, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def set_paid(document_id: int):
    """Mark an invoice as paid

    Records a payment of everything still due (seed 002); with `send_notification` (or `?sendNotification=true`)
    the customer gets a payment confirmation by e-mail (when the customer has an address). Refused with 422
    unless the invoice is issued (`document_is_draft`, `document_cancelled`) and something is due
    (`nothing_due`)."""
    body: SetPaid = request.context.json or SetPaid()
    query: SetPaidQuery = request.context.query
    notify = body.send_notification or bool(query.send_notification)
    g.api_field_map = {}
    done = payments.mark_paid(actor(), document_id, payments.MarkPaid(
        key=request_key() or new_key(), send_confirmation=notify, paid_on=body.paid_on, method=body.method,
        reference=body.reference))
    return answer(done.document)


# --- corrections ------------------------------------------------------------------------------------

class Cancel(Input):
    reason: REASON = ""


class RecipientChange(Input):
    customer_id: Id = Field(description="The customer who gets the new draft")
    reason: REASON = ""


class RecipientChanged(InvoiceOut):
    credit_note_id: Id = Field(description="The credit note that cancelled the original invoice (related_id)")


class CreditLine(Input):
    item_id: Id = Field(description="The invoice's item (GET /invoices/{id}/items)")
    quantity: decimal_input(4, "How much of it to credit (positive)")


class CreditNoteIn(Input):
    """A draft credit note: `full` (everything still creditable), `lines` (chosen items and quantities) or
    `amount` (in minor units, in one of the invoice's VAT groups: `tax_rate` and `tax_category`, not needed
    when the invoice has one)."""
    mode: Literal["full", "lines", "amount"] = "full"
    reason: REASON = ""
    lines: list[CreditLine] = Field(default_factory=list, max_length=500)
    amount: MinorAmount | None = Field(None, description="mode amount: net, or gross for inclusive prices")
    tax_rate: decimal_input(4, "mode amount: the VAT group's percentage, e.g. 19") | None = None
    tax_category: Literal[*TAX_CATEGORIES] | None = None  # type: ignore[valid-type]


@bp.post("/invoices/<int:document_id>/cancel")
@idempotent
@spec.validate(json=Cancel, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def cancel_invoice(document_id: int):
    """Cancel an invoice

    Seeds 002 and 003: a credit note for everything still creditable is issued and the invoice is cancelled
    (issued documents never change: both stay). The answer is the cancelled invoice; `credit_note_ids` names
    the credit note."""
    body: Cancel = request.context.json or Cancel()
    note = corrections.cancel(actor(), document_id, body.reason)
    return answer(_doc(note.related_id))


@bp.post("/invoices/<int:document_id>/change-recipient")
@idempotent
@spec.validate(json=RecipientChange, resp=Answers(HTTP_201=RecipientChanged, **ERRORS), tags=ACTION_TAGS)
def change_recipient(document_id: int):
    """Give an invoice another recipient

    Seed 002: the invoice is cancelled by a credit note and a new draft with its content is made for the other
    customer. The answer is the new draft (201, `Location`; `related_id`: the original), with the credit note
    as `credit_note_id`."""
    body: RecipientChange = request.context.json
    g.api_field_map = {"contact_id": "customer_id"}
    note, copy = corrections.change_recipient(actor(), document_id, int(body.customer_id), body.reason)
    return _answer(copy, 201, credit_note_id=str(note.id))


@bp.post("/invoices/<int:document_id>/reactivate")
@idempotent
@spec.validate(resp=Answers(HTTP_201=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def reactivate_invoice(document_id: int):
    """Reactivate a cancelled invoice

    Seed 003, as the web does it: the cancelled invoice and its credit note stay as they are, and a new draft
    with the same content is made, linked to the old one (`related_id`). Finalize it to issue it."""
    return _answer(corrections.reactivate(actor(), document_id), 201)


def _group(doc, body: CreditNoteIn) -> tuple[str, str]:
    """The invoice's VAT group (category, rate as stored) that ``tax_rate`` and ``tax_category`` name."""
    groups = [(t["category"], t["rate"]) for t in doc.tax_breakdown]
    if body.tax_rate is None and body.tax_category is None:
        return groups[0] if len(groups) == 1 else ("", "")
    for category, rate in groups:
        if (body.tax_rate is None or Decimal(rate) == body.tax_rate) and body.tax_category in (None, category):
            return category, rate
    return body.tax_category or "", decimal_text(body.tax_rate) or ""


@bp.post("/invoices/<int:document_id>/credit-notes")
@idempotent
@spec.validate(json=CreditNoteIn, resp=Answers(HTTP_201=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def create_credit_note(document_id: int):
    """Draft a credit note for an invoice

    Seed 000: a draft (`kind: credit_note`, `related_id`: the invoice) crediting everything, chosen items or an
    amount; issue it with POST /invoices/{id}/finalize, when the limits (never more than is creditable) are
    checked again."""
    body: CreditNoteIn = request.context.json
    invoice = _doc(document_id)
    g.api_field_map = {}
    note = corrections.create_credit_note(actor(), document_id, corrections.CreditInput(
        mode=body.mode, reason=body.reason, quantities={int(line.item_id): line.quantity for line in body.lines},
        amount=from_minor(body.amount, invoice.currency) if body.amount is not None else None,
        group=_group(invoice, body)))
    return _answer(note, 201)


# --- quotes -----------------------------------------------------------------------------------------

@bp.post("/invoices/<int:document_id>/accept")
@idempotent
@spec.validate(resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def accept_quote(document_id: int):
    """Record that the customer accepted a quote

    Seed 002's quotes: a sent quote becomes `accepted` (then convert it)."""
    return answer(quotes.decide(actor(), document_id, "accept"))


@bp.post("/invoices/<int:document_id>/decline")
@idempotent
@spec.validate(resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def decline_quote(document_id: int):
    """Record that the customer declined a quote"""
    return answer(quotes.decide(actor(), document_id, "decline"))


@bp.post("/invoices/<int:document_id>/convert")
@idempotent
@spec.validate(resp=Answers(HTTP_201=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def convert_quote(document_id: int):
    """Convert an accepted quote into an invoice

    The answer is the invoice draft (201, `Location`), linked to the quote (`related_id`); a quote converts
    once."""
    return _answer(quotes.convert(actor(), document_id), 201)


# --- notes ------------------------------------------------------------------------------------------

def _a_file(value):
    if not isinstance(value, FileStorage):
        raise ValueError("a file part (a PDF, PNG or JPEG)")
    return value


def _as_list(value):
    return value if isinstance(value, list) else [value]


Upload = Annotated[Any, AfterValidator(_a_file), WithJsonSchema({"type": "string", "format": "binary"})]


class NoteText(Input):
    """A note without files, as JSON."""
    body: text(note_rules.MAX_BODY, "The note (plain text)") = Field("", validation_alias=AliasChoices(
        "body", "note", "text"))


class NoteForm(Input):
    """multipart/form-data: ``body`` (or seed 003's ``note`` / ``text``) and up to 10 ``files`` (or ``file``),
    each a PDF, PNG or JPEG of at most 10 MB (the request at most 16 MB): one note with all its files."""
    body: text(note_rules.MAX_BODY, "The note (plain text)") = Field("", validation_alias=AliasChoices(
        "body", "note", "text"))
    files: Annotated[list[Upload], BeforeValidator(_as_list)] = Field(
        default_factory=list, max_length=note_rules.MAX_FILES, validation_alias=AliasChoices("files", "file"))


class NoteFilesForm(Input):
    """multipart/form-data: the ``files`` (or ``file``) to add, PDF, PNG or JPEG of at most 10 MB each; the note
    holds at most 10."""
    files: Annotated[list[Upload], BeforeValidator(_as_list)] = Field(  # none: the use case says so (files_missing)
        default_factory=list, max_length=note_rules.MAX_FILES, validation_alias=AliasChoices("files", "file"))


class NoteFileOut(Output):
    id: Id
    filename: str
    size: int
    content_type: str
    created_on: datetime
    url: str = Field(description="Download it here (as an attachment)")


class NoteOut(Output):
    id: Id
    body: str
    created_on: datetime
    created_by: str | None
    files: list[NoteFileOut]


class NoteList(Output):
    data: list[NoteOut]


def note_json(note: DocumentNote) -> dict:
    files = [{"id": str(f.id), "filename": f.file_name, "size": f.file_size, "content_type": f.file_mime,
              "created_on": f.created_at,
              "url": url_for("api.note_file", document_id=note.document_id, note_id=note.id, file_id=f.id,
                             _external=True)} for f in note.files]
    return {"id": str(note.id), "body": note.body, "created_on": note.created_at,
            "created_by": note.author.email if note.author is not None else None, "files": files}


def _uploads(form) -> list[notes.NoteFile]:
    return [notes.NoteFile(filename=u.filename or "", data=u.read(note_rules.MAX_FILE_BYTES + 1))
            for u in getattr(form, "files", [])]


def _note_answer(note: DocumentNote, status: int = 200):
    db.session.flush()
    db.session.refresh(note)  # its files in their order
    response = jsonify(note_json(note))
    response.status_code = status
    if status == 201:
        response.headers["Location"] = url_for("api.get_note", document_id=note.document_id, note_id=note.id)
    return response


@bp.get("/invoices/<int:document_id>/notes")
@spec.validate(resp=Answers(HTTP_200=NoteList, **ERRORS), tags=NOTE_TAGS)
def list_notes(document_id: int):
    """List a document's internal notes

    Oldest first, each with its files (download each at its `url`). Notes are never shown to the customer."""
    doc = _doc(document_id)
    rows = db.session.scalars(select(DocumentNote).where(DocumentNote.org_id == doc.org_id,
                                                         DocumentNote.document_id == doc.id)
                              .options(selectinload(DocumentNote.files), selectinload(DocumentNote.author))
                              .order_by(DocumentNote.id)).all()
    return jsonify({"data": [note_json(n) for n in rows]})


@bp.get("/invoices/<int:document_id>/notes/<int:note_id>")
@spec.validate(resp=Answers(HTTP_200=NoteOut, **ERRORS), tags=NOTE_TAGS)
def get_note(document_id: int, note_id: int):
    """Read an internal note, with its files"""
    doc = _doc(document_id)
    return jsonify(note_json(notes.note_of(actor(), doc.id, note_id)))


@bp.post("/invoices/<int:document_id>/notes")
@idempotent
@spec.validate(json=NoteText, form=NoteForm, resp=Answers(HTTP_201=NoteOut, **ERRORS), tags=NOTE_TAGS)
def add_notes(document_id: int):
    """Add an internal note, with files

    Seed 003: multipart/form-data with `body` (or `note`, `text`) and up to 10 `files` (or `file`; PDF, PNG,
    JPEG, at most 10 MB each; the type is read from the content), or JSON `{"body": ...}` without files. The
    answer is the one note made, with all its files (201, `Location`); a refused file refuses the note
    (pointer `/files/<i>`)."""
    form: NoteForm | None = request.context.form
    body = form if form is not None else (request.context.json or NoteText())
    g.api_field_map = {}
    note = notes.add_note(actor(), document_id, notes.NoteInput(body=body.body, files=_uploads(body)))
    return _note_answer(note, 201)


@bp.post("/invoices/<int:document_id>/notes/<int:note_id>/files")
@idempotent
@spec.validate(form=NoteFilesForm, resp=Answers(HTTP_201=NoteOut, **ERRORS), tags=NOTE_TAGS)
def add_note_files(document_id: int, note_id: int):
    """Add files to an internal note

    Seed 003: multipart/form-data with one or more `files` (or `file`), as on a new note; the note holds at most
    10. All are added or none (pointer `/files/<i>` names a refused one). The answer is the note with all its
    files."""
    g.api_field_map = {}
    note = notes.add_note_files(actor(), document_id, note_id, _uploads(request.context.form or NoteFilesForm()))
    return _note_answer(note, 201)


MULTIPART_ENDPOINTS.update({"api.add_notes", "api.add_note_files"})


def _download(document_id: int, note_id: int, file_id: int | None):
    doc = _doc(document_id)
    file = notes.note_file(actor(), doc.id, note_id, file_id)
    response = stored_file(note_rules.file_path(file), file.file_name, file.file_mime)
    response.direct_passthrough = False  # spectree reads the answer it checks (at most 10 MB)
    return response


@bp.get("/invoices/<int:document_id>/notes/<int:note_id>/files/<int:file_id>")
@spec.validate(resp=Answers(HTTP_200=None, **ERRORS), tags=NOTE_TAGS)
def note_file(document_id: int, note_id: int, file_id: int):
    """Download a file of a note

    As an attachment, with the type read when it was uploaded."""
    return _download(document_id, note_id, file_id)


@bp.get("/invoices/<int:document_id>/notes/<int:note_id>/file")
@spec.validate(resp=Answers(HTTP_200=None, **ERRORS), tags=NOTE_TAGS)
def note_first_file(document_id: int, note_id: int):
    """Download a note's first file

    From when a note held one file; `files[].url` names each file."""
    return _download(document_id, note_id, None)


# --- the customer's link ----------------------------------------------------------------------------

class LinkOut(Output):
    customer_url: str | None = Field(description="The page the customer opens (null: none; drafts have none)")
    active: bool
    viewed_at: datetime | None = Field(description="When the customer first opened it")


def link_json(doc) -> dict:
    url = url_for("public.document", token=doc.public_token, _external=True) if doc.public_token else None
    return {"customer_url": url, "active": url is not None, "viewed_at": doc.viewed_at}


@bp.get("/invoices/<int:document_id>/link")
@spec.validate(resp=Answers(HTTP_200=LinkOut, **ERRORS), tags=LINK_TAGS)
def get_link(document_id: int):
    """The customer's link

    Made when the document is issued (the same as the invoice's `customer_url`)."""
    return jsonify(link_json(_doc(document_id)))


@bp.post("/invoices/<int:document_id>/link")
@idempotent
@spec.validate(resp=Answers(HTTP_200=LinkOut, **ERRORS), tags=LINK_TAGS)
def renew_link(document_id: int):
    """Make a new customer link

    The old link stops working at once."""
    doc = links.renew_link(actor(), document_id)
    return jsonify(link_json(doc))


@bp.delete("/invoices/<int:document_id>/link")
@spec.validate(resp=Answers(HTTP_204=None, **ERRORS), tags=LINK_TAGS)
def revoke_link(document_id: int):
    """Revoke the customer link

    The link stops working; POST makes a new one."""
    links.revoke_link(actor(), document_id)
    return "", 204
