"""Bank statements and their transactions (issue 18): what the bank says happened on the account, matched to the
invoices and purchases it pays (services/bank.py). A transaction is imported once per organization (``identity``)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

FORMAT_LABELS = {"camt053": "CAMT.053", "mt940": "MT940", "csv": "CSV"}
# a transaction's state: waiting for a match, matched (its payment recorded), or set aside (fees, transfers ...)
STATUSES = {"open": _n("Open"), "matched": _n("Matched"), "ignored": _n("Ignored")}
# how sure a proposal is: the number and the amount due ("exact"), the number ("number"), the amount and the
# counterparty ("amount_party"), or the amount alone among the open documents ("amount")
CONFIDENCES = {"exact": _n("Exact"), "high": _n("High"), "medium": _n("Medium"), "low": _n("Low")}
REASONS = {"number": _n("Its number is in the text"), "amount_iban": _n("Amount and the IBAN of an earlier match"),
           "amount_name": _n("Amount and the name"), "amount": _n("Amount: the only open document with it")}


class BankStatement(db.Model):
    __tablename__ = "bank_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(200))
    account_iban: Mapped[str] = mapped_column(String(34), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    statement_ref: Mapped[str] = mapped_column(String(100), default="")
    opening_balance: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # minor units
    closing_balance: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    line_count: Mapped[int] = mapped_column(Integer, default=0)  # in the file
    new_count: Mapped[int] = mapped_column(Integer, default=0)  # not imported before
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)


class BankTransaction(db.Model):
    __tablename__ = "bank_transaction"
    __table_args__ = (
        UniqueConstraint("org_id", "identity", name="uq_bank_transaction_identity"),
        Index("ix_bank_transaction_org_status_booked", "org_id", "status", "booked_on"),
        Index("ix_bank_transaction_org_iban", "org_id", "counterparty_iban"),
        Index("ix_bank_transaction_payment", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id", ondelete="CASCADE"), index=True)
    # the bank's reference of the entry, else a digest of what the entry says (services/bank.identity)
    identity: Mapped[str] = mapped_column(String(64))
    booked_on: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units, signed: > 0 money in, < 0 money out
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str] = mapped_column(String(200), default="")
    counterparty_iban: Mapped[str] = mapped_column(String(34), default="")
    remittance: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    end_to_end_id: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    # the match proposed on import (services/bank.propose): a document, why, how sure
    proposed_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"),
                                                             nullable=True)
    proposal_reason: Mapped[str] = mapped_column(String(20), default="")
    confidence: Mapped[str] = mapped_column(String(10), default="")
    # the match confirmed: the document paid and the payment recorded
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"), nullable=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[BankStatement] = relationship()
    proposed_document: Mapped["Document | None"] = relationship(foreign_keys=[proposed_document_id])  # noqa: F821
    document: Mapped["Document | None"] = relationship(foreign_keys=[document_id])  # noqa: F821

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.proposal_reason, self.proposal_reason)

    @property
    def confidence_label(self) -> str:
        return CONFIDENCES.get(self.confidence, self.confidence)


class BankCsvLayout(db.Model):
    """How one bank writes its CSV export (``bank_files.CsvLayout`` as ``settings``), saved the first time a member
    maps its columns; found again by its header (``header_digest``)."""
    __tablename__ = "bank_csv_layout"
    __table_args__ = (UniqueConstraint("org_id", "header_digest", name="uq_bank_csv_layout_header"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    header_digest: Mapped[str] = mapped_column(String(64))  # sha256 of bank_files.header_key(header)
    header: Mapped[list] = mapped_column(JSON)  # the header's cells, as shown
    settings: Mapped[dict] = mapped_column(JSON)  # the CsvLayout's fields
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
