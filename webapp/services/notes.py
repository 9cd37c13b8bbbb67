"""Internal notes on documents, each with any number of files (PDF, PNG or JPEG, at most 10 MB each, at most
10 files per note).

The file type is read from the bytes, never from the name or the browser's content type. Files are kept
by ``services/storage.py`` (today under ``ATTACHMENT_DIR``, outside ``static/``) and are only ever sent to
members of the organization, as downloads (``Content-Disposition: attachment``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, DocumentNote, DocumentNoteFile, Organization, User
from webapp.services import audit, storage
from webapp.services.state import require

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # files per note
MAX_BODY = 5000
# magic numbers -> (MIME type, extension)
SIGNATURES = ((b"%PDF-", ("application/pdf", "pdf")), (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
              (b"\xff\xd8\xff", ("image/jpeg", "jpg")))


def sniff(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) from the file's first bytes, or None for anything but PDF, PNG and JPEG."""
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def safe_stem(filename: str) -> str:
    """The file name without folders, extension or anything but letters (any script), digits, - _ and spaces."""
    stem = Path((filename or "").replace("\\", "/")).stem
    stem = unicodedata.normalize("NFC", stem)
    stem = re.sub(r"[^\w\- ]+", "_", stem).strip(" ._")
    return re.sub(r"[ _]{2,}", "_", stem)[:150] or "attachment"


@dataclass(frozen=True)
class Upload:
    """A file as it came in: its name and bytes (read up to MAX_FILE_BYTES + 1, so an oversized one is told)."""
    filename: str
    data: bytes


def _check(files: Sequence[Upload], already: int = 0) -> list[tuple[str, str, bytes]]:
    """(file name, MIME type, bytes) of each file, or ActionError naming the first refused (``files.<i>``)."""
    if already + len(files) > MAX_FILES:
        raise ActionError("too_many_files", "A note holds at most {max} files.", "files", max=MAX_FILES)
    checked = []
    for i, upload in enumerate(files):
        data = upload.data
        if len(data) > MAX_FILE_BYTES:
            # read up to one byte more than allowed: how much larger is not known (MAX_FILE_BYTES is 10 MB)
            raise ActionError("file_too_large", "The file is larger than 10 MB.", f"files.{i}")
        kind = sniff(data)
        if kind is None:
            raise ActionError("file_type_refused",
                              "Only PDF, PNG and JPEG files can be attached (checked from the file's content).",
                              f"files.{i}")
        mime, extension = kind
        checked.append((f"{safe_stem(upload.filename)}.{extension}", mime, data))
    return checked


def _store(org: Organization, note: DocumentNote, checked: list[tuple[str, str, bytes]]) -> list[DocumentNoteFile]:
    """The files' rows, after the note's; each file stored at once under a random key (removed again if this
    transaction rolls back)."""
    position = max((f.position for f in note.files), default=-1) + 1
    added = []
    for offset, (name, mime, data) in enumerate(checked):
        row = DocumentNoteFile(org_id=org.id, file_name=name, file_mime=mime, file_size=len(data),
                               file_key=storage.put(org.id, data), position=position + offset)
        note.files.append(row)
        added.append(row)
    return added


def add(org: Organization, actor: User, doc: Document, body: str, files: Sequence[Upload] = ()) -> DocumentNote:
    """Add a note with its files, all or nothing (flush only). Raises ActionError."""
    require(doc, "note")
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise ActionError("note_too_long", "A note has at most {max} characters.", "body", max=MAX_BODY)
    if not body and not files:
        raise ActionError("note_empty", "Write a note or choose a file.", "body")
    checked = _check(files)
    note = DocumentNote(org_id=org.id, document_id=doc.id, author_id=actor.id, body=body)
    db.session.add(note)
    _store(org, note, checked)
    db.session.flush()
    names = ", ".join(f.file_name for f in note.files)
    audit.record(org, actor, "document.note_added", doc,
                 summary=f"{actor.email} added a note{' with ' + names if names else ''}", note_id=note.id)
    return note


def add_files(org: Organization, actor: User, doc: Document, note: DocumentNote,
              files: Sequence[Upload]) -> list[DocumentNoteFile]:
    """Add files to a note of ``doc`` (the caller holds the document's lock, so the count is true). Raises
    ActionError."""
    require(doc, "note")
    if not files:
        raise ActionError("files_missing", "Choose at least one file.", "files")
    added = _store(org, note, _check(files, already=len(note.files)))
    db.session.flush()
    audit.record(org, actor, "document.note_files_added", doc,
                 summary=f"{actor.email} added {', '.join(f.file_name for f in added)} to a note", note_id=note.id)
    return added


def discard_files_after_commit(doc: Document) -> None:
    """The files of the document's notes go once its deletion is committed (the rows go with the document)."""
    for org_id, key in db.session.execute(
            select(DocumentNoteFile.org_id, DocumentNoteFile.file_key)
            .join(DocumentNote, DocumentNote.id == DocumentNoteFile.note_id).where(DocumentNote.document_id == doc.id)):
        storage.delete_after_commit(org_id, key)


def file_path(file: DocumentNoteFile) -> Path | None:
    return storage.local_path(file.org_id, file.file_key)
