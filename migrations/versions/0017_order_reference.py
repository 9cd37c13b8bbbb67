"""Invoices carry the shop's order id, unique among the organization's live invoices; imported invoices

Revision ID: 0017_order_reference
Revises: 0016_webhooks
Create Date: 2026-12-02 19:00:00

Issue 14: a web shop or ERP sends the order an invoice bills (seed 003's ``order_id``, EN 16931 BT-14 sales
order reference). One order is invoiced once: a partial unique index over the organization's invoices that are
not cancelled (a cancelled invoice's order may be invoiced again, e.g. by its reactivated copy).
``document.imported`` marks an invoice issued outside Tallybook and brought in with its own number (seed 002),
which is never taken from the series.
"""
import sqlalchemy as sa
from alembic import op


revision = '0017_order_reference'
down_revision = '0016_webhooks'
branch_labels = None
depends_on = None

WHERE = "order_reference IS NOT NULL AND kind = 'invoice' AND status <> 'cancelled'"


def upgrade():
    op.add_column("document", sa.Column("order_reference", sa.String(length=100), nullable=True))
    op.add_column("document", sa.Column("imported", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("uq_document_order_reference", "document", ["org_id", "order_reference"], unique=True,
                    sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))
    op.create_index("ix_document_org_order", "document", ["org_id", "order_reference"],
                    sqlite_where=sa.text("order_reference IS NOT NULL"),
                    postgresql_where=sa.text("order_reference IS NOT NULL"))


def downgrade():
    op.drop_index("ix_document_org_order", table_name="document")
    op.drop_index("uq_document_order_reference", table_name="document")
    # plain SQL on both databases (SQLite 3.35+): a batch copy of the table would drop its triggers
    op.execute("ALTER TABLE document DROP COLUMN order_reference")
    op.execute("ALTER TABLE document DROP COLUMN imported")
