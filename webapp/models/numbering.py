"""Document number series and their counters.

One series per organization and document kind holds the format; one counter
row per series and period (the year with a yearly reset, 0 otherwise) holds
the last number handed out. Numbers are taken from the counter row inside the
transaction that issues the document.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db

DOCUMENT_KINDS = ("invoice", "credit_note", "quote")
DEFAULT_FORMATS = {
    "invoice": "INV-{YYYY}-{SEQ:4}",
    "credit_note": "CN-{YYYY}-{SEQ:4}",
    "quote": "QUO-{YYYY}-{SEQ:4}",
}


class NumberSeries(db.Model):
    __tablename__ = "number_series"
    __table_args__ = (UniqueConstraint("org_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(60))
    reset_yearly: Mapped[bool] = mapped_column(Boolean, default=True)


class NumberCounter(db.Model):
    __tablename__ = "number_counter"
    __table_args__ = (UniqueConstraint("series_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("number_series.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(Integer)  # the year, or 0 without yearly reset
    last_value: Mapped[int] = mapped_column(Integer, default=0)
    # issue date of the last number taken: a later document may not be dated earlier
    last_date: Mapped[date | None] = mapped_column(Date, nullable=True)
