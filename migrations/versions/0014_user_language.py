"""the language each user reads the app in

Revision ID: 0014_user_language
Revises: 0013_payment_totals
Create Date: 2026-12-02 08:00:00

Issue 13 item 14: the app speaks English, German and French, chosen per user. ``user.language`` is the
user's choice ("en", "de", "fr") or empty: then the browser's Accept-Language decides, else the
organization's locale (``webapp/i18n.ui_language``). Existing users start empty (automatic).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_user_language'
down_revision = '0013_payment_totals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("language")
