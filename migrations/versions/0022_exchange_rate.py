"""Exchange rate per document, its VAT total in the organization's currency (EN 16931 BT-6 / BT-111)

Revision ID: 0022_exchange_rate
Revises: 0021_einvoices
Create Date: 2026-12-03 10:00:00

Issue 15: an invoice in another currency than the organization's states its VAT total in the organization's
currency at an exchange rate stated on the invoice. ``document.exchange_rate`` (a scaled integer, six decimals, as
every decimal of the app: 1 unit of the document's currency = this many units of the organization's; above 0 when
set), and, frozen at issue, ``document.tax_total_accounting`` (minor units) in ``document.accounting_currency``.
Every existing document gets NULL in all three: none stated a rate.

No table is rebuilt (``document`` carries the running totals' triggers on SQLite): the columns are added with their
CHECK in the column definition on SQLite, and with ADD CONSTRAINT on PostgreSQL; dropped in SQL on the way down.
"""
from alembic import op


revision = '0022_exchange_rate'
down_revision = '0021_einvoices'
branch_labels = None
depends_on = None

CHECK = "exchange_rate IS NULL OR exchange_rate > 0"  # models/document.EXCHANGE_RATE_SQL
NAME = "ck_document_exchange_rate"


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"ALTER TABLE document ADD COLUMN exchange_rate BIGINT CONSTRAINT {NAME} "
                                   f"CHECK ({CHECK})")
    else:
        connection.exec_driver_sql("ALTER TABLE document ADD COLUMN exchange_rate BIGINT")
        connection.exec_driver_sql(f"ALTER TABLE document ADD CONSTRAINT {NAME} CHECK ({CHECK})")
    connection.exec_driver_sql("ALTER TABLE document ADD COLUMN tax_total_accounting BIGINT")
    connection.exec_driver_sql("ALTER TABLE document ADD COLUMN accounting_currency VARCHAR(3)")


def downgrade():
    connection = op.get_bind()
    connection.exec_driver_sql("ALTER TABLE document DROP COLUMN accounting_currency")
    connection.exec_driver_sql("ALTER TABLE document DROP COLUMN tax_total_accounting")
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql(f"ALTER TABLE document DROP CONSTRAINT {NAME}")
    connection.exec_driver_sql("ALTER TABLE document DROP COLUMN exchange_rate")
