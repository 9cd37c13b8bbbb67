"""running totals of payments, kept by triggers; an index of payments by method

Revision ID: 0013_payment_totals
Revises: 0012_open_due_index
Create Date: 2026-12-02 06:00:00

The payments list (issue 13) shows every payment of the organization with its count and its totals per
currency (received, refunded, net). Summing 300,000 payment rows on each request took 0.4-1 s on SQLite, so
the totals per day, currency, method and voided-or-not are kept by triggers on ``payment`` (as 0009 keeps
those of documents) and filled from the payments there are. The trigger SQL below is a frozen copy of what
``webapp/models/totals.py`` had when this migration was written: a change of the model's triggers needs a new
migration (``tests/test_trigger_sql.py`` compares the two). A SQLite batch migration that rebuilds ``payment``
drops these triggers and must re-create them.

``ix_payment_org_method_paid_on`` serves the list filtered by a method that few payments have (newest first):
without it the list reads the organization's payments by date until it has found a page of them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_payment_totals'
down_revision = '0012_open_due_index'
branch_labels = None
depends_on = None


# --- frozen SQL: do not edit (see the docstring) ----------------------------------------------------------
KEY = "org_id, paid_on, currency, method, voided"
COUNTED = "org_id, paid_on, currency, method, amount, voided_at"


def _upsert(row, sign):
    return (
        f"INSERT INTO payment_totals ({KEY}, payment_count, received, refunded) VALUES ("
        f"{row}.org_id, {row}.paid_on, {row}.currency, {row}.method, "
        f"CASE WHEN {row}.voided_at IS NULL THEN 0 ELSE 1 END, {sign}1, "
        f"{sign}(CASE WHEN {row}.amount > 0 THEN {row}.amount ELSE 0 END), "
        f"{sign}(CASE WHEN {row}.amount < 0 THEN -{row}.amount ELSE 0 END)) "
        f"ON CONFLICT ({KEY}) DO UPDATE SET "
        f"payment_count = payment_totals.payment_count + excluded.payment_count, "
        f"received = payment_totals.received + excluded.received, "
        f"refunded = payment_totals.refunded + excluded.refunded;")


def _key(row):
    return (f"ROW({row}.org_id, {row}.paid_on, {row}.currency, {row}.method, "
            f"CASE WHEN {row}.voided_at IS NULL THEN 0 ELSE 1 END)")


POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION payment_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_upsert('NEW', '+')}
  ELSIF TG_OP = 'DELETE' THEN
    {_upsert('OLD', '-')}
  ELSIF {_key('OLD')} <= {_key('NEW')} THEN  -- rows always taken in key order: no deadlock
    {_upsert('OLD', '-')}
    {_upsert('NEW', '+')}
  ELSE
    {_upsert('NEW', '+')}
    {_upsert('OLD', '-')}
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER payment_totals_insert_delete AFTER INSERT OR DELETE ON payment "
    "FOR EACH ROW EXECUTE FUNCTION payment_totals_apply()",
    f"CREATE TRIGGER payment_totals_update AFTER UPDATE OF {COUNTED} ON payment "
    "FOR EACH ROW EXECUTE FUNCTION payment_totals_apply()",
]
SQLITE = [
    f"CREATE TRIGGER payment_totals_insert AFTER INSERT ON payment BEGIN {_upsert('NEW', '+')} END",
    f"CREATE TRIGGER payment_totals_delete AFTER DELETE ON payment BEGIN {_upsert('OLD', '-')} END",
    f"CREATE TRIGGER payment_totals_update AFTER UPDATE OF {COUNTED} ON payment "
    f"BEGIN {_upsert('OLD', '-')} {_upsert('NEW', '+')} END",
]
BACKFILL = (
    f"INSERT INTO payment_totals ({KEY}, payment_count, received, refunded) "
    "SELECT org_id, paid_on, currency, method, CASE WHEN voided_at IS NULL THEN 0 ELSE 1 END, count(*), "
    "sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END) "
    "FROM payment GROUP BY 1, 2, 3, 4, 5"
)
DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS payment_totals_insert_delete ON payment",
    "DROP TRIGGER IF EXISTS payment_totals_update ON payment",
    "DROP FUNCTION IF EXISTS payment_totals_apply()",
]
DROP_SQLITE = [f"DROP TRIGGER IF EXISTS payment_totals_{name}" for name in ("insert", "delete", "update")]


def upgrade():
    op.create_table(
        'payment_totals',
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('voided', sa.Integer(), nullable=False),
        sa.Column('payment_count', sa.BigInteger(), nullable=False),
        sa.Column('received', sa.BigInteger(), nullable=False),
        sa.Column('refunded', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('org_id', 'paid_on', 'currency', 'method', 'voided'),
    )
    op.create_index('ix_payment_org_method_paid_on', 'payment', ['org_id', 'method', 'paid_on'])
    connection = op.get_bind()
    for statement in POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(BACKFILL)


def downgrade():
    connection = op.get_bind()
    for statement in DROP_POSTGRESQL if connection.dialect.name == "postgresql" else DROP_SQLITE:
        connection.exec_driver_sql(statement)
    op.drop_index('ix_payment_org_method_paid_on', table_name='payment')
    op.drop_table('payment_totals')
