"""Running totals of documents and payments, kept by database triggers, so lists and the dashboard never sum
100,000 rows.

One row per (organization, kind, flow, status, currency, due date, payment state) with the number of
documents and the sums of their gross totals and amounts due. A trigger on ``document`` (PostgreSQL and
SQLite alike) subtracts a row's old contribution and adds its new one on every insert, delete and update
of a column that counts, in the same transaction, so the totals are exact whatever code path wrote the
document. ``queries.documents`` reads them for the unfiltered and status-filtered lists and for the
dashboard; a search, customer or date filter still sums the matching documents themselves. Groups whose
documents all moved on stay as rows of zeros (the readers skip them).

The migrations carry their own frozen copy of this SQL (0009 installed it): a change here needs a new
migration that drops and re-creates the triggers, and ``tests/test_trigger_sql.py`` fails until there is one.
A SQLite "batch" migration that rebuilds ``document`` drops its triggers: such a migration must re-create
them (0010 shows how; the totals and trigger tests would fail otherwise).

The state is the balance state of ``domain/status.py`` (``BALANCE_*``; the SQL CASE below is built from
its names): ``due`` (something due, nothing paid), ``partial`` (something due, something paid), ``credit``
(something due, more refunded than paid: never written by the app, kept for exactness), ``settled``
(nothing due), ``over`` (overpaid). Drafts carry no due date; they are filed under ``NO_DUE_DATE``
because a key column cannot be NULL.

Payments (``PaymentTotal``): one row per (organization, day paid, currency, method, voided or not) with the
number of payment rows, the money received (positive amounts) and the money refunded (negative amounts, as a
positive sum). The payments list (``queries.payments``) reads its count and its totals from them when it is
filtered by dates and method only; a customer filter sums that customer's payments themselves.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from webapp.domain.status import (BALANCE_CREDIT, BALANCE_DUE, BALANCE_OVER, BALANCE_PARTIAL, BALANCE_SETTLED,
                                  OPEN_BALANCE_STATES)
from webapp.extensions import db

NO_DUE_DATE = date(1900, 1, 1)
OPEN_STATES = OPEN_BALANCE_STATES  # something is due
KEY = ("org_id", "kind", "flow", "status", "currency", "due_date", "state")


class DocumentTotal(db.Model):
    __tablename__ = "document_totals"

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: derived data
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    flow: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    state: Mapped[str] = mapped_column(String(10), primary_key=True)
    doc_count: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_sum: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units
    due_sum: Mapped[int] = mapped_column(BigInteger, default=0)  # gross - credited - paid, minor units


COUNTED = ("org_id", "kind", "flow", "status", "currency", "due_date", "gross_total", "paid_total", "credited_total")


def _state(row: str) -> str:
    """The balance state of ``row`` in SQL: ``domain.status.balance_state`` (same names, same cases)."""
    due = f"({row}.gross_total - {row}.credited_total - {row}.paid_total)"
    return (f"CASE WHEN {due} > 0 THEN CASE WHEN {row}.paid_total = 0 THEN '{BALANCE_DUE}' WHEN {row}.paid_total > 0 "
            f"THEN '{BALANCE_PARTIAL}' ELSE '{BALANCE_CREDIT}' END WHEN {due} = 0 THEN '{BALANCE_SETTLED}' "
            f"ELSE '{BALANCE_OVER}' END")


def _upsert(row: str, sign: str) -> str:
    """Add (sign '+') or take away (sign '-') the contribution of ``row`` (NEW or OLD)."""
    due = f"({row}.gross_total - {row}.credited_total - {row}.paid_total)"
    return (
        f"INSERT INTO document_totals ({', '.join(KEY)}, doc_count, gross_sum, due_sum) VALUES ("
        f"{row}.org_id, {row}.kind, {row}.flow, {row}.status, {row}.currency, "
        f"COALESCE({row}.due_date, '{NO_DUE_DATE.isoformat()}'), {_state(row)}, "
        f"{sign}1, {sign}{row}.gross_total, {sign}{due}) "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET doc_count = document_totals.doc_count + excluded.doc_count, "
        f"gross_sum = document_totals.gross_sum + excluded.gross_sum, "
        f"due_sum = document_totals.due_sum + excluded.due_sum;")


def _key(row: str) -> str:
    return (f"ROW({row}.org_id, {row}.kind, {row}.flow, {row}.status, {row}.currency, "
            f"COALESCE({row}.due_date, '{NO_DUE_DATE.isoformat()}'), {_state(row)})")


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
    f"CREATE TRIGGER document_totals_update AFTER UPDATE OF {', '.join(COUNTED)} ON document "
    "FOR EACH ROW EXECUTE FUNCTION document_totals_apply()",
]
SQLITE = [  # SQLite has one writer at a time: the order of the two statements does not matter
    f"CREATE TRIGGER document_totals_insert AFTER INSERT ON document BEGIN {_upsert('NEW', '+')} END",
    f"CREATE TRIGGER document_totals_delete AFTER DELETE ON document BEGIN {_upsert('OLD', '-')} END",
    f"CREATE TRIGGER document_totals_update AFTER UPDATE OF {', '.join(COUNTED)} ON document "
    f"BEGIN {_upsert('OLD', '-')} {_upsert('NEW', '+')} END",
]
BACKFILL = (
    f"INSERT INTO document_totals ({', '.join(KEY)}, doc_count, gross_sum, due_sum) "
    f"SELECT org_id, kind, flow, status, currency, COALESCE(due_date, '{NO_DUE_DATE.isoformat()}'), "
    f"{_state('document')}, count(*), sum(gross_total), sum(gross_total - credited_total - paid_total) "
    f"FROM document GROUP BY 1, 2, 3, 4, 5, 6, 7"
)


PAYMENT_KEY = ("org_id", "paid_on", "currency", "method", "voided")


class PaymentTotal(db.Model):
    __tablename__ = "payment_totals"

    org_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: derived data
    paid_on: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    voided: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1: voided payments (listed, never counted)
    payment_count: Mapped[int] = mapped_column(BigInteger, default=0)  # payment rows, refunds included
    received: Mapped[int] = mapped_column(BigInteger, default=0)  # the positive amounts, minor units
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)  # the negative amounts as a positive sum


PAYMENT_COUNTED = ("org_id", "paid_on", "currency", "method", "amount", "voided_at")


def _payment_upsert(row: str, sign: str) -> str:
    """Add (sign '+') or take away (sign '-') the contribution of the payment ``row`` (NEW or OLD)."""
    return (
        f"INSERT INTO payment_totals ({', '.join(PAYMENT_KEY)}, payment_count, received, refunded) VALUES ("
        f"{row}.org_id, {row}.paid_on, {row}.currency, {row}.method, "
        f"CASE WHEN {row}.voided_at IS NULL THEN 0 ELSE 1 END, {sign}1, "
        f"{sign}(CASE WHEN {row}.amount > 0 THEN {row}.amount ELSE 0 END), "
        f"{sign}(CASE WHEN {row}.amount < 0 THEN -{row}.amount ELSE 0 END)) "
        f"ON CONFLICT ({', '.join(PAYMENT_KEY)}) DO UPDATE SET "
        f"payment_count = payment_totals.payment_count + excluded.payment_count, "
        f"received = payment_totals.received + excluded.received, "
        f"refunded = payment_totals.refunded + excluded.refunded;")


def _payment_key(row: str) -> str:
    return (f"ROW({row}.org_id, {row}.paid_on, {row}.currency, {row}.method, "
            f"CASE WHEN {row}.voided_at IS NULL THEN 0 ELSE 1 END)")


PAYMENT_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION payment_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_payment_upsert('NEW', '+')}
  ELSIF TG_OP = 'DELETE' THEN
    {_payment_upsert('OLD', '-')}
  ELSIF {_payment_key('OLD')} <= {_payment_key('NEW')} THEN  -- rows always taken in key order: no deadlock
    {_payment_upsert('OLD', '-')}
    {_payment_upsert('NEW', '+')}
  ELSE
    {_payment_upsert('NEW', '+')}
    {_payment_upsert('OLD', '-')}
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER payment_totals_insert_delete AFTER INSERT OR DELETE ON payment "
    "FOR EACH ROW EXECUTE FUNCTION payment_totals_apply()",
    f"CREATE TRIGGER payment_totals_update AFTER UPDATE OF {', '.join(PAYMENT_COUNTED)} ON payment "
    "FOR EACH ROW EXECUTE FUNCTION payment_totals_apply()",
]
PAYMENT_SQLITE = [
    f"CREATE TRIGGER payment_totals_insert AFTER INSERT ON payment BEGIN {_payment_upsert('NEW', '+')} END",
    f"CREATE TRIGGER payment_totals_delete AFTER DELETE ON payment BEGIN {_payment_upsert('OLD', '-')} END",
    f"CREATE TRIGGER payment_totals_update AFTER UPDATE OF {', '.join(PAYMENT_COUNTED)} ON payment "
    f"BEGIN {_payment_upsert('OLD', '-')} {_payment_upsert('NEW', '+')} END",
]
PAYMENT_BACKFILL = (
    f"INSERT INTO payment_totals ({', '.join(PAYMENT_KEY)}, payment_count, received, refunded) "
    "SELECT org_id, paid_on, currency, method, CASE WHEN voided_at IS NULL THEN 0 ELSE 1 END, count(*), "
    "sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END) "
    "FROM payment GROUP BY 1, 2, 3, 4, 5"
)


def create_triggers(connection) -> None:
    """Create the triggers (and fill the totals from the documents and payments there are); used by
    ``create_all`` (tests) and the benchmark. The migrations have their own frozen copy."""
    postgresql = connection.dialect.name == "postgresql"
    for statement in (POSTGRESQL + PAYMENT_POSTGRESQL) if postgresql else (SQLITE + PAYMENT_SQLITE):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(BACKFILL)
    connection.exec_driver_sql(PAYMENT_BACKFILL)


def drop_triggers(connection) -> None:
    if connection.dialect.name == "postgresql":
        for table in ("document", "payment"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_totals_insert_delete ON {table}")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_totals_update ON {table}")
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {table}_totals_apply()")
    else:
        for table in ("document", "payment"):
            for name in ("insert", "delete", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_totals_{name}")


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection, tables=(), **kwargs) -> None:
    """``create_all`` (the tests) gets the triggers too, once the tables exist."""
    if any(t.name == "document_totals" for t in tables):
        create_triggers(connection)
