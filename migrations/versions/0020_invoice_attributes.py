"""Custom attributes on invoices, customers found by an external identifier

Revision ID: 0020_invoice_attributes
Revises: 0019_note_files
Create Date: 2026-12-02 19:00:00

Issue 14: an organization's custom fields now say what they apply to (``custom_field.applies_to``:
``customer``, the default of every existing field, or ``invoice``); an invoice's values live in
``document_field_value``, the same shape as ``contact_field_value``. ``contact.external_id`` is the id the
organization's shop knows a customer by (seed 004's ``recipient_identifier``), unique per organization when set
(a partial unique index, so concurrent creates with one new identifier make one customer).

No table is rebuilt: plain ADD COLUMN / CREATE TABLE, and DROP COLUMN in SQL on the way down (a batch copy of a
table would drop the triggers of ``document``'s running totals on SQLite).
"""
import sqlalchemy as sa
from alembic import op


revision = '0020_invoice_attributes'
down_revision = '0019_note_files'
branch_labels = None
depends_on = None

EXTERNAL = "external_id IS NOT NULL"


def upgrade():
    op.add_column("custom_field", sa.Column("applies_to", sa.String(length=20), nullable=False,
                                            server_default="customer"))
    op.add_column("contact", sa.Column("external_id", sa.String(length=100), nullable=True))
    op.create_index("uq_contact_external_id", "contact", ["org_id", "external_id"], unique=True,
                    sqlite_where=sa.text(EXTERNAL), postgresql_where=sa.text(EXTERNAL))
    op.create_table(
        "document_field_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value_text", sa.String(length=500), nullable=True),
        sa.Column("value_number", sa.BigInteger(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_document_field_value_document_id_document"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["field_id"], ["custom_field.id"],
                                name=op.f("fk_document_field_value_field_id_custom_field"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_field_value")),
    )
    op.create_index("ix_document_field_value_document", "document_field_value", ["document_id", "field_id"])
    op.create_index("ix_document_field_value_date", "document_field_value", ["field_id", "value_date"])
    op.create_index("ix_document_field_value_number", "document_field_value", ["field_id", "value_number"])
    op.create_index("ix_document_field_value_text", "document_field_value", ["field_id", "value_text"])


def downgrade():
    op.drop_index("ix_document_field_value_text", table_name="document_field_value")
    op.drop_index("ix_document_field_value_number", table_name="document_field_value")
    op.drop_index("ix_document_field_value_date", table_name="document_field_value")
    op.drop_index("ix_document_field_value_document", table_name="document_field_value")
    op.drop_table("document_field_value")
    op.drop_index("uq_contact_external_id", table_name="contact")
    op.execute("ALTER TABLE contact DROP COLUMN external_id")
    # an invoice field would come back as a customer field: it goes, as its values did
    op.execute("DELETE FROM custom_field WHERE applies_to <> 'customer'")
    op.execute("ALTER TABLE custom_field DROP COLUMN applies_to")
