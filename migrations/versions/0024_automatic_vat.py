"""Automatic VAT: the organization's registrations and schemes, customers' business status, tax codes, decisions

Revision ID: 0024_automatic_vat
Revises: 0023_advance_invoices
Create Date: 2026-12-03 12:00:00

Issue 16 (docs/vat-rules.md). ``organization`` gets the automatic-VAT switch for new drafts, its default product
tax code, the small-business exemption, its One-Stop-Shop enrolment date and the destination opt-in; the new table
``vat_registration`` holds its registrations in other countries. ``contact.is_business`` tells businesses from
consumers: existing contacts with neither a company name nor a VAT ID become consumers, the others businesses;
``vat_id_valid`` / ``vat_id_checked_at`` keep the answer of the optional online check (VIES; None: not checked).
``product.tax_code`` and ``document_line.tax_code`` name what a product is for VAT ("" the organization's default);
a line keeps the rules' decision (``tax_jurisdiction``, ``tax_rule``, ``tax_decision``); a document says whether
its VAT is automatic and, from issue, its cross-border distance sales in EUR cents (the threshold's sum). Every
existing row keeps its figures: nothing is automatic, no decision is stored.

No table is rebuilt (``document`` carries the running totals' triggers on SQLite): columns are added with ADD
COLUMN and dropped in SQL on the way down.
"""
import sqlalchemy as sa
from alembic import op


revision = '0024_automatic_vat'
down_revision = '0023_advance_invoices'
branch_labels = None
depends_on = None

COLUMNS = {
    "organization": [
        sa.Column("automatic_tax", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("default_tax_code", sa.String(9), nullable=False, server_default="S10000000"),
        sa.Column("small_business", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("oss_since", sa.Date(), nullable=True),
        sa.Column("destination_opt_in", sa.Boolean(), nullable=False, server_default=sa.false()),
    ],
    "contact": [
        sa.Column("is_business", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("vat_id_valid", sa.Boolean(), nullable=True),
        sa.Column("vat_id_checked_at", sa.DateTime(), nullable=True),
    ],
    "product": [sa.Column("tax_code", sa.String(9), nullable=False, server_default="")],
    "document": [
        sa.Column("automatic_tax", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("distance_sales_eur", sa.BigInteger(), nullable=True),
    ],
    "document_line": [
        sa.Column("tax_code", sa.String(9), nullable=False, server_default=""),
        sa.Column("tax_jurisdiction", sa.String(2), nullable=False, server_default=""),
        sa.Column("tax_rule", sa.String(40), nullable=False, server_default=""),
        sa.Column("tax_decision", sa.JSON(), nullable=True),
    ],
}


def upgrade():
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    op.create_table(
        "vat_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("vat_id", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_vat_registration_org_id_organization"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vat_registration")),
        sa.UniqueConstraint("org_id", "country", name=op.f("uq_vat_registration_org_id_country")),
    )
    op.create_index(op.f("ix_vat_registration_org_id"), "vat_registration", ["org_id"])
    # consumers: the contacts with neither a company name nor a VAT ID
    op.execute(sa.text("UPDATE contact SET is_business = :no WHERE company_name = '' AND vat_id = ''")
               .bindparams(no=False))
    # the threshold adds up the distance sales of the issue dates of a year
    op.create_index("ix_document_org_distance", "document", ["org_id", "issue_date"],
                    sqlite_where=sa.text("distance_sales_eur IS NOT NULL"),
                    postgresql_where=sa.text("distance_sales_eur IS NOT NULL"))


def downgrade():
    op.drop_index("ix_document_org_distance", table_name="document")
    op.drop_index(op.f("ix_vat_registration_org_id"), table_name="vat_registration")
    op.drop_table("vat_registration")
    connection = op.get_bind()
    for table, columns in reversed(COLUMNS.items()):
        for column in reversed(columns):
            connection.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN {column.name}')
