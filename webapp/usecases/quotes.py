"""Quotes after they are sent: accepted or declined (by a member, or by the customer at the quote's link),
converted into an invoice draft once accepted."""
from __future__ import annotations

from webapp.domain.errors import ActionError, NotFound
from webapp.models import Document, Organization
from webapp.extensions import db
from webapp.services import links, locks, quotes
from webapp.usecases import Actor, usecase
from webapp.usecases.documents import for_action

DECISIONS = ("accept", "decline")


def _decision(action: str) -> str:
    if action not in DECISIONS:
        raise ActionError("invalid_decision", "Accept or decline the quote.", "action")
    return action


@usecase
def decide(actor: Actor, quote_id: int, action: str) -> Document:
    """A member records the customer's decision (e.g. made by phone)."""
    # locked: the customer may decide on the quote's page at the same moment
    quote = for_action(actor, quote_id, _decision(action), lock=True)
    quotes.decide(actor.org, actor.user, quote, action)
    return quote


@usecase
def decide_at_link(token: str, action: str, note: str = "") -> Document:
    """The customer accepts or declines at the quote's link (a POST with its token)."""
    action = _decision(action)
    doc = links.public_document(token)
    if doc is None or doc.kind != "quote":
        raise NotFound("quote")
    org = db.session.get(Organization, doc.org_id)
    doc = locks.lock_document(org, doc.id)  # the owner may record a decision at the same moment
    quotes.decide(org, None, doc, action, note[:300])
    return doc


@usecase
def convert(actor: Actor, quote_id: int) -> Document:
    """The accepted quote as an invoice draft, linked both ways (locked: it converts once)."""
    quote = for_action(actor, quote_id, "convert", lock=True)
    return quotes.convert(actor.org, actor.user, quote)
