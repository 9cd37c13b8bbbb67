"""Purchases: the supplier's number of its document, unique per supplier

Revision ID: 0025_supplier_number
Revises: 0024_automatic_vat
Create Date: 2026-12-03 13:00:00

Issue 17 (purchases). ``document.supplier_number`` is a supplier's own number of the invoice or credit note it sent
(a purchase, ``flow = 'purchases'``): unique per organization, supplier and kind among the documents not cancelled
(partial unique index ``uq_document_supplier_number``), never taken from Tallybook's series; a booked purchase's
``number`` is the organization's booking number from its own purchases series. Existing documents are sales and
carry none (NULL).

No table is rebuilt (``document`` carries the running totals' triggers on SQLite).
"""
import sqlalchemy as sa
from alembic import op


revision = '0025_supplier_number'
down_revision = '0024_automatic_vat'
branch_labels = None
depends_on = None

SUPPLIER_NUMBER_SQL = "flow = 'purchases' AND supplier_number IS NOT NULL AND status <> 'cancelled'"


def upgrade():
    op.add_column("document", sa.Column("supplier_number", sa.String(60), nullable=True))
    op.create_index("uq_document_supplier_number", "document", ["org_id", "contact_id", "kind", "supplier_number"],
                    unique=True, sqlite_where=sa.text(SUPPLIER_NUMBER_SQL), postgresql_where=sa.text(SUPPLIER_NUMBER_SQL))


def downgrade():
    op.drop_index("uq_document_supplier_number", table_name="document")
    op.get_bind().exec_driver_sql("ALTER TABLE document DROP COLUMN supplier_number")
