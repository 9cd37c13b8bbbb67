"""CHECK constraints behind the domain's enums

Revision ID: 0010_check_constraints
Revises: 0009_document_totals
Create Date: 2026-11-22 09:00:00

The database now refuses what the domain never writes: an unknown kind, flow or status of a document, a
non-draft document without a number, an unknown VAT category, adjustment kind or role, a payment of 0.
The allowed values are written out here (a migration is history: it must not change when the domain
does); the models build the same SQL from ``domain/status.py``, ``domain/tax.py`` and ``domain/roles.py``.

Rows that break a constraint should not exist (the app has always refused them): if some do, the upgrade
stops before changing anything and names them, to be fixed by hand.

On SQLite each table is rebuilt ("batch" mode), and rebuilding ``document`` drops the triggers of the
running totals (0009): they are read before and re-created, as they were, afterwards. PostgreSQL adds and
drops the constraints in place; its triggers stay as they are.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_check_constraints'
down_revision = '0009_document_totals'
branch_labels = None
depends_on = None

TAX_CATEGORIES = "('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M', 'B')"
ROLES = "('owner', 'staff', 'bookkeeper')"
# table -> (constraint name, condition); the names follow the models' naming convention (ck_<table>_<name>)
CHECKS = {
    'document': [
        ('ck_document_kind', "kind IN ('invoice', 'credit_note', 'quote')"),
        ('ck_document_flow', "flow IN ('sales', 'purchases')"),
        ('ck_document_status', "status IN ('draft', 'issued', 'cancelled', 'sent', 'accepted', 'declined')"),
        ('ck_document_number_unless_draft', "status = 'draft' OR number IS NOT NULL"),
    ],
    'document_line': [('ck_document_line_tax_category', f"tax_category IN {TAX_CATEGORIES}")],
    'document_adjustment': [
        ('ck_document_adjustment_kind', "kind IN ('allowance', 'charge')"),
        ('ck_document_adjustment_tax_category', f"tax_category IN {TAX_CATEGORIES}"),
    ],
    'tax_rate': [('ck_tax_rate_category', f"category IN {TAX_CATEGORIES}")],
    'membership': [('ck_membership_role', f"role IN {ROLES}")],
    'invitation': [('ck_invitation_role', f"role IN {ROLES}")],
    'payment': [('ck_payment_amount_not_zero', "amount <> 0")],
}


def refuse_rows_that_break_a_check(connection):
    """Stop with a message naming every constraint some rows break (and a few of their ids)."""
    problems = []
    for table, checks in CHECKS.items():
        for name, condition in checks:
            query = sa.text(f"SELECT id FROM {table} WHERE NOT ({condition}) ORDER BY id")
            ids = connection.execute(query).scalars().all()
            if ids:
                shown = ", ".join(str(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")
                problems.append(f"{len(ids)} row(s) of {table} break {name} ({condition}): id {shown}")
    if problems:
        raise RuntimeError("0010_check_constraints: fix these rows first, then upgrade again (nothing was "
                           "changed):\n  " + "\n  ".join(problems))


def sqlite_document_triggers(connection):
    """The triggers on ``document`` (SQLite: (name, SQL)); a batch rebuild of the table drops them."""
    if connection.dialect.name != 'sqlite':
        return []
    return connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name = 'document' ORDER BY name")).all()


def restore_triggers(connection, triggers):
    for name, sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
        connection.exec_driver_sql(sql)


def upgrade():
    connection = op.get_bind()
    refuse_rows_that_break_a_check(connection)
    triggers = sqlite_document_triggers(connection)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(batch_op.f(name), condition)
    restore_triggers(connection, triggers)


def downgrade():
    connection = op.get_bind()
    triggers = sqlite_document_triggers(connection)
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _condition in reversed(checks):
                batch_op.drop_constraint(batch_op.f(name), type_='check')
    restore_triggers(connection, triggers)
