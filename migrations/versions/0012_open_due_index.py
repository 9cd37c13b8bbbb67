"""an index of the invoices with something due, by due date

Revision ID: 0012_open_due_index
Revises: 0011_org_mail_identity_time_zone
Create Date: 2026-12-02 05:00:00

The dashboard lists the invoices overdue longest (issue 13). Without this index the query reads every issued
invoice, paid or not, to find the few with something due; partial, it holds only the open ones.
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_open_due_index'
down_revision = '0011_org_mail_identity_time_zone'
branch_labels = None
depends_on = None


OPEN = sa.text("status = 'issued' AND gross_total - credited_total - paid_total > 0")  # models.document.OPEN_DUE_SQL


def upgrade():
    op.create_index('ix_document_open_due', 'document', ['org_id', 'kind', 'flow', 'due_date', 'id'],
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index('ix_document_open_due', table_name='document')
