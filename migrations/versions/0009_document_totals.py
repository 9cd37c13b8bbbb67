"""running totals of documents, kept by triggers

Revision ID: 0009_document_totals
Revises: 0008_list_indexes
Create Date: 2026-11-21 11:00:00

The lists and the dashboard summed every invoice of the organization on each request (30-50 ms at
100,000 invoices on PostgreSQL). The totals per status, currency, due date and payment state are now kept
by triggers on ``document`` and filled from the documents there are. The trigger SQL below is a frozen
copy of what ``webapp/models/totals.py`` had when this migration was written (the model's triggers are
what ``create_all`` installs): a migration is history and must not change with the model. A change of the
model's triggers needs a new migration that drops and re-creates them (``tests/test_trigger_sql.py``
compares what the migrations install with what the model installs).
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_document_totals'
down_revision = '0008_list_indexes'
branch_labels = None
depends_on = None


# --- frozen SQL: do not edit (see the docstring) ----------------------------------------------------------
KEY = "org_id, kind, flow, status, currency, due_date, state"
COUNTED = "org_id, kind, flow, status, currency, due_date, gross_total, paid_total, credited_total"


def _state(row):
    due = f"({row}.gross_total - {row}.credited_total - {row}.paid_total)"
    return (f"CASE WHEN {due} > 0 THEN CASE WHEN {row}.paid_total = 0 THEN 'due' WHEN {row}.paid_total > 0 "
            f"THEN 'partial' ELSE 'credit' END WHEN {due} = 0 THEN 'settled' ELSE 'over' END")


def _upsert(row, sign):
    due = f"({row}.gross_total - {row}.credited_total - {row}.paid_total)"
    return (
        f"INSERT INTO document_totals ({KEY}, doc_count, gross_sum, due_sum) VALUES ("
        f"{row}.org_id, {row}.kind, {row}.flow, {row}.status, {row}.currency, "
        f"COALESCE({row}.due_date, '1900-01-01'), {_state(row)}, "
        f"{sign}1, {sign}{row}.gross_total, {sign}{due}) "
        f"ON CONFLICT ({KEY}) DO UPDATE SET doc_count = document_totals.doc_count + excluded.doc_count, "
        f"gross_sum = document_totals.gross_sum + excluded.gross_sum, "
        f"due_sum = document_totals.due_sum + excluded.due_sum;")


def _key(row):
    return (f"ROW({row}.org_id, {row}.kind, {row}.flow, {row}.status, {row}.currency, "
            f"COALESCE({row}.due_date, '1900-01-01'), {_state(row)})")


POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION document_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_upsert('NEW', '+')}
  ELSIF TG_OP = 'DELETE' THEN
    {_upsert('OLD', '-')}
  ELSIF {_key('OLD')} <= {_key('NEW')} THEN  -- rows always taken in key order: no deadlock between two updates
    {_upsert('OLD', '-')}
    {_upsert('NEW', '+')}
  ELSE
    {_upsert('NEW', '+')}
    {_upsert('OLD', '-')}
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER document_totals_insert_delete AFTER INSERT OR DELETE ON document "
    "FOR EACH ROW EXECUTE FUNCTION document_totals_apply()",
    f"CREATE TRIGGER document_totals_update AFTER UPDATE OF {COUNTED} ON document "
    "FOR EACH ROW EXECUTE FUNCTION document_totals_apply()",
]
SQLITE = [
    f"CREATE TRIGGER document_totals_insert AFTER INSERT ON document BEGIN {_upsert('NEW', '+')} END",
    f"CREATE TRIGGER document_totals_delete AFTER DELETE ON document BEGIN {_upsert('OLD', '-')} END",
    f"CREATE TRIGGER document_totals_update AFTER UPDATE OF {COUNTED} ON document "
    f"BEGIN {_upsert('OLD', '-')} {_upsert('NEW', '+')} END",
]
BACKFILL = (
    f"INSERT INTO document_totals ({KEY}, doc_count, gross_sum, due_sum) "
    f"SELECT org_id, kind, flow, status, currency, COALESCE(due_date, '1900-01-01'), "
    f"{_state('document')}, count(*), sum(gross_total), sum(gross_total - credited_total - paid_total) "
    f"FROM document GROUP BY 1, 2, 3, 4, 5, 6, 7"
)
DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS document_totals_insert_delete ON document",
    "DROP TRIGGER IF EXISTS document_totals_update ON document",
    "DROP FUNCTION IF EXISTS document_totals_apply()",
]
DROP_SQLITE = [f"DROP TRIGGER IF EXISTS document_totals_{name}" for name in ("insert", "delete", "update")]


def create_triggers(connection):
    statements = POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(BACKFILL)


def drop_triggers(connection):
    for statement in DROP_POSTGRESQL if connection.dialect.name == "postgresql" else DROP_SQLITE:
        connection.exec_driver_sql(statement)


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
