"""Issuing a draft: the PDF is laid out before the number lock is taken, the number taken under it."""
from __future__ import annotations

from datetime import date

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, Text
from webapp.models import Document
from webapp.services import issuing, locks
from webapp.services.state import check_version
from webapp.usecases import Actor, load, usecase


STALE_ISSUE_MESSAGE = Text("This draft was changed elsewhere (in another tab or by someone else) since this page "
                           "was opened, so it was not issued. You now see the current state: check it and issue "
                           "again.")
JUST_ISSUED = {"invoice": Text("This invoice was just issued."),
               "credit_note": Text("This credit note was just issued."),
               "quote": Text("This quote was just issued.")}


@usecase
def issue(actor: Actor, document_id: int, version: int | None, today: date | None = None) -> Document:
    """Give the draft its number, dates, frozen copies and stored PDF.

    The PDF is rendered first, without the write lock (milliseconds under the lock instead of up to seconds);
    under the lock the draft is read again and the prepared PDF used only if nothing changed meanwhile."""
    doc = load(actor, Document, document_id, "document")
    actor.require(status_table.permission_for(doc.kind, "issue"))
    was_draft = doc.is_draft
    prepared = issuing.prepare_issue_pdf(actor.org, doc, today) if doc.version == version else None
    locks.begin_write()  # the number lock: the number is taken in this transaction
    doc = load(actor, Document, document_id, "document")  # the same kind: the permission holds
    if was_draft and not doc.is_draft:  # a request a moment faster issued it (a double click)
        raise ActionError("already_done", JUST_ISSUED[doc.kind])
    check_version(doc, version, STALE_ISSUE_MESSAGE)
    issuing.issue(actor.org, actor.user, doc, today=today, prepared=prepared)
    return doc
