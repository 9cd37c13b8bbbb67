"""`flask db upgrade` builds the schema from empty, and `flask db check` finds nothing to migrate; upgrades keep
the rows (and the running totals) of a database with data. See tests/test_trigger_sql.py for what `flask db check`
does not compare (triggers, CHECK constraints, index details)."""
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import TMP, database_url
from webapp.domain.status import balance_state
from webapp.extensions import db
from webapp.models.totals import NO_DUE_DATE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_database_url():
    url = database_url()
    if url.startswith("sqlite"):
        yield f"sqlite:///{TMP}/migrations-{uuid.uuid4().hex}.sqlite"
        return
    name = f"tallybook_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def flask(*args, url):
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_upgrade_from_empty_then_check_is_clean(empty_database_url):
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine = create_engine(empty_database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    check = flask("db", "check", url=empty_database_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    down = flask("db", "downgrade", "base", url=empty_database_url)
    assert down.returncode == 0, down.stderr


def test_upgrading_a_database_with_data_keeps_every_row(empty_database_url):
    """From the schema before documents gained their stored PDF and link (0003), with an invoice and its
    lines in it, to the newest: nothing is lost (SQLite batch rebuilds must not cascade deletes)."""
    assert flask("db", "upgrade", "0003_documents", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organization (id, name, legal_name, street, street2, postal_code, city, region, "
                          "country, vat_id, tax_number, email, phone, website, bank_name, iban, bic, logo_mime, currency, "
                          "locale, payment_terms_days, prices_include_tax, footer_text, created_at) VALUES (1, 'O', '', '', "
                          "'', '', '', '', 'DE', '', '', '', '', '', '', '', '', '', 'EUR', 'de_DE', 14, false, '', "
                          "'2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO document (id, org_id, kind, flow, status, number, currency, prices_include_tax, "
                          "payment_terms_days, customer_reference, notes, buyer_name, search_text, seller, buyer, "
                          "line_total, allowance_total, charge_total, net_total, tax_total, gross_total, tax_breakdown, "
                          "version, created_at, updated_at) VALUES (1, 1, 'invoice', 'sales', 'issued', 'INV-1', 'EUR', "
                          "false, 14, '', '', 'B', 'inv-1 b', '{}', '{}', 100, 0, 0, 100, 19, 119, '[]', 1, "
                          "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        for position in (0, 1):
            conn.execute(text("INSERT INTO document_line (document_id, position, description, quantity, unit, "
                              "unit_price, tax_percent, tax_category, exemption_note, net_amount) VALUES "
                              f"(1, {position}, 'L', 10000, 'piece', 500000, 190000, 'S', '', 50)"))
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document_line")).scalar() == 2
        assert conn.execute(text("SELECT number, pdf_sha256 FROM document")).one() == ("INV-1", "")
        # 0009 filled the running totals from the invoice there was (no due date: filed under 1900-01-01) ...
        totals = "SELECT org_id, kind, status, state, doc_count, gross_sum, due_sum FROM document_totals"
        assert conn.execute(text(totals)).all() == [(1, "invoice", "issued", "due", 1, 119, 119)]
    with engine.begin() as conn:  # ... and its triggers keep them: a payment booked, a draft added
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = 1"))
        conn.execute(text("INSERT INTO document (id, org_id, kind, flow, status, currency, prices_include_tax, "
                          "payment_terms_days, customer_reference, notes, buyer_name, search_text, seller, buyer, "
                          "line_total, allowance_total, charge_total, net_total, tax_total, gross_total, tax_breakdown, "
                          "paid_total, credited_total, version, created_at, updated_at) VALUES (2, 1, 'invoice', 'sales', "
                          "'draft', 'EUR', false, 14, '', '', 'B', 'b', '{}', '{}', 5, 0, 0, 5, 0, 5, '[]', 0, 0, 1, "
                          "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    with engine.connect() as conn:
        rows = conn.execute(text(totals + " WHERE doc_count <> 0 ORDER BY status")).all()
        assert rows == [(1, "invoice", "draft", "due", 1, 5, 5), (1, "invoice", "issued", "settled", 1, 119, 0)]
    engine.dispose()


# --- 0010: CHECK constraints on a database with data ---------------------------------------------------------

def _blank(column: sa.Column):
    """A value for a NOT NULL column without a default (what the app would write for "nothing")."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    return ""


def insert(conn, table_name: str, **values) -> int | None:
    """Insert one row into the table as it is at this revision (reflected); the other required columns get
    blanks. Returns the new id."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    for column in table.columns:
        if column.name not in values and not column.nullable and column.server_default is None \
                and not column.primary_key:
            values[column.name] = _blank(column)
    return conn.execute(table.insert().values(**values).returning(*table.primary_key.columns)).first()[0]


def snapshot(engine) -> dict[str, list]:
    """Every row of every table (Alembic's aside), independent of column order."""
    with engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
        return {name: sorted((sorted(row._mapping.items()) for row in conn.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items() if name != "alembic_version"}


def without_columns(rows: dict[str, list], new: dict[str, set[str]], new_tables=()) -> dict[str, list]:
    """A ``snapshot`` without the columns a migration added (``new``: table -> column names) and its new tables:
    what must equal the snapshot taken before it."""
    return {table: sorted(([(k, v) for k, v in row if k not in new.get(table, ())] for row in table_rows), key=repr)
            for table, table_rows in rows.items() if table not in new_tables}


def assert_totals_match(engine) -> None:
    """The running totals equal the documents (as tests/services/test_document_totals.py compares them)."""
    with engine.connect() as conn:
        metadata = sa.MetaData()
        document = sa.Table("document", metadata, autoload_with=conn)
        totals = sa.Table("document_totals", metadata, autoload_with=conn)
        expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for d in conn.execute(sa.select(document)):
            due = d.gross_total - d.credited_total - d.paid_total
            row = expected[(d.org_id, d.kind, d.flow, d.status, d.currency, d.due_date or NO_DUE_DATE,
                            balance_state(d.gross_total, d.credited_total, d.paid_total))]
            row[0], row[1], row[2] = row[0] + 1, row[1] + d.gross_total, row[2] + due
        kept = {(t.org_id, t.kind, t.flow, t.status, t.currency, t.due_date, t.state):
                [t.doc_count, t.gross_sum, t.due_sum]
                for t in conn.execute(sa.select(totals)) if t.doc_count or t.gross_sum or t.due_sum}
    assert expected and kept == dict(expected)


def check_names(engine) -> set[str]:
    inspector = inspect(engine)
    return {ck["name"] for table in inspector.get_table_names() for ck in inspector.get_check_constraints(table)}


def seed_0009(engine) -> dict[str, int]:
    """An organization with three members, an invitation, a tax rate and documents of every kind and status,
    with lines, an allowance and payments (a refund too), written at revision 0009 (its triggers keep the totals)."""
    with engine.begin() as conn:
        org = insert(conn, "organization", name="O", country="DE", currency="EUR", locale="de_DE",
                     payment_terms_days=14)
        for n, role in enumerate(("owner", "staff", "bookkeeper")):
            user = insert(conn, "user", email=f"u{n}@example.com", name=f"U{n}", password_hash="x", session_version=1)
            insert(conn, "membership", org_id=org, user_id=user, role=role)
        insert(conn, "invitation", org_id=org, email="new@example.com", role="staff", token_hash="t" * 64)
        insert(conn, "tax_rate", org_id=org, name="Standard 19 %", percent=190000, category="S", is_default=True)
        docs = {}
        for key, kind, status, number, gross, paid, credited, due in [
                ("partial", "invoice", "issued", "INV-1", 119, 50, 0, date(2026, 2, 1)),
                ("settled", "invoice", "issued", "INV-2", 238, 238, 0, date(2026, 2, 15)),
                ("cancelled", "invoice", "cancelled", "INV-3", 119, 0, 119, date(2026, 3, 1)),
                ("credit_note", "credit_note", "issued", "CN-1", -119, 0, 0, None),
                ("quote", "quote", "sent", "Q-1", 500, 0, 0, None),
                ("draft", "invoice", "draft", None, 5, 0, 0, None)]:
            docs[key] = insert(conn, "document", org_id=org, kind=kind, flow="sales", status=status, number=number,
                               currency="EUR", gross_total=gross, net_total=gross, line_total=gross,
                               paid_total=paid, credited_total=credited, due_date=due, version=1)
            insert(conn, "document_line", document_id=docs[key], description="L", quantity=10000, unit="piece",
                   unit_price=gross * 10000, tax_category="S", net_amount=gross)
        insert(conn, "document_adjustment", document_id=docs["draft"], kind="allowance", amount=10000, tax_category="S")
        for n, (key, amount) in enumerate((("partial", 50), ("settled", 248), ("settled", -10))):
            insert(conn, "payment", org_id=org, document_id=docs[key], amount=amount, currency="EUR",
                   paid_on=date(2026, 1, 10), method="bank_transfer", idempotency_key=f"k{n}")
    return {"org": org, **docs}


def test_0010_keeps_every_row_and_the_running_totals_up_down_and_up(empty_database_url):
    assert flask("db", "upgrade", "0009_document_totals", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    assert_totals_match(engine)
    before = snapshot(engine)

    up = flask("db", "upgrade", "0010_check_constraints", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    assert snapshot(engine) == before  # the running totals' rows too
    assert {"ck_document_kind", "ck_document_number_unless_draft", "ck_payment_amount_not_zero",
            "ck_membership_role", "ck_tax_rate_category"} <= check_names(engine)
    with engine.begin() as conn:  # the triggers still keep the totals: a payment, an issue, an insert, a delete
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
        conn.execute(text("UPDATE document SET status = 'issued', number = 'INV-4', due_date = '2026-04-01' "
                          "WHERE id = :id"), {"id": ids["draft"]})
        extra = insert(conn, "document", org_id=ids["org"], kind="invoice", flow="sales", status="draft",
                       currency="EUR", gross_total=7, version=1)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM document WHERE id = :id"), {"id": extra})
    assert_totals_match(engine)
    with pytest.raises(IntegrityError, match="ck_payment_amount_not_zero"), engine.begin() as conn:
        conn.execute(text("UPDATE payment SET amount = 0"))

    before = snapshot(engine)
    down = flask("db", "downgrade", "0009_document_totals", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    assert snapshot(engine) == before and not check_names(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET credited_total = 119, status = 'cancelled' WHERE id = :id"),
                     {"id": ids["partial"]})
    assert_totals_match(engine)

    before = snapshot(engine)
    up = flask("db", "upgrade", "0010_check_constraints", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    assert snapshot(engine) == before and "ck_document_status" in check_names(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET paid_total = 100 WHERE id = :id"), {"id": ids["settled"]})
    assert_totals_match(engine)
    engine.dispose()


def test_0010_refuses_rows_that_break_a_constraint_and_changes_nothing(empty_database_url):
    assert flask("db", "upgrade", "0009_document_totals", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    with engine.begin() as conn:
        insert(conn, "payment", org_id=ids["org"], document_id=ids["partial"], amount=0, currency="EUR",
               paid_on=date(2026, 1, 10), method="cash", idempotency_key="zero")
        conn.execute(text("UPDATE document SET number = NULL WHERE id = :id"), {"id": ids["quote"]})
    before = snapshot(engine)
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode != 0
    assert "fix these rows first" in up.stderr
    assert "1 row(s) of payment break ck_payment_amount_not_zero (amount <> 0): id " in up.stderr
    assert "1 row(s) of document break ck_document_number_unless_draft" in up.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0009_document_totals"
    assert snapshot(engine) == before and not check_names(engine)
    engine.dispose()


# --- 0011: the organizations' e-mail identity and time zone ------------------------------------------------------

NEW_IN_0011 = {"organization": {"email_sender_name", "email_reply_to", "time_zone"}, "outbox_message": {"reply_to"}}


def without_0011(rows: dict[str, list]) -> dict[str, list]:
    return {table: sorted(([(k, v) for k, v in row if k not in NEW_IN_0011.get(table, ())] for row in table_rows),
                          key=repr)
            for table, table_rows in rows.items()}


def test_0011_keeps_every_row_and_gives_organizations_their_countrys_zone(empty_database_url):
    assert flask("db", "upgrade", "0010_check_constraints", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    with engine.begin() as conn:
        us = insert(conn, "organization", name="US", country="US", currency="USD", locale="en_US",
                    payment_terms_days=30, email="us@example.com")
        fr = insert(conn, "organization", name="FR", country="FR", currency="EUR", locale="fr_FR",
                    payment_terms_days=30)
        insert(conn, "outbox_message", org_id=ids["org"], kind="invoice", sender="Tallybook <no-reply@localhost>",
               to_addrs="k@example.com", subject="S", body_text="B", status="queued")
    before = snapshot(engine)

    up = flask("db", "upgrade", "0011_org_mail_identity_time_zone", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert without_0011(after) == before
    with engine.connect() as conn:
        zones = dict(conn.execute(text("SELECT id, time_zone FROM organization")).all())
        assert zones == {ids["org"]: "Europe/Berlin", fr: "Europe/Paris", us: "UTC"}
        assert conn.execute(text("SELECT email_sender_name, email_reply_to FROM organization WHERE id = :id"),
                            {"id": us}).one() == ("", "")
        assert conn.execute(text("SELECT reply_to FROM outbox_message")).scalar_one() == ""
    assert_totals_match(engine)

    down = flask("db", "downgrade", "0010_check_constraints", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    assert snapshot(engine) == before
    assert_totals_match(engine)  # the triggers of the running totals are still there
    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()


# --- 0013: the running totals of payments --------------------------------------------------------------------------

def assert_payment_totals_match(engine) -> None:
    """The payments' running totals equal the payment rows (count, received, refunded per day, currency, method,
    voided or not)."""
    with engine.connect() as conn:
        expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for p in conn.execute(text("SELECT org_id, paid_on, currency, method, voided_at, amount FROM payment")):
            row = expected[(p.org_id, str(p.paid_on), p.currency, p.method, 0 if p.voided_at is None else 1)]
            row[0], row[1], row[2] = row[0] + 1, row[1] + max(p.amount, 0), row[2] + max(-p.amount, 0)
        kept = {(t.org_id, str(t.paid_on), t.currency, t.method, t.voided): [t.payment_count, t.received, t.refunded]
                for t in conn.execute(text("SELECT * FROM payment_totals"))
                if t.payment_count or t.received or t.refunded}
    assert expected and kept == dict(expected)


def test_0013_fills_the_payment_totals_and_its_triggers_keep_them(empty_database_url):
    assert flask("db", "upgrade", "0009_document_totals", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    assert flask("db", "upgrade", "0012_open_due_index", url=empty_database_url).returncode == 0
    before = snapshot(engine)

    up = flask("db", "upgrade", "0013_payment_totals", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert {name: rows for name, rows in after.items() if name != "payment_totals"} == before
    assert_payment_totals_match(engine)  # filled from the payments there were
    with engine.begin() as conn:  # a payment, a void, a change of method and day, a delete
        new = insert(conn, "payment", org_id=ids["org"], document_id=ids["partial"], amount=69, currency="EUR",
                     paid_on=date(2026, 1, 12), method="card", idempotency_key="k-new")
        conn.execute(text("UPDATE payment SET voided_at = :t WHERE idempotency_key = 'k0'"),
                     {"t": datetime(2026, 1, 11)})
        conn.execute(text("UPDATE payment SET method = 'cash', paid_on = '2026-01-13' WHERE id = :id"), {"id": new})
        conn.execute(text("DELETE FROM payment WHERE idempotency_key = 'k2'"))
    assert_payment_totals_match(engine)
    assert_totals_match(engine)

    down = flask("db", "downgrade", "0012_open_due_index", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    assert "payment_totals" not in snapshot(engine)
    with engine.begin() as conn:  # no trigger is left behind to write into a table that is gone
        conn.execute(text("UPDATE payment SET voided_at = NULL"))
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    assert_payment_totals_match(engine)
    engine.dispose()


# --- 0014: the user's language ----------------------------------------------------------------------------------

def test_0014_gives_every_user_an_automatic_language_and_keeps_every_row(empty_database_url):
    assert flask("db", "upgrade", "0013_payment_totals", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    seed_0009(engine)
    before = snapshot(engine)

    up = flask("db", "upgrade", "0014_user_language", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert {name: rows for name, rows in after.items() if name != "user"} == {
        name: rows for name, rows in before.items() if name != "user"}
    assert after["user"] and [[item for item in row if item != ("language", "")] for row in after["user"]] == before["user"]
    with engine.begin() as conn:
        conn.execute(text('UPDATE "user" SET language = :l'), {"l": "de"})

    down = flask("db", "downgrade", "0013_payment_totals", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    assert snapshot(engine) == before
    engine.dispose()


# --- 0019: several files per note ------------------------------------------------------------------------------

def test_0019_moves_each_notes_file_into_its_own_row_and_back(empty_database_url):
    assert flask("db", "upgrade", "0018_line_fields", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    with engine.begin() as conn:
        author = conn.execute(text('SELECT min(id) FROM "user"')).scalar()
        with_file = insert(conn, "document_note", org_id=ids["org"], document_id=ids["partial"], author_id=author,
                           body="Delivery note", created_at=datetime(2026, 1, 5, 9, 30), file_name="receipt.pdf",
                           file_mime="application/pdf", file_size=1234, file_key="a" * 32)
        text_only = insert(conn, "document_note", org_id=ids["org"], document_id=ids["partial"], author_id=author,
                           body="Called", created_at=datetime(2026, 1, 6))
    before = snapshot(engine)

    up = flask("db", "upgrade", "0019_note_files", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        assert {c["name"] for c in inspect(conn).get_columns("document_note")} == {
            "id", "org_id", "document_id", "author_id", "body", "created_at"}
        files = conn.execute(text("SELECT note_id, org_id, file_name, file_mime, file_size, file_key, position, "
                                  "created_at FROM document_note_file")).all()
        assert [(*f[:7], str(f[7])[:19]) for f in files] == [  # the note's time (a string on SQLite)
            (with_file, ids["org"], "receipt.pdf", "application/pdf", 1234, "a" * 32, 0, "2026-01-05 09:30:00")]
        assert conn.execute(text("SELECT id, body FROM document_note ORDER BY id")).all() == [
            (with_file, "Delivery note"), (text_only, "Called")]
    after = snapshot(engine)
    assert {k: v for k, v in after.items() if k not in ("document_note", "document_note_file")} == {
        k: v for k, v in before.items() if k != "document_note"}
    with engine.begin() as conn:  # a second file on the note (as the app adds them now)
        insert(conn, "document_note_file", note_id=with_file, org_id=ids["org"], file_name="signature.png",
               file_mime="image/png", file_size=99, file_key="b" * 32, position=1, created_at=datetime(2026, 1, 7))

    down = flask("db", "downgrade", "0018_line_fields", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    with engine.connect() as conn:
        assert "document_note_file" not in inspect(conn).get_table_names()
        notes = conn.execute(text("SELECT document_id, author_id, body, file_name, file_mime, file_size, file_key "
                                  "FROM document_note ORDER BY id")).all()
    # the note keeps its first file; the second becomes a note of its own: no file is lost
    assert [tuple(n) for n in notes] == [
        (ids["partial"], author, "Delivery note", "receipt.pdf", "application/pdf", 1234, "a" * 32),
        (ids["partial"], author, "Called", "", "", 0, ""),
        (ids["partial"], author, "", "signature.png", "image/png", 99, "b" * 32)]
    assert {k: v for k, v in snapshot(engine).items() if k != "document_note"} == {
        k: v for k, v in before.items() if k != "document_note"}
    up = flask("db", "upgrade", "0019_note_files", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document_note_file")).scalar() == 2
    engine.dispose()
