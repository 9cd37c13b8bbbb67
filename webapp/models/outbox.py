"""Outgoing e-mail, written in the same transaction as the change that causes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, false, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # A form submitted twice (double click, retry) queues one message.
        Index("uq_outbox_message_org_key", "org_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organization the message belongs to; None for account mail (password reset).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40))  # password_reset, invitation, ...
    sender: Mapped[str] = mapped_column(String(320))
    to_addrs: Mapped[str] = mapped_column(Text)  # comma-separated
    cc_addrs: Mapped[str] = mapped_column(Text, default="")
    reply_to: Mapped[str] = mapped_column(String(320), default="", server_default="")  # the organization's
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    delivered_file: Mapped[str] = mapped_column(String(255), default="")  # file backend only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The document the message is about (its timeline shows the delivery state); with attach_pdf its
    # stored PDF goes along, read at delivery (issued PDFs never change, so nothing is copied).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attach_pdf: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in (self.to_addrs + "," + self.cc_addrs).split(",") if a.strip()]
