"""Internal notes on documents, each with an optional file (PDF, PNG or JPEG, at most 10 MB).

The file type is read from the bytes, never from the name or the browser's content type. Files are kept
by ``services/storage.py`` (today under ``ATTACHMENT_DIR``, outside ``static/``) and are only ever sent to
members of the organization, as downloads (``Content-Disposition: attachment``).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, DocumentNote, Organization, User
from webapp.services import audit, storage
from webapp.services.state import require

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # files sent at once (the API's multipart note; each file is a note of its own)
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


def add(org: Organization, actor: User, doc: Document, body: str, filename: str = "", data: bytes | None = None,
        ) -> DocumentNote:
    """Add a note (flush only); the file is stored at once, under a random key. Raises ActionError."""
    require(doc, "note")
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise ActionError("note_too_long", "A note has at most {max} characters.", "body", max=MAX_BODY)
    if not body and not data:
        raise ActionError("note_empty", "Write a note or choose a file.", "body")
    note = DocumentNote(org_id=org.id, document_id=doc.id, author_id=actor.id, body=body)
    if data is not None:
        if len(data) > MAX_FILE_BYTES:
            raise ActionError("file_too_large", "The file is {size} MB; at most {max} MB.", "file",
                              size=(Decimal(len(data)) / 1024 / 1024).quantize(Decimal("0.1")),
                              max=MAX_FILE_BYTES // 1024 // 1024)
        kind = sniff(data)
        if kind is None:
            raise ActionError("file_type_refused", "Only PDF, PNG and JPEG files can be attached (checked from the file's content).",
                                "file")
        mime, extension = kind
        stem = safe_stem(filename)
        note.file_name, note.file_mime, note.file_size = f"{stem}.{extension}", mime, len(data)
        note.file_key = storage.put(org.id, data)  # removed again if this transaction rolls back
    db.session.add(note)
    db.session.flush()
    audit.record(org, actor, "document.note_added", doc,
                 summary=f"{actor.email} added a note{' with ' + note.file_name if note.file_name else ''}",
                 note_id=note.id)
    return note


def discard_files_after_commit(doc: Document) -> None:
    """The files of the document's notes go once its deletion is committed (the rows go with the document)."""
    for note in db.session.scalars(select(DocumentNote).where(DocumentNote.document_id == doc.id,
                                                              DocumentNote.file_key != "")):
        storage.delete_after_commit(note.org_id, note.file_key)


def file_path(note: DocumentNote) -> Path | None:
    return storage.local_path(note.org_id, note.file_key)
