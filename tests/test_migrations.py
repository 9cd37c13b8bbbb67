"""`flask db upgrade` builds the schema from empty, and `flask db check` finds nothing to migrate."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import TMP, database_url
from webapp.extensions import db

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
