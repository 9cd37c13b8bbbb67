"""Migration 0024 (automatic VAT) on a database with data: every row is kept; contacts with neither a company name
nor a VAT ID become consumers, the others businesses; nothing is automatic and no decision is stored; the new
columns and the registrations table take values, one registration per country; the running totals' triggers keep
working (no table was rebuilt); down again, the columns and the table are gone and every row is as it was. SQLite
and PostgreSQL (tests/test_migrations.py has the helpers)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import (assert_totals_match, empty_database_url, flask, insert, seed_0009,  # noqa: F401
                                   snapshot, without_columns)

NEW = {
    "organization": {"automatic_tax", "default_tax_code", "small_business", "oss_since", "destination_opt_in"},
    "contact": {"is_business", "vat_id_valid", "vat_id_checked_at"},
    "product": {"tax_code"},
    "document": {"automatic_tax", "distance_sales_eur"},
    "document_line": {"tax_code", "tax_jurisdiction", "tax_rule", "tax_decision"},
}


def columns(engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


def test_0024_keeps_every_row_tells_businesses_from_consumers_and_goes_back(empty_database_url):  # noqa: F811
    assert flask("db", "upgrade", "0023_advance_invoices", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    with engine.begin() as conn:
        company = insert(conn, "contact", org_id=ids["org"], company_name="Acme GmbH", person_name="", vat_id="")
        person = insert(conn, "contact", org_id=ids["org"], company_name="", person_name="Anna", vat_id="")
        trader = insert(conn, "contact", org_id=ids["org"], company_name="", person_name="Bo",
                        vat_id="DE136695976")
        insert(conn, "product", org_id=ids["org"], name="Widget", unit_price=100000)
    before = snapshot(engine)

    up = flask("db", "upgrade", "0024_automatic_vat", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    after = snapshot(engine)
    assert without_columns(after, NEW, ("vat_registration",)) == before and after["vat_registration"] == []
    for table, names in NEW.items():
        assert names <= columns(engine, table), table
    with engine.connect() as conn:
        business = dict(conn.execute(text("SELECT id, is_business FROM contact")).all())
        assert {k: bool(v) for k, v in business.items()} == {company: True, person: False, trader: True}
        assert conn.execute(text("SELECT automatic_tax, default_tax_code, small_business, oss_since, "
                                 "destination_opt_in FROM organization")).one() == (False, "S10000000", False, None,
                                                                                   False)
        assert conn.execute(text("SELECT count(*) FROM document WHERE automatic_tax OR distance_sales_eur IS NOT NULL"
                                 )).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM document_line WHERE tax_code <> '' OR tax_jurisdiction <> '' "
                                 "OR tax_rule <> '' OR tax_decision IS NOT NULL")).scalar() == 0
        assert conn.execute(text("SELECT tax_code FROM product")).scalar() == ""
    with engine.begin() as conn:  # the new fields take values; a registration per country
        insert(conn, "vat_registration", org_id=ids["org"], country="FR", vat_id="FR40303265045",
               valid_from=date(2026, 1, 1), created_at=date(2026, 1, 1))
        conn.execute(text("UPDATE document SET automatic_tax = :t, distance_sales_eur = 11900 WHERE id = :id"),
                     {"t": True, "id": ids["partial"]})
        conn.execute(text("UPDATE document_line SET tax_jurisdiction = 'FR', tax_rule = 'distance_oss' "
                          "WHERE document_id = :id"), {"id": ids["partial"]})
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert(conn, "vat_registration", org_id=ids["org"], country="FR", vat_id="FR40303265045",
               created_at=date(2026, 1, 1))

    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET paid_total = 50 WHERE id = :id"), {"id": ids["partial"]})
    down = flask("db", "downgrade", "0023_advance_invoices", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    for table, names in NEW.items():
        assert not names & columns(engine, table), table
    assert "vat_registration" not in inspect(engine).get_table_names()
    # every row as it was (the running totals keep zero rows of the states they saw meanwhile: compared as totals)
    assert {k: v for k, v in snapshot(engine).items() if k != "document_totals"} == {
        k: v for k, v in before.items() if k != "document_totals"}
    assert_totals_match(engine)
    with engine.begin() as conn:  # the triggers are still there
        conn.execute(text("UPDATE document SET paid_total = 119 WHERE id = :id"), {"id": ids["partial"]})
    assert_totals_match(engine)
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()
