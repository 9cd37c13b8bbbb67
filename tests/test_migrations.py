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
