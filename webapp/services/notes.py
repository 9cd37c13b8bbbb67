"""Internal notes on documents, each with an optional file (PDF, PNG or JPEG, at most 10 MB).

The file type is read from the bytes, never from the name or the browser's content type. Files are stored
under ``ATTACHMENT_DIR/<organization id>/<random key>`` (outside ``static/``) and are only ever sent to
members of the organization, as downloads (``Content-Disposition: attachment``).
"""
from __future__ import annotations

import os
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app

from webapp.extensions import db
from webapp.models import Document, DocumentNote, Organization, User
from webapp.services import audit
from webapp.services.documents import DocumentError, require

MAX_FILE_BYTES = 10 * 1024 * 1024
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


def _path(org_id: int, key: str) -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"]) / str(org_id) / key


def add(org: Organization, actor: User, doc: Document, body: str, filename: str = "", data: bytes | None = None,
        ) -> DocumentNote:
    """Add a note (flush only); the file is written at once, under a random name. Raises DocumentError."""
    require(doc, "note")
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise DocumentError(f"A note has at most {MAX_BODY} characters.", "body")
    if not body and not data:
        raise DocumentError("Write a note or choose a file.", "body")
    note = DocumentNote(org_id=org.id, document_id=doc.id, author_id=actor.id, body=body)
    if data is not None:
        if len(data) > MAX_FILE_BYTES:
            raise DocumentError(f"The file is {len(data) / 1024 / 1024:.1f} MB; at most 10 MB.", "file")
        kind = sniff(data)
        if kind is None:
            raise DocumentError("Only PDF, PNG and JPEG files can be attached (checked from the file's content).",
                                "file")
        mime, extension = kind
        stem = safe_stem(filename)
        note.file_name, note.file_mime, note.file_size = f"{stem}.{extension}", mime, len(data)
        note.file_key = secrets.token_hex(16)
        path = _path(org.id, note.file_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    db.session.add(note)
    db.session.flush()
    audit.record(org, actor, "document.note_added", doc,
                 summary=f"{actor.email} added a note{' with ' + note.file_name if note.file_name else ''}",
                 note_id=note.id)
    return note


def discard_file(org_id: int, key: str) -> None:
    """Remove a note's file from disk (after its draft was deleted)."""
    if key:
        _path(org_id, key).unlink(missing_ok=True)


def file_path(note: DocumentNote) -> Path | None:
    if not note.file_key:
        return None
    path = _path(note.org_id, note.file_key)
    return path if path.is_file() else None
