"""What the JSON API keeps: the organization's API tokens and the answers to idempotent requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.roles import ROLES
from webapp.extensions import db
from webapp.models.types import UTCDateTime, one_of, utcnow


class ApiToken(db.Model):
    """A token a program uses to act in one organization with one role. Only its SHA-256 is stored; the
    token itself is shown once, when it is made. Revoked, never deleted (the audit log names it)."""

    __tablename__ = "api_token"
    __table_args__ = (
        Index("ix_api_token_org", "org_id", "id"),
        CheckConstraint(one_of("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the first characters of the token ("tb_AbC1"), so a member can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # written at most once a minute (services/api_tokens.touch): one of the few writes a GET may make
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotentRequest(db.Model):
    """The first answer to a POST with an ``Idempotency-Key``: replayed for the same key and body, refused for
    the same key with another body. The row is written in the request's own transaction, so two requests
    with one key produce one effect (the second waits for the first's row, then replays or conflicts)."""

    __tablename__ = "idempotent_request"
    __table_args__ = (
        UniqueConstraint("org_id", "key"),
        Index("ix_idempotent_request_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: the same key with another request is idempotency_key_reused
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[str] = mapped_column(String(2000), default="")  # JSON: Location, ETag ...
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
