"""Internal notes on a document (any kind and status), each with an optional PDF, PNG or JPEG file."""
from __future__ import annotations

from dataclasses import dataclass

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
