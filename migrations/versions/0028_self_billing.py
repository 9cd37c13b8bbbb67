"""Purchases: self-billed invoices (type code 389), issued by the organization on its supplier's behalf

Revision ID: 0028_self_billing
Revises: 0027_expense_categories
Create Date: 2026-12-07 03:20:00

Issue 17 (seed 001's marketplace payouts). ``document.self_billed`` marks a purchase invoice the organization makes
out itself for its supplier (self-billing, "Gutschrift" in German VAT law): numbered in the organization's own
``self_billing`` series, with a PDF and a Factur-X e-invoice of type code 389 whose seller is the supplier. Every
existing document is not self-billed.
"""
import sqlalchemy as sa
from alembic import op


revision = '0028_self_billing'
down_revision = '0027_expense_categories'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("document", sa.Column("self_billed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.get_bind().exec_driver_sql("ALTER TABLE document DROP COLUMN self_billed")
