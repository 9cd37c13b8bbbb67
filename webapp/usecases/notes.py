"""Internal notes on a document (any kind and status), each with an optional PDF, PNG or JPEG file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from webapp.domain.errors import ActionError
from webapp.models import DocumentNote
from webapp.services import notes
from webapp.usecases import Actor, usecase
from webapp.usecases.documents import for_action


@dataclass(frozen=True)
class NoteInput:
    body: str = ""
    filename: str = ""
    data: bytes | None = None  # the file's bytes (read up to notes.MAX_FILE_BYTES + 1), or None


@usecase
def add_note(actor: Actor, document_id: int, data: NoteInput) -> DocumentNote:
    doc = for_action(actor, document_id, "note")
    return notes.add(actor.org, actor.user, doc, data.body, data.filename if data.data else "", data.data)


@dataclass(frozen=True)
class NoteFile:
    filename: str
    data: bytes  # read up to notes.MAX_FILE_BYTES + 1


@usecase
def add_notes(actor: Actor, document_id: int, body: str, files: Sequence[NoteFile] = ()) -> list[DocumentNote]:
    """A note with several files (the API's multipart note, seed 003). A note holds one file, so: the body with
    the first file is one note, each further file a note of its own (no text), all in this transaction; a file
    refused refuses them all (``field``: ``files.<i>``)."""
    doc = for_action(actor, document_id, "note")
    if len(files) > notes.MAX_FILES:
        raise ActionError("too_many_files", "At most {max} files at once.", "files", max=notes.MAX_FILES)
    added = []
    for i, file in enumerate(files or [None]):
        try:
            added.append(notes.add(actor.org, actor.user, doc, body if i == 0 else "",
                                   file.filename if file else "", file.data if file else None))
        except ActionError as exc:
            if exc.field == "file":
                raise ActionError(exc.code, exc.text, f"files.{i}") from exc
            raise
    return added
