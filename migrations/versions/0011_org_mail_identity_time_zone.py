"""organizations: e-mail sender name, Reply-To and time zone; outbox messages carry their Reply-To

Revision ID: 0011_org_mail_identity_time_zone
Revises: 0010_check_constraints
Create Date: 2026-12-02 10:00:00

``organization.email_sender_name`` and ``email_reply_to`` (empty: the organization's name and e-mail) shape the
From display name and the Reply-To of its e-mails; ``organization.time_zone`` (an IANA name) is the zone its
screens show times in. Existing organizations get the zone of their country when the country keeps one time
(the list below is frozen here: a migration is history), else UTC. ``outbox_message.reply_to`` is the Reply-To
header of a queued message (empty: none).

The columns are added in place (SQLite and PostgreSQL alike), so no table is rebuilt and no trigger is touched.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_org_mail_identity_time_zone'
down_revision = '0010_check_constraints'
branch_labels = None
depends_on = None

# country -> its zone, for the countries the app starts tax rates for and that keep one time
COUNTRY_ZONES = {
    'DE': 'Europe/Berlin', 'AT': 'Europe/Vienna', 'FR': 'Europe/Paris', 'NL': 'Europe/Amsterdam',
    'BE': 'Europe/Brussels', 'IT': 'Europe/Rome', 'GB': 'Europe/London', 'CH': 'Europe/Zurich',
}


def upgrade():
    op.add_column('organization', sa.Column('email_sender_name', sa.String(length=100), server_default='',
                                            nullable=False))
    op.add_column('organization', sa.Column('email_reply_to', sa.String(length=254), server_default='',
                                            nullable=False))
    op.add_column('organization', sa.Column('time_zone', sa.String(length=64), server_default='UTC',
                                            nullable=False))
    op.add_column('outbox_message', sa.Column('reply_to', sa.String(length=320), server_default='',
                                              nullable=False))
    organization = sa.table('organization', sa.column('country', sa.String), sa.column('time_zone', sa.String))
    for country, zone in COUNTRY_ZONES.items():
        op.execute(organization.update().where(organization.c.country == country).values(time_zone=zone))


def downgrade():
    # Batch mode: SQLite before 3.35 cannot drop a column in place (the tables have no triggers to keep).
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('email_reply_to')
        batch_op.drop_column('email_sender_name')
