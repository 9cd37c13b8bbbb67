"""Migrations 0026-0028 (the purchases inbox, expense categories, self-billing) on a database with data: every row
is kept, the new columns read as nothing stated, no category, not self-billed; the supplier's file is once per
organization and bytes; a category a line uses cannot be deleted; down again every row is as it was. SQLite and
PostgreSQL (tests/test_migrations.py has the helpers)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import empty_database_url, flask, insert, seed_0009, snapshot, without_columns  # noqa: F401

NEW_COLUMNS = {"document": {"stated_totals", "self_billed"}, "document_line": {"stated_net", "expense_category_id"}}
NEW_TABLES = ("document_file", "expense_category")


def test_0026_to_0028_keep_every_row_and_their_rules_hold(empty_database_url):  # noqa: F811
    assert flask("db", "upgrade", "0025_supplier_number", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    before = snapshot(engine)
    up = flask("db", "upgrade", "0028_self_billing", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert without_columns(after, NEW_COLUMNS, NEW_TABLES) == without_columns(before, {}, ())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document WHERE stated_totals IS NOT NULL "
                                 "OR self_billed = :yes"), {"yes": True}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM document_line WHERE stated_net IS NOT NULL "
                                 "OR expense_category_id IS NOT NULL")).scalar() == 0
        line = conn.execute(text("SELECT id, document_id FROM document_line ORDER BY id")).first()
    with engine.begin() as conn:
        category = insert(conn, "expense_category", org_id=ids["org"], name="Rent", account="4210", archived=False)
        conn.execute(text("UPDATE document_line SET expense_category_id = :c WHERE id = :id"),
                     {"c": category, "id": line.id})
        insert(conn, "document_file", org_id=ids["org"], document_id=line.document_id, file_name="a.xml",
               file_mime="application/xml", file_size=3, file_key="k1", sha256="a" * 64, syntax="cii", rules="")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the same bytes once per organization
        other = conn.execute(text("SELECT id FROM document WHERE id <> :id ORDER BY id"), {"id": line.document_id}).first()
        insert(conn, "document_file", org_id=ids["org"], document_id=other.id, file_name="b.xml",
               file_mime="application/xml", file_size=3, file_key="k2", sha256="a" * 64, syntax="cii", rules="")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a category in use is archived, never deleted
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM expense_category WHERE id = :id"), {"id": category})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # names unique per organization
        insert(conn, "expense_category", org_id=ids["org"], name="Rent", account="", archived=False)
    with engine.begin() as conn:
        conn.execute(text("UPDATE document_line SET expense_category_id = NULL"))
        conn.execute(text("DELETE FROM document_file"))
        conn.execute(text("DELETE FROM expense_category"))
    down = flask("db", "downgrade", "0025_supplier_number", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    tables = set(inspect(engine).get_table_names())
    assert not tables & set(NEW_TABLES)
    assert not NEW_COLUMNS["document"] & {c["name"] for c in inspect(engine).get_columns("document")}
    assert {k: v for k, v in snapshot(engine).items() if k != "document_totals"} == {
        k: v for k, v in before.items() if k != "document_totals"}
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()
