"""Migration 0025 (the supplier's number of a purchase) on a database with data: every row is kept and carries no
supplier's number; the partial unique index refuses a supplier's number twice for one supplier among purchases
not cancelled, and leaves sales alone; down again, the column is gone and every row is as it was. SQLite and
PostgreSQL (tests/test_migrations.py has the helpers)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import empty_database_url, flask, insert, seed_0009, snapshot, without_columns  # noqa: F401


def test_0025_keeps_every_row_and_a_suppliers_number_is_unique_per_supplier(empty_database_url):  # noqa: F811
    assert flask("db", "upgrade", "0024_automatic_vat", url=empty_database_url).returncode == 0
    engine = create_engine(empty_database_url)
    ids = seed_0009(engine)
    with engine.begin() as conn:
        supplier = insert(conn, "contact", org_id=ids["org"], company_name="Paper & Co", is_supplier=True)
    before = snapshot(engine)
    up = flask("db", "upgrade", "0025_supplier_number", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    assert without_columns(snapshot(engine), {"document": {"supplier_number"}}) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document WHERE supplier_number IS NOT NULL")).scalar() == 0

    def purchase(conn, number, status="draft"):
        return insert(conn, "document", org_id=ids["org"], kind="invoice", flow="purchases", status=status,
                      contact_id=supplier, supplier_number=number, currency="EUR", version=1,
                      number=None if status == "draft" else f"PUR-{number}")

    with engine.begin() as conn:
        first = purchase(conn, "A-1")
        purchase(conn, "A-2")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        purchase(conn, "A-1")
    with engine.begin() as conn:  # a cancelled one frees its number
        conn.execute(text("UPDATE document SET status = 'cancelled', number = 'PUR-X' WHERE id = :id"), {"id": first})
        purchase(conn, "A-1")
        conn.execute(text("DELETE FROM document WHERE flow = 'purchases'"))
    down = flask("db", "downgrade", "0024_automatic_vat", url=empty_database_url)
    assert down.returncode == 0, down.stderr
    assert "supplier_number" not in {c["name"] for c in inspect(engine).get_columns("document")}
    assert {k: v for k, v in snapshot(engine).items() if k != "document_totals"} == {
        k: v for k, v in before.items() if k != "document_totals"}
    up = flask("db", "upgrade", url=empty_database_url)
    assert up.returncode == 0, up.stderr
    engine.dispose()
