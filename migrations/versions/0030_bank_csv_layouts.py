"""Bank statements as CSV: each bank's column layout, saved once per organization

Revision ID: 0030_bank_csv_layouts
Revises: 0029_bank_statements
Create Date: 2026-12-08 00:20:00

Issue 18. ``bank_csv_layout`` keeps how one bank writes its CSV export (which column holds the date, the amount or
debit and credit, the payer, the IBAN, the text; the date format, the decimal separator, the delimiter and
encoding) so that its next export is read without asking; it is found again by its header. A CSV waiting for its
layout is an ``import_job`` of kind ``bank_csv``. A new table only: existing data is untouched.
"""
import sqlalchemy as sa
from alembic import op


revision = '0030_bank_csv_layouts'
down_revision = '0029_bank_statements'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_csv_layout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("header_digest", sa.String(64), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_bank_csv_layout_org_id_organization"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_csv_layout")),
        sa.UniqueConstraint("org_id", "header_digest", name="uq_bank_csv_layout_header"),
    )
    op.create_index(op.f("ix_bank_csv_layout_org_id"), "bank_csv_layout", ["org_id"])


def downgrade():
    op.drop_table("bank_csv_layout")
