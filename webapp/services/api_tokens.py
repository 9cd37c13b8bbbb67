"""API tokens: made (shown once, only the hash stored), found by the token a request presents, revoked; the
last use recorded at most once a minute."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import ApiToken, Organization, User
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.tokens import hash_token

PREFIX = "tb_"  # every Tallybook token starts so: secret scanners and people can tell what it is
SHOWN_PREFIX = 7  # "tb_" and four characters: enough to tell tokens apart, far too little to guess one
LAST_USE_EVERY = timedelta(minutes=1)


def create(org: Organization, actor: User, name: str, role: str, expires_at: datetime | None) -> tuple[ApiToken, str]:
    """A new token of ``org``; returns the row and the token itself (never stored, shown once)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(org_id=org.id, name=name, role=role, token_hash=hash_token(token), prefix=token[:SHOWN_PREFIX],
                   created_by_id=getattr(actor, "id", None), expires_at=expires_at)
    db.session.add(row)
    db.session.flush()
    audit.record(org, actor, "api_token.created", row, summary=f"{actor.email} made the API token {name} ({role})",
                 role=role)
    return row, token


def revoke(org: Organization, actor: User, row: ApiToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(org, actor, "api_token.revoked", row, summary=f"{actor.email} revoked the API token {row.name}")


def find(token: str) -> ApiToken | None:
    """The active token ``token`` names, or None (unknown, revoked or expired)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.is_active():
        return None
    return row


def due_for_touch(row: ApiToken) -> bool:
    return row.last_used_at is None or utcnow() - row.last_used_at >= LAST_USE_EVERY


def touch(token_id: int) -> None:
    """Record the use now, in a transaction of its own (after the request's), unless it was recorded less than
    a minute ago: one UPDATE a minute per token, whatever the traffic; the condition in the statement keeps two
    servers from both writing."""
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(update(ApiToken).where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - LAST_USE_EVERY),
        ).values(last_used_at=now))


def tokens_of(org_id: int) -> list[ApiToken]:
    return db.session.scalars(select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.id.desc())).all()
