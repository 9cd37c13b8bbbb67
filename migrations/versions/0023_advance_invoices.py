"""Advance (down-payment) invoices and the final invoice that deducts them (EN 16931 BT-3 386, BT-113)

Revision ID: 0023_advance_invoices
Revises: 0022_exchange_rate
Create Date: 2026-12-03 12:00:00

Issue 15: ``document.advance`` marks an advance invoice; ``document.prepaid_total`` (minor units) is what a final
invoice deducts for the advance invoices it names in the new table ``document_deduction`` (one row per advance
invoice: its gross total and VAT). Every existing document is no advance invoice and deducts nothing (false, 0).

No table is rebuilt (``document`` carries the running totals' triggers on SQLite): the columns are added with ADD
COLUMN and dropped in SQL on the way down.
"""
import sqlalchemy as sa
from alembic import op


revision = '0023_advance_invoices'
down_revision = '0022_exchange_rate'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("document", sa.Column("advance", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("document", sa.Column("prepaid_total", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "document_deduction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("final_id", sa.Integer(), nullable=False),
        sa.Column("advance_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_document_deduction_org_id_organization"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["final_id"], ["document.id"], name=op.f("fk_document_deduction_final_id_document"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["advance_id"], ["document.id"],
                                name=op.f("fk_document_deduction_advance_id_document"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_deduction")),
        sa.UniqueConstraint("final_id", "advance_id", name=op.f("uq_document_deduction_final_id_advance_id")),
    )
    op.create_index("ix_document_deduction_advance", "document_deduction", ["advance_id"])


def downgrade():
    op.drop_index("ix_document_deduction_advance", table_name="document_deduction")
    op.drop_table("document_deduction")
    connection = op.get_bind()
    connection.exec_driver_sql("ALTER TABLE document DROP COLUMN prepaid_total")
    connection.exec_driver_sql("ALTER TABLE document DROP COLUMN advance")
