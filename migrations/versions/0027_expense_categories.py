"""Purchases: expense categories (an editable list with an optional account number), one per purchase line

Revision ID: 0027_expense_categories
Revises: 0026_purchase_inbox
Create Date: 2026-12-07 03:10:00

Issue 17 (purchases). ``expense_category`` is the organization's small list of what it buys (rent, materials,
software ...), each with an optional account number of its chart of accounts for the accountant; names are unique
per organization; a category a booked line uses is archived, never deleted (``ON DELETE RESTRICT``).
``document_line.expense_category_id`` names a purchase line's category (NULL: none; sales lines have none).
"""
import sqlalchemy as sa
from alembic import op


revision = '0027_expense_categories'
down_revision = '0026_purchase_inbox'
branch_labels = None
depends_on = None


FK = "fk_document_line_expense_category_id_expense_category"


def upgrade():
    op.create_table(
        "expense_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("account", sa.String(20), nullable=False, server_default=""),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_expense_category_org_id_organization"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_category")),
        sa.UniqueConstraint("org_id", "name", name="uq_expense_category_name"),
    )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":  # a named reference needs the table rebuilt (it has no triggers)
        with op.batch_alter_table("document_line", recreate="always") as batch:
            batch.add_column(sa.Column("expense_category_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(FK, "expense_category", ["expense_category_id"], ["id"], ondelete="RESTRICT")
    else:
        op.add_column("document_line", sa.Column("expense_category_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "document_line", "expense_category", ["expense_category_id"], ["id"],
                              ondelete="RESTRICT")
    op.create_index(op.f("ix_document_line_expense_category_id"), "document_line", ["expense_category_id"])


def downgrade():
    connection = op.get_bind()
    op.drop_index(op.f("ix_document_line_expense_category_id"), table_name="document_line")
    if connection.dialect.name == "sqlite":  # SQLite drops no column a reference uses: the table is rebuilt
        with op.batch_alter_table("document_line", recreate="always") as batch:
            batch.drop_column("expense_category_id")
    else:
        op.drop_constraint(FK, "document_line", type_="foreignkey")
        op.drop_column("document_line", "expense_category_id")
    op.drop_table("expense_category")
