"""The customer's link (``/p/<token>``): made at issue, renewed, revoked, opened."""
from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, Organization, User
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.mail import external_url


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def new_public_link(org: Organization, actor: User, doc: Document) -> str:
    """Replace the customer's link with a new one (the old one stops working at once)."""
    if doc.is_draft:
        raise ActionError("document_is_draft", "Drafts have no customer link; issue the invoice first.")
    revoked = doc.public_token is not None
    doc.public_token = new_token()
    audit.record(org, actor, "document.link_renewed" if revoked else "document.link_created", doc,
                 summary=f"{actor.email} {'revoked the customer link and made a new one' if revoked else 'made a customer link'}")
    return doc.public_token


def public_link(doc: Document) -> str | None:
    """The customer's link as an absolute URL (from BASE_URL), or None when there is none."""
    return external_url("public.document", token=doc.public_token) if doc.public_token else None


def revoke_public_link(org: Organization, actor: User, doc: Document) -> None:
    if doc.public_token is None:
        raise ActionError("no_link", "This invoice has no customer link.")
    doc.public_token = None
    audit.record(org, actor, "document.link_revoked", doc, summary=f"{actor.email} revoked the customer link")


def public_document(token: str) -> Document | None:
    """The issued document behind a customer link; never a draft, never a revoked or guessed token."""
    if not token or len(token) > 64:
        return None
    doc = db.session.scalar(select(Document).where(Document.public_token == token))
    if doc is None or doc.is_draft:
        return None
    return doc


def record_view(doc: Document) -> bool:
    """Record the first visit of the customer's link (the one write a GET may make). True if it was the first.

    One conditional UPDATE, outside the ORM's version counter: a payment or decision at the same moment
    neither loses the visit nor fails the page, and two first visits record one."""
    if doc.viewed_at is not None:
        return False
    now = utcnow()
    result = db.session.execute(update(Document).where(Document.id == doc.id, Document.viewed_at.is_(None))
                                .values(viewed_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(doc, "viewed_at", now)
    org = db.session.get(Organization, doc.org_id)
    audit.record(org, None, "document.viewed", doc, summary=f"{doc.buyer_name} opened {doc.number}")
    return True
