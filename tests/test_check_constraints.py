"""The database itself refuses what the domain never writes (CHECK constraints, models and migration 0010
alike: tests/test_trigger_sql.py compares them): each write below is an IntegrityError at flush, written with
raw SQL where the ORM or the issued-document guard would refuse first. SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from webapp.domain.roles import ROLES
from webapp.domain.status import FLOWS, KINDS, STATUSES
from webapp.domain.tax import ADJUSTMENT_KINDS, TAX_CATEGORIES
from webapp.extensions import db
from webapp.models import Document, DocumentAdjustment, DocumentLine, Invitation, Payment, TaxRate
from webapp.models.types import utcnow


@pytest.fixture
def rows(owner, f) -> dict[str, int]:
    """Ids of a draft with a line, an issued invoice with a payment, a membership, a tax rate."""
    org = owner.org
    draft, issued = f.draft(org), f.issued(org)
    payment = Payment(org_id=org.id, document_id=issued.id, amount=100, currency=issued.currency,
                      paid_on=date.today(), idempotency_key="k1")
    db.session.add(payment)
    db.session.commit()
    return {"org": org.id, "draft": draft.id, "line": draft.lines[0].id, "issued": issued.id, "payment": payment.id,
            "membership": owner.org.memberships[0].id,
            "tax_rate": db.session.scalar(select(TaxRate.id).where(TaxRate.org_id == org.id).limit(1))}


def refused(constraint: str, write: Callable[[], None]) -> None:
    """``write`` and a flush fail on ``constraint``; the transaction is rolled back."""
    with pytest.raises(IntegrityError, match=constraint):
        write()
        db.session.flush()
    db.session.rollback()


def sql(statement: str, **params) -> Callable[[], None]:
    return lambda: db.session.execute(text(statement), params)


def test_the_database_refuses_values_outside_the_domain(rows):
    doc = lambda key: db.session.get(Document, rows[key])  # noqa: E731

    refused("ck_document_kind", lambda: setattr(doc("draft"), "kind", "bogus"))
    refused("ck_document_kind", sql("UPDATE document SET kind = 'bogus' WHERE id = :id", id=rows["issued"]))
    refused("ck_document_flow", lambda: setattr(doc("draft"), "flow", "bogus"))
    refused("ck_document_status", sql("UPDATE document SET status = 'bogus' WHERE id = :id", id=rows["issued"]))
    refused("ck_document_status", sql("UPDATE document SET status = 'expired' WHERE id = :id", id=rows["issued"]))
    # a number on every non-draft document: a new one without, or an issued one losing it
    refused("ck_document_number_unless_draft", lambda: db.session.add(Document(
        org_id=rows["org"], kind="invoice", flow="sales", status="issued", currency="EUR")))
    refused("ck_document_number_unless_draft",
            sql("UPDATE document SET number = NULL WHERE id = :id", id=rows["issued"]))
    refused("ck_document_line_tax_category", lambda: setattr(db.session.get(DocumentLine, rows["line"]),
                                                             "tax_category", "XX"))
    refused("ck_document_adjustment_kind", lambda: db.session.add(DocumentAdjustment(
        document_id=rows["draft"], kind="bogus", amount=Decimal("1"), tax_category="S")))
    refused("ck_document_adjustment_tax_category", lambda: db.session.add(DocumentAdjustment(
        document_id=rows["draft"], kind="allowance", amount=Decimal("1"), tax_category="XX")))
    refused("ck_tax_rate_category", lambda: setattr(db.session.get(TaxRate, rows["tax_rate"]), "category", "XX"))
    # Membership() itself refuses an unknown role, so past it
    refused("ck_membership_role", sql("UPDATE membership SET role = 'admin' WHERE id = :id", id=rows["membership"]))
    refused("ck_invitation_role", lambda: db.session.add(Invitation(
        org_id=rows["org"], email="x@example.com", role="admin", token_hash="h" * 64,
        expires_at=utcnow() + timedelta(days=1))))
    refused("ck_payment_amount_not_zero", lambda: db.session.add(Payment(
        org_id=rows["org"], document_id=rows["issued"], amount=0, currency="EUR", paid_on=date.today(),
        idempotency_key="k2")))
    refused("ck_payment_amount_not_zero", sql("UPDATE payment SET amount = 0 WHERE id = :id", id=rows["payment"]))
    # nothing of it was written
    assert doc("issued").number and doc("issued").status == "issued" and doc("draft").kind == "invoice"
    assert db.session.get(Payment, rows["payment"]).amount == 100


def test_every_value_of_the_domain_is_accepted(rows):
    for kind in KINDS:
        for flow in FLOWS:
            for status in STATUSES:
                db.session.execute(text("UPDATE document SET kind = :kind, flow = :flow, status = :status "
                                        "WHERE id = :id"), {"kind": kind, "flow": flow, "status": status,
                                                            "id": rows["issued"]})
    db.session.execute(text("UPDATE document SET status = 'draft', number = NULL WHERE id = :id"),
                       {"id": rows["issued"]})
    for category in TAX_CATEGORIES:
        for table, column in (("document_line", "tax_category"), ("tax_rate", "category")):
            db.session.execute(text(f"UPDATE {table} SET {column} = :c WHERE id = :id"),
                               {"c": category, "id": rows["line" if table == "document_line" else "tax_rate"]})
    for kind in ADJUSTMENT_KINDS:
        db.session.add(DocumentAdjustment(document_id=rows["draft"], kind=kind, amount=Decimal("1"),
                                          tax_category=TAX_CATEGORIES[-1]))
    for role in ROLES:
        db.session.execute(text("UPDATE membership SET role = :role WHERE id = :id"),
                           {"role": role, "id": rows["membership"]})
    db.session.execute(text("UPDATE payment SET amount = -1 WHERE id = :id"), {"id": rows["payment"]})  # a refund
    db.session.flush()
    db.session.rollback()
