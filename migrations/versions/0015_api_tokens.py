"""API tokens, idempotent requests, the customer's buyer reference

Revision ID: 0015_api_tokens
Revises: 0014_user_language
Create Date: 2026-12-02 13:00:00

Issue 14: the JSON API. ``api_token`` holds the organization's tokens (only their SHA-256), the role each acts
with, expiry, revocation and last use; ``idempotent_request`` the first answer to a POST with an
``Idempotency-Key`` (replayed for 24 hours); ``contact.buyer_reference`` the reference a buyer wants on its
invoices (BT-10, e.g. the Leitweg-ID of a German public buyer).
"""
import sqlalchemy as sa
from alembic import op


revision = '0015_api_tokens'
down_revision = '0014_user_language'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('owner', 'staff', 'bookkeeper')", name=op.f("ck_api_token_role")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_api_token_created_by_id_user"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_api_token_org_id_organization"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index("ix_api_token_org", "api_token", ["org_id", "id"])
    op.create_table(
        "idempotent_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.String(length=2000), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"],
                                name=op.f("fk_idempotent_request_org_id_organization"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_request")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_idempotent_request_org_id_key")),
    )
    op.create_index("ix_idempotent_request_created", "idempotent_request", ["created_at"])
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("buyer_reference", sa.String(length=100), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("buyer_reference")
    op.drop_index("ix_idempotent_request_created", table_name="idempotent_request")
    op.drop_table("idempotent_request")
    op.drop_index("ix_api_token_org", table_name="api_token")
    op.drop_table("api_token")
