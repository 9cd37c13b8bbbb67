"""What the migrations install is what the models install: the triggers of the running totals (their SQL is
frozen in the migrations, so a change of ``webapp/models/totals.py`` needs a new migration), the CHECK
constraints and the indexes, which ``flask db check`` (Alembic's compare_metadata) does not compare.

One database is built with ``flask db upgrade``, one with the models' ``create_all``; on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from tests.conftest import TMP, database_url
from tests.test_migrations import flask
from webapp.extensions import db

MIGRATION_ONLY_INDEXES = "_trgm"  # PostgreSQL trigram indexes made by hand in 0002/0003 (see migrations/env.py)


@pytest.fixture
def new_database() -> Iterator[Callable[[], str]]:
    """A factory of empty databases (a file on SQLite, a database on PostgreSQL), dropped afterwards."""
    url, made = database_url(), []
    admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def make() -> str:
        if url.startswith("sqlite"):
            return f"sqlite:///{TMP}/schema-{uuid.uuid4().hex}.sqlite"
        name = f"tallybook_schema_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return url.rsplit("/", 1)[0] + "/" + name

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_and_created(new_database) -> Iterator[tuple[Engine, Engine]]:
    """(a database built by ``flask db upgrade``, one built by ``create_all``)."""
    migrated_url, created_url = new_database(), new_database()
    up = flask("db", "upgrade", url=migrated_url)
    assert up.returncode == 0, up.stderr
    migrated, created = create_engine(migrated_url), create_engine(created_url)
    db.metadata.create_all(created)  # with the triggers (models/totals.py listens to after_create)
    yield migrated, created
    migrated.dispose()
    created.dispose()


def normalized(sql: str) -> str:
    return " ".join(sql.split())


def installed_triggers(engine: Engine) -> dict[str, str]:
    """Trigger name -> its SQL; on PostgreSQL also "function <name>" -> the definition of a trigger function."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(text(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                "UNION ALL SELECT 'function ' || proname, pg_get_functiondef(oid) FROM pg_proc "
                "WHERE oid IN (SELECT tgfoid FROM pg_trigger WHERE NOT tgisinternal)"))
        return {name: normalized(sql) for name, sql in rows}


def check_constraints(engine: Engine) -> dict[str, str]:
    """"<table>.<constraint>" -> its condition, as the database reports it."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            inspector = inspect(conn)
            return {f"{table}.{ck['name']}": normalized(ck["sqltext"]) for table in inspector.get_table_names()
                    for ck in inspector.get_check_constraints(table)}
        rows = conn.execute(text("SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) "
                                 "FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0 "
                                 "AND connamespace = 'public'::regnamespace"))
        return {name: normalized(sql) for name, sql in rows}


def indexes(engine: Engine) -> dict[str, str]:
    """Index name -> its SQL (columns, uniqueness, the WHERE of a partial index), Alembic's own table aside."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                     "AND tbl_name <> 'alembic_version'"))
        else:
            rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                                     "AND tablename <> 'alembic_version'"))
        return {name: normalized(sql) for name, sql in rows if not name.endswith(MIGRATION_ONLY_INDEXES)}


def differences(migrated: dict[str, str], created: dict[str, str]) -> list[str]:
    """Short lines naming what differs: a missing name, or where two definitions part (with some context)."""
    lines = [f"only in the migrated database: {name}" for name in sorted(migrated.keys() - created.keys())]
    lines += [f"only in create_all's database: {name}" for name in sorted(created.keys() - migrated.keys())]
    for name in sorted(migrated.keys() & created.keys()):
        a, b = migrated[name], created[name]
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            lines.append(f"{name} differs at character {at}:\n    migrations: ...{a[max(at - 60, 0):at + 60]}...\n"
                         f"    create_all: ...{b[max(at - 60, 0):at + 60]}...")
    return lines


def test_migrations_install_the_triggers_the_model_installs(migrated_and_created):
    migrated, created = map(installed_triggers, migrated_and_created)
    expected = ({f"{table}_totals_insert_delete" for table in ("document", "payment")}
                | {f"{table}_totals_update" for table in ("document", "payment")}
                | {f"function {table}_totals_apply" for table in ("document", "payment")}
                if migrated_and_created[0].dialect.name == "postgresql" else
                {f"{table}_totals_{op}" for table in ("document", "payment") for op in ("insert", "delete", "update")})
    assert set(created) == expected
    problems = differences(migrated, created)
    assert not problems, ("the trigger SQL of webapp/models/totals.py is not what the migrations install; "
                          "a change of it needs a new migration:\n" + "\n".join(problems))


def test_migrations_install_the_check_constraints_and_indexes_the_models_declare(migrated_and_created):
    migrated, created = migrated_and_created
    checks = check_constraints(created)
    assert {"document.ck_document_kind", "document.ck_document_number_unless_draft",
            "payment.ck_payment_amount_not_zero", "membership.ck_membership_role"} <= set(checks)
    problems = differences(check_constraints(migrated), checks)
    problems += differences(indexes(migrated), indexes(created))
    assert not problems, "the migrations and the models disagree:\n" + "\n".join(problems)
