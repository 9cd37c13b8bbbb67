"""The customer's link: renew (the old one stops working), revoke, and the customer opening it."""
from __future__ import annotations

from webapp.domain.errors import NotFound
from webapp.models import Document
from webapp.services import links
from webapp.usecases import Actor, load, usecase


def _issued(actor: Actor, document_id: int) -> Document:
    actor.require("issue_documents")
    return load(actor, Document, document_id, "document")


@usecase
def renew_link(actor: Actor, document_id: int) -> Document:
    doc = _issued(actor, document_id)
    links.new_public_link(actor.org, actor.user, doc)
    return doc


@usecase
def revoke_link(actor: Actor, document_id: int) -> Document:
    doc = _issued(actor, document_id)
    links.revoke_public_link(actor.org, actor.user, doc)
    return doc


@usecase
def open_link(token: str) -> Document:
    """The issued document behind a customer link (never a draft, a revoked or a guessed token); the first
    visit is recorded (the one write a GET makes)."""
    doc = links.public_document(token)
    if doc is None:
        raise NotFound("document")
    links.record_view(doc)
    return doc
