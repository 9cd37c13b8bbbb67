"""Loading a document for an action: the organization's (else not found), the role's permission for this kind
of document and action, the action allowed in its status, the draft's version; optionally row-locked."""
from __future__ import annotations

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, NotFound
from webapp.models import Document
from webapp.services import locks
from webapp.services.state import check_version, require
from webapp.usecases import Actor, load


def for_action(actor: Actor, document_id: int, action: str, version: int | None = None,
               lock: bool = False, in_write: bool = False) -> Document:
    """The document ``action`` is about to change, with every check done; ``lock`` takes its row lock first
    (a fresh write transaction: on SQLite the database's write lock; ``in_write``: in the write transaction the
    use case began already, for one that changes several documents)."""
    doc = load(actor, Document, document_id, "document")
    actor.require(status_table.permission_for(doc.kind, action, doc.flow))
    if lock:
        doc = (locks.locked_document if in_write else locks.lock_document)(actor.org, document_id)
        if doc is None:
            raise NotFound("document")
    require(doc, action)
    check_version(doc, version)
    return doc


def check_action(actor: Actor, document_id: int, action: str) -> Document:
    """For a form page (GET): refuse early when the action is not possible (same checks, nothing changes)."""
    return for_action(actor, document_id, action)


def allowed_actions(actor: Actor, doc: Document) -> list[str]:
    """The actions the document's status allows and the actor's role may do: the buttons to show."""
    return [a for a in sorted(status_table.actions_of(doc.kind, doc.current_status, doc.flow))
            if actor.can(status_table.permission_for(doc.kind, a, doc.flow))]


def child(items, item_id: int, what: str):
    """A line or adjustment of this document (ids of other documents never match)."""
    item = next((x for x in items if x.id == item_id), None)
    if item is None:
        raise NotFound(what)
    return item


__all__ = ["ActionError", "allowed_actions", "check_action", "child", "for_action"]
