"""The bookkeeper's desk: bank statements and their transactions, matched to invoices and purchases

Revision ID: 0029_bank_statements
Revises: 0028_self_billing
Create Date: 2026-12-07 23:40:00

Issue 18. ``bank_statement`` is one imported file (CAMT.053, MT940 or CSV): its account, balances and how many of
its lines were new. ``bank_transaction`` is one entry of the account, imported once per organization
(``identity``: the bank's reference or a digest of the entry), with the match proposed on import and, once
confirmed, the document it paid and the payment recorded. New tables only: existing data is untouched.
"""
import sqlalchemy as sa
from alembic import op


revision = '0029_bank_statements'
down_revision = '0028_self_billing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("account_iban", sa.String(34), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("statement_ref", sa.String(100), nullable=False),
        sa.Column("opening_balance", sa.BigInteger(), nullable=True),
        sa.Column("closing_balance", sa.BigInteger(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_bank_statement_org_id_organization"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"], name=op.f("fk_bank_statement_uploaded_by_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement")),
    )
    op.create_index(op.f("ix_bank_statement_org_id"), "bank_statement", ["org_id"])
    op.create_table(
        "bank_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=False),
        sa.Column("counterparty_iban", sa.String(34), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("end_to_end_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("proposed_document_id", sa.Integer(), nullable=True),
        sa.Column("proposal_reason", sa.String(20), nullable=False),
        sa.Column("confidence", sa.String(10), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_bank_transaction_org_id_organization"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statement.id"],
                                name=op.f("fk_bank_transaction_statement_id_bank_statement"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposed_document_id"], ["document.id"],
                                name=op.f("fk_bank_transaction_proposed_document_id_document"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_bank_transaction_document_id_document"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_bank_transaction_payment_id_payment"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["user.id"], name=op.f("fk_bank_transaction_confirmed_by_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transaction")),
        sa.UniqueConstraint("org_id", "identity", name="uq_bank_transaction_identity"),
    )
    op.create_index(op.f("ix_bank_transaction_statement_id"), "bank_transaction", ["statement_id"])
    op.create_index("ix_bank_transaction_org_status_booked", "bank_transaction", ["org_id", "status", "booked_on"])
    op.create_index("ix_bank_transaction_org_iban", "bank_transaction", ["org_id", "counterparty_iban"])
    op.create_index("ix_bank_transaction_payment", "bank_transaction", ["payment_id"])


def downgrade():
    op.drop_table("bank_transaction")
    op.drop_table("bank_statement")
