"""What the dashboard lists: the invoices overdue longest and the latest payments, a handful each."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, text

from webapp.extensions import db
from webapp.models import Document, Payment
from webapp.models.document import OPEN_DUE_SQL


def overdue_invoices(org_id: int, today: date | None = None, limit: int = 5) -> list[Document]:
    """The issued sales invoices with something due whose due date has passed, the longest overdue first
    (served by the partial index ``ix_document_open_due``, whatever the number of paid invoices)."""
    today = today or date.today()
    return list(db.session.scalars(
        select(Document)
        .where(Document.org_id == org_id, Document.kind == "invoice", Document.flow == "sales",
               text(OPEN_DUE_SQL),
               Document.due_date < today)
        .order_by(Document.due_date, Document.id).limit(limit)))


def recent_payments(org_id: int, limit: int = 5) -> list[tuple[Payment, str, str]]:
    """The latest payments and refunds (voided ones left out) with their invoice's number and customer: one
    query, served by ``ix_payment_org_paid_on``."""
    return [tuple(row) for row in db.session.execute(
        select(Payment, Document.number, Document.buyer_name).join(Document, Document.id == Payment.document_id)
        .where(Payment.org_id == org_id, Payment.voided_at.is_(None))
        .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit))]
