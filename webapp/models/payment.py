"""Payments on issued invoices: money in (positive) or refunded (negative). Voided, never deleted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

METHODS = {  # labels: translated where shown ({{ _(p.method_label) }})
    "bank_transfer": _n("Bank transfer"),
    "card": _n("Card"),
    "cash": _n("Cash"),
    "cheque": _n("Cheque"),
    "paypal": "PayPal",
    "other": _n("Other"),
}


class Payment(db.Model):
    __tablename__ = "payment"
    __table_args__ = (
        # a form submitted twice (double click, retry, two tabs) records one payment
        UniqueConstraint("org_id", "idempotency_key"),
        Index("ix_payment_document", "document_id"),
        Index("ix_payment_org_paid_on", "org_id", "paid_on"),
        Index("ix_payment_org_method_paid_on", "org_id", "method", "paid_on"),  # the payments list by method
        CheckConstraint("amount <> 0", name="amount_not_zero"),  # money in (> 0) or refunded (< 0), never nothing
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of the document's currency; < 0: a refund
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20), default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(100), default="")  # bank or Stripe id
    note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    void_reason: Mapped[str] = mapped_column(String(300), default="")

    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    voided_by: Mapped["User | None"] = relationship(foreign_keys=[voided_by_id])  # noqa: F821

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, self.method)
