"""E-invoices: stored XML per issued document, formats, buyer reference per invoice, seller contact

Revision ID: 0021_einvoices
Revises: 0020_invoice_attributes
Create Date: 2026-12-02 21:30:00

Issue 15: ``document_einvoice`` keeps each e-invoice an issued document got (Factur-X CII, XRechnung UBL or CII)
with its SHA-256 and the official rules' findings; ``contact.e_invoice_format`` is what a customer receives,
``document.e_invoice_format`` the choice per invoice (NULL on a draft: the customer's) and
``document.buyer_reference`` BT-10 per invoice; ``organization.registration_id`` (BT-30), ``organization.contact_name`` (BT-41) and
``organization.facturx_enabled`` (on for every existing organization).

No table is rebuilt (``document`` carries the running totals' triggers on SQLite): columns are added with their
CHECK in the column definition on SQLite, and with ADD CONSTRAINT on PostgreSQL; dropped in SQL on the way down.
"""
import sqlalchemy as sa
from alembic import op


revision = '0021_einvoices'
down_revision = '0020_invoice_attributes'
branch_labels = None
depends_on = None

FORMATS = "'facturx-cii', 'xrechnung-ubl', 'xrechnung-cii'"
CHECKS = {
    "contact": ("e_invoice_format VARCHAR(20) NOT NULL DEFAULT ''", f"e_invoice_format IN ('', {FORMATS})"),
    "document": ("e_invoice_format VARCHAR(20)", f"e_invoice_format IS NULL OR e_invoice_format IN ('', {FORMATS})"),
}


def upgrade():
    connection = op.get_bind()
    for table, (column, check) in CHECKS.items():
        name = f"ck_{table}_e_invoice_format"
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} CONSTRAINT {name} CHECK ({check})")
        else:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column}")
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({check})")
    op.add_column("document", sa.Column("buyer_reference", sa.String(length=100), nullable=False, server_default=""))
    op.add_column("organization", sa.Column("registration_id", sa.String(length=100), nullable=False,
                                            server_default=""))
    op.add_column("organization", sa.Column("contact_name", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("organization", sa.Column("facturx_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "document_einvoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.String(length=100), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("validated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"format IN ({FORMATS})", name=op.f("ck_document_einvoice_format")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_document_einvoice_org_id_organization"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_document_einvoice_document_id_document"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_einvoice")),
        sa.UniqueConstraint("document_id", "format", name=op.f("uq_document_einvoice_document_id_format")),
    )


def downgrade():
    op.drop_table("document_einvoice")
    connection = op.get_bind()
    for table, column in (("organization", "facturx_enabled"), ("organization", "contact_name"),
                          ("organization", "registration_id"),
                          ("document", "buyer_reference"), ("document", "e_invoice_format"),
                          ("contact", "e_invoice_format")):
        if connection.dialect.name != "sqlite" and column == "e_invoice_format":
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_e_invoice_format")
        connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
