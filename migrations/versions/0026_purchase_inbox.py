"""Purchases: the supplier's file and the figures it states (the e-invoice inbox)

Revision ID: 0026_purchase_inbox
Revises: 0025_supplier_number
Create Date: 2026-12-07 03:00:00

Issue 17 (purchases). ``document_file`` keeps the file a purchase came from or was entered from (the supplier's
e-invoice XML or PDF, a scan): its bytes live in the attachment store (services/storage.py) under ``file_key``;
``sha256`` is unique per organization (the same file is not booked twice); an e-invoice's syntax, the official
rules' findings and the import's notes are kept with it. ``document.stated_totals`` holds the totals and VAT
breakdown a supplier's e-invoice states (for a purchase the supplier's document is the legal fact), and
``document_line.stated_net`` each line's stated net amount (BT-131); both stay NULL for what Tallybook calculates.

No table is rebuilt (``document`` carries the running totals' triggers on SQLite).
"""
import sqlalchemy as sa
from alembic import op


revision = '0026_purchase_inbox'
down_revision = '0025_supplier_number'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("file_mime", sa.String(60), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("syntax", sa.String(10), nullable=False, server_default=""),
        sa.Column("rules", sa.String(100), nullable=False, server_default=""),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("org_id", "sha256", name="uq_document_file_sha256"),
        sa.UniqueConstraint("document_id", name="uq_document_file_document"),
    )
    op.add_column("document", sa.Column("stated_totals", sa.JSON(), nullable=True))
    op.add_column("document_line", sa.Column("stated_net", sa.BigInteger(), nullable=True))


def downgrade():
    op.get_bind().exec_driver_sql("ALTER TABLE document_line DROP COLUMN stated_net")
    op.get_bind().exec_driver_sql("ALTER TABLE document DROP COLUMN stated_totals")
    op.drop_table("document_file")
