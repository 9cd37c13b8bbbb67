"""Internal notes on a document (any kind and status), each with up to 10 PDF, PNG or JPEG files."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import DocumentNote, DocumentNoteFile
from webapp.services import notes
from webapp.usecases import Actor, NotFound, usecase
from webapp.usecases.documents import for_action

NoteFile = notes.Upload  # a file as it came in: filename, data (read up to notes.MAX_FILE_BYTES + 1)


@dataclass(frozen=True)
class NoteInput:
    body: str = ""
    files: Sequence[NoteFile] = ()


@usecase
def add_note(actor: Actor, document_id: int, data: NoteInput) -> DocumentNote:
    """One note with its files (the web's form and the API's multipart note, seed 003); a file refused refuses
    the note (``field``: ``files.<i>``)."""
    doc = for_action(actor, document_id, "note")
    return notes.add(actor.org, actor.user, doc, data.body, tuple(data.files))


@usecase
def add_note_files(actor: Actor, document_id: int, note_id: int, files: Sequence[NoteFile]) -> DocumentNote:
    """Files added to a note of the document (seed 003), all or none; at most notes.MAX_FILES in the note."""
    doc = for_action(actor, document_id, "note", lock=True)  # one adder at a time: the count stays true
    note = note_of(actor, doc.id, note_id)
    notes.add_files(actor.org, actor.user, doc, note, tuple(files))
    return note


def note_of(actor: Actor, document_id: int, note_id: int) -> DocumentNote:
    """A note of the organization's document, or NotFound."""
    note = db.session.scalar(select(DocumentNote).where(DocumentNote.org_id == actor.org.id,
                                                        DocumentNote.document_id == document_id,
                                                        DocumentNote.id == note_id))
    if note is None:
        raise NotFound("note")
    return note


def note_file(actor: Actor, document_id: int, note_id: int, file_id: int | None = None) -> DocumentNoteFile:
    """A file of a note of the organization's document (``file_id`` None: the note's first file), or NotFound.
    A read: the caller has loaded the document for the actor already."""
    stmt = (select(DocumentNoteFile).join(DocumentNote, DocumentNote.id == DocumentNoteFile.note_id)
            .where(DocumentNote.org_id == actor.org.id, DocumentNote.document_id == document_id,
                   DocumentNoteFile.note_id == note_id))
    stmt = stmt.where(DocumentNoteFile.id == file_id) if file_id is not None else stmt
    file = db.session.scalar(stmt.order_by(DocumentNoteFile.position, DocumentNoteFile.id).limit(1))
    if file is None or notes.file_path(file) is None:
        raise NotFound("file")
    return file
