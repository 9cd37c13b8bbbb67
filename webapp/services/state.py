"""A document's state checks: the action table (``domain/status.py``) and the draft's version."""
from __future__ import annotations

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, Text
from webapp.models import Document

STALE_MESSAGE = Text("Someone else changed this draft meanwhile. You now see the current state; "
                     "please make your change again.")


def require(doc: Document, action: str) -> None:
    """Refuse (``ActionError``) unless ``action`` is allowed in the document's current status."""
    status_table.require(doc.kind, doc.current_status, action, doc.flow)


def check_version(doc: Document, version: int | None, message: Text = STALE_MESSAGE) -> None:
    """Refuse a change made to an older version of the draft than the stored one (``None``: not checked)."""
    if version is not None and version != doc.version:
        raise ActionError("document_changed", message)
