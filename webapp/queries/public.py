"""Reads for the customer's page (``/p/<token>``) beyond the document itself."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Document, Organization, Payment

LOGO_TYPES = ("image/png", "image/jpeg")  # what settings accept (read from the bytes); anything else is not served


def paid_on(doc: Document) -> date | None:
    """The day a paid (or overpaid) invoice was paid: the date of its latest payment that is not voided (the one
    that settled it); None while something is still due or when no payment settled it (a credit note did)."""
    if doc.payment_state not in ("paid", "overpaid"):
        return None
    return db.session.scalar(select(func.max(Payment.paid_on)).where(
        Payment.document_id == doc.id, Payment.voided_at.is_(None), Payment.amount > 0))


def has_logo(org: Organization) -> bool:
    return org.has_logo and org.logo_mime in LOGO_TYPES
