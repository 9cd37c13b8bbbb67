"""Migration 0023 (advance invoices and their deduction by a final invoice) on a database with data: every row is
kept, existing documents are no advance invoices and deduct nothing, the new table takes a deduction, the running
totals' triggers keep working (no table was rebuilt); down again, the columns and the table are gone and every row
is as it was. SQLite and PostgreSQL (tests/test_migrations.py has the helpers)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import (assert_totals_match, empty_database_url, flask, insert, seed_0009,  # noqa: F401
                                   snapshot, without_columns)

NEW = {"advance", "prepaid_total"}


def without_new(rows: dict[str, list]) -> dict[str, list]:
    return without_columns(rows, {"document": NEW}, ("document_deduction",))


def test_0023_keeps_every_row_adds_advance_invoices_and_goes_back(empty_database_url):  # noqa: F811
    assert flask("db", "upgrade", "0022_exchange_rate", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    before = snapshot(engine)

    up = flask("db", "upgrade", "0023_advance_invoices", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert without_new(after) == before and after["document_deduction"] == []
    with engine.connect() as conn:
        assert NEW <= {c["name"] for c in inspect(conn).get_columns("document")}
        assert conn.execute(text("SELECT count(*) FROM document WHERE advance OR prepaid_total <> 0")).scalar() == 0
    with engine.begin() as conn:  # the settled invoice becomes an advance invoice the partial one deducts
        conn.execute(text("UPDATE document SET advance = :t WHERE id = :id"), {"t": True, "id": ids["settled"]})
        insert(conn, "document_deduction", org_id=ids["org"], final_id=ids["partial"], advance_id=ids["settled"],
               amount=238, tax_amount=38)
        conn.execute(text("UPDATE document SET prepaid_total = 60, paid_total = 110 WHERE id = :id"),
                     {"id": ids["partial"]})
    assert_totals_match(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:  # one deduction of an advance per final invoice
        insert(conn, "document_deduction", org_id=ids["org"], final_id=ids["partial"], advance_id=ids["settled"],
               amount=1, tax_amount=0)
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a deducted advance invoice is not deleted
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM document WHERE id = :id"), {"id": ids["settled"]})

    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET paid_total = 50 WHERE id = :id"), {"id": ids["partial"]})
    down = flask("db", "downgrade", "0022_exchange_rate", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    with engine.connect() as conn:
        assert not NEW & {c["name"] for c in inspect(conn).get_columns("document")}
        assert "document_deduction" not in inspect(conn).get_table_names()
    assert snapshot(engine) == before
    with engine.begin() as conn:  # the triggers are still there
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()
