"""What the dashboard lists, for the sales (what customers owe) and the purchases (what is owed to suppliers)
alike (``flow``): the invoices overdue longest, the contacts owed most and the latest payments, a handful each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select, text

from webapp.extensions import db
from webapp.models import Contact, Document, Payment
from webapp.models.document import OPEN_DUE_SQL

AMOUNT_DUE = Document.amount_due  # gross - credited - paid (a credit note reduces its invoice's credited_total)


def overdue_invoices(org_id: int, today: date | None = None, limit: int = 5, flow: str = "sales") -> list[Document]:
    """The issued invoices of ``flow`` (sales, or suppliers' invoices: purchases) with something due whose due
    date has passed, the longest overdue first (served by the partial index ``ix_document_open_due``, whatever
    the number of paid invoices)."""
    today = today or date.today()
    return list(db.session.scalars(
        select(Document)
        .where(Document.org_id == org_id, Document.kind == "invoice", Document.flow == flow,
               text(OPEN_DUE_SQL),
               Document.due_date < today)
        .order_by(Document.due_date, Document.id).limit(limit)))


@dataclass(frozen=True)
class ContactBalance:
    """What is open with one contact in one currency (minor units), and how much of it is overdue."""
    contact: Contact
    currency: str
    outstanding: int
    overdue: int


def top_contacts(org_id: int, flow: str = "sales", today: date | None = None, limit: int = 5) -> list[ContactBalance]:
    """The contacts with the most open on their issued invoices of ``flow`` (customers who owe most; with
    purchases, the suppliers owed most), per contact and currency, largest first: one query over the open
    invoices (the partial index ``ix_document_open_due``)."""
    today = today or date.today()
    open_ = (select(Document.contact_id, Document.currency, func.sum(AMOUNT_DUE).label("outstanding"),
                    func.sum(case((Document.due_date < today, AMOUNT_DUE), else_=0)).label("overdue"))
             .where(Document.org_id == org_id, Document.kind == "invoice", Document.flow == flow,
                    text(OPEN_DUE_SQL), Document.contact_id.is_not(None))
             .group_by(Document.contact_id, Document.currency).subquery())
    rows = db.session.execute(
        select(Contact, open_.c.currency, open_.c.outstanding, open_.c.overdue)
        .join(open_, open_.c.contact_id == Contact.id)
        .order_by(open_.c.outstanding.desc(), Contact.id, open_.c.currency).limit(limit))
    return [ContactBalance(contact, currency, int(outstanding), int(overdue))
            for contact, currency, outstanding, overdue in rows]


def recent_payments(org_id: int, limit: int = 5, flow: str = "sales") -> list[tuple[Payment, str, str]]:
    """The latest payments and refunds (voided ones left out) of ``flow``'s documents (money in from customers;
    purchases: money out to suppliers) with their invoice's number and contact: one query, served by
    ``ix_payment_org_paid_on``."""
    return [tuple(row) for row in db.session.execute(
        select(Payment, Document.number, Document.buyer_name).join(Document, Document.id == Payment.document_id)
        .where(Payment.org_id == org_id, Payment.voided_at.is_(None), Document.flow == flow)
        .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit))]


def paid_in_month(org_id: int, today: date, flow: str = "sales") -> list[tuple[str, int]]:
    """(currency, sum) of the payments on ``flow``'s documents (refunds less, voided ones left out) from the first
    of ``today``'s month to ``today``: what customers paid (sales) or what was paid to suppliers (purchases)."""
    rows = db.session.execute(
        select(Payment.currency, func.sum(Payment.amount)).join(Document, Document.id == Payment.document_id)
        .where(Payment.org_id == org_id, Payment.voided_at.is_(None), Payment.paid_on >= today.replace(day=1),
               Payment.paid_on <= today, Document.flow == flow)
        .group_by(Payment.currency)).all()
    return sorted((currency, int(paid)) for currency, paid in rows if paid)
