"""Migration 0022 (the exchange rate, BT-6 / BT-111) on a database with data: every row is kept, existing documents
get no rate, the running totals' triggers keep working (no table was rebuilt), the CHECK refuses a rate that is not
above 0; down again, the columns are gone and every row is as it was. SQLite and PostgreSQL (tests/test_migrations.py
has the helpers)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import (assert_totals_match, check_names, empty_database_url, flask, seed_0009,  # noqa: F401
                                   snapshot, without_columns)

NEW = {"exchange_rate", "tax_total_accounting", "accounting_currency"}


def without_new(rows: dict[str, list]) -> dict[str, list]:
    return without_columns(rows, {"document": NEW}, ())


def test_0022_keeps_every_row_adds_the_rate_and_goes_back(empty_database_url):  # noqa: F811
    assert flask("db", "upgrade", "0021_einvoices", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    before = snapshot(engine)

    up = flask("db", "upgrade", "0022_exchange_rate", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert without_new(after) == before
    with engine.connect() as conn:
        assert NEW <= {c["name"] for c in inspect(conn).get_columns("document")}
        assert conn.execute(text("SELECT count(*) FROM document WHERE exchange_rate IS NOT NULL OR "
                                 "tax_total_accounting IS NOT NULL OR accounting_currency IS NOT NULL")).scalar() == 0
    assert "ck_document_exchange_rate" in check_names(engine)
    with engine.begin() as conn:  # a rate (scaled by 10^6) and a frozen figure; a payment the triggers count
        conn.execute(text("UPDATE document SET currency = 'GBP', exchange_rate = 1171200, tax_total_accounting = 22, "
                          "accounting_currency = 'EUR' WHERE id = :id"), {"id": ids["partial"]})
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    for value in (0, -1):
        with pytest.raises(IntegrityError, match="ck_document_exchange_rate"), engine.begin() as conn:
            conn.execute(text("UPDATE document SET exchange_rate = :v WHERE id = :id"), {"v": value, "id": ids["draft"]})

    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET currency = 'EUR', paid_total = 50 WHERE id = :id"), {"id": ids["partial"]})
    down = flask("db", "downgrade", "0021_einvoices", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    with engine.connect() as conn:
        assert not NEW & {c["name"] for c in inspect(conn).get_columns("document")}
    # every row as it was (the running totals keep a zero row of the GBP they saw meanwhile: compared as totals)
    assert {k: v for k, v in snapshot(engine).items() if k != "document_totals"} == {
        k: v for k, v in before.items() if k != "document_totals"}
    assert_totals_match(engine) is None and "ck_document_exchange_rate" not in check_names(engine)
    with engine.begin() as conn:  # the triggers are still there
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()
