"""Line fields of EN 16931: price base quantity, line period, line allowances and charges; reason codes

Revision ID: 0018_line_fields
Revises: 0017_order_reference
Create Date: 2026-12-02 19:00:00

Issue 14: per line the item price base quantity (BT-149; the unit price is per ``base_quantity`` units, 1 for
every existing line), the line's service period (BG-26: BT-134, BT-135) and its allowances and charges (BG-27,
BG-28) in ``document_line_adjustment``; a reason code (BT-98 / BT-105) on document-level allowances and charges.
"""
import sqlalchemy as sa
from alembic import op


revision = '0018_line_fields'
down_revision = '0017_order_reference'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMN on both databases: a SQLite batch copy of document_line would be needless work
    op.add_column("document_line", sa.Column("base_quantity", sa.BigInteger(), nullable=False,
                                             server_default="10000"))  # ScaledDecimal(4): 1.0000
    op.add_column("document_line", sa.Column("period_start", sa.Date(), nullable=True))
    op.add_column("document_line", sa.Column("period_end", sa.Date(), nullable=True))
    op.add_column("document_adjustment", sa.Column("reason_code", sa.String(length=3), nullable=False,
                                                   server_default=""))
    op.create_table(
        "document_line_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("reason_code", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('allowance', 'charge')", name=op.f("ck_document_line_adjustment_kind")),
        sa.ForeignKeyConstraint(["line_id"], ["document_line.id"],
                                name=op.f("fk_document_line_adjustment_line_id_document_line"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_line_adjustment")),
    )
    op.create_index("ix_document_line_adjustment_line", "document_line_adjustment", ["line_id", "position"])


def downgrade():
    op.drop_index("ix_document_line_adjustment_line", table_name="document_line_adjustment")
    op.drop_table("document_line_adjustment")
    # plain SQL on both databases (SQLite 3.35+), as 0017
    op.execute("ALTER TABLE document_adjustment DROP COLUMN reason_code")
    op.execute("ALTER TABLE document_line DROP COLUMN period_end")
    op.execute("ALTER TABLE document_line DROP COLUMN period_start")
    op.execute("ALTER TABLE document_line DROP COLUMN base_quantity")
