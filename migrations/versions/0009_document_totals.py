"""running totals of documents, kept by triggers

Revision ID: 0009_document_totals
Revises: 0008_list_indexes
Create Date: 2026-11-21 11:00:00

The lists and the dashboard summed every invoice of the organization on each request (30-50 ms at
100,000 invoices on PostgreSQL). The totals per status, currency, due date and payment state are now kept
by triggers on ``document`` and filled from the documents there are. The trigger SQL lives in
``webapp/models/totals.py`` (also used by ``create_all``); a change of it needs a new migration that
drops and recreates the triggers.
"""
import sqlalchemy as sa
from alembic import op

from webapp.models.totals import create_triggers, drop_triggers

revision = '0009_document_totals'
down_revision = '0008_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_totals',
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('flow', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('doc_count', sa.BigInteger(), nullable=False),
        sa.Column('gross_sum', sa.BigInteger(), nullable=False),
        sa.Column('due_sum', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('org_id', 'kind', 'flow', 'status', 'currency', 'due_date', 'state'),
    )
    create_triggers(op.get_bind())


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_table('document_totals')
