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
    # purchases: the organization's own booking (voucher) numbers of suppliers' documents, in the order booked
    "purchase_invoice": "PUR-{YYYY}-{SEQ:4}",
    "purchase_credit_note": "PCN-{YYYY}-{SEQ:4}",
    # self-billed invoices the organization makes out for its suppliers (type code 389), in the order of their dates
    "self_billing": "SB-{YYYY}-{SEQ:4}",
}
# a purchases series -> the kind of document it numbers (flow purchases)
PURCHASE_SERIES = {"purchase_invoice": "invoice", "purchase_credit_note": "credit_note", "self_billing": "invoice"}


def series_kind(kind: str, flow: str, self_billed: bool = False) -> str:
    """The series a document of ``kind`` and ``flow`` takes its number from."""
    if self_billed:
        return "self_billing"
    return f"purchase_{kind}" if flow == "purchases" else kind


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
