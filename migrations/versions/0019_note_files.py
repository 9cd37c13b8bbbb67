"""Several files per note

Revision ID: 0019_note_files
Revises: 0018_line_fields
Create Date: 2026-12-02 19:00:00

Issue 14 (seed 003): a note holds any number of files. ``document_note_file`` takes each note's file (the
four ``file_*`` columns of ``document_note``), which go. The stored bytes stay where they are
(services/storage.py: ``<org id>/<file_key>``); only the row that names them moves.

Downgrade: a note keeps its first file; each further file becomes a note of its own without text (as the
API stored them before), so no file is lost.
"""
import sqlalchemy as sa
from alembic import op


revision = '0019_note_files'
down_revision = '0018_line_fields'
branch_labels = None
depends_on = None

FILE_COLUMNS = ("file_name", "file_mime", "file_size", "file_key")


def upgrade():
    op.create_table(
        "document_note_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_mime", sa.String(length=40), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["document_note.id"],
                                name=op.f("fk_document_note_file_note_id_document_note"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"],
                                name=op.f("fk_document_note_file_org_id_organization"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_note_file")),
    )
    op.create_index("ix_document_note_file_note", "document_note_file", ["note_id", "position"])
    op.execute("INSERT INTO document_note_file (note_id, org_id, file_name, file_mime, file_size, file_key, position, "
               "created_at) SELECT id, org_id, file_name, file_mime, file_size, file_key, 0, created_at "
               "FROM document_note WHERE file_key <> '' ORDER BY id")
    for column in FILE_COLUMNS:  # plain columns: SQLite (3.35+) drops them in place, no copy of the table
        op.execute(f"ALTER TABLE document_note DROP COLUMN {column}")


def downgrade():
    for column, kind, default in (("file_name", sa.String(length=200), ""), ("file_mime", sa.String(length=40), ""),
                                  ("file_size", sa.Integer(), "0"), ("file_key", sa.String(length=64), "")):
        op.add_column("document_note", sa.Column(column, kind, nullable=False, server_default=default))
    first = ("SELECT f.{col} FROM document_note_file f WHERE f.note_id = document_note.id "
             "ORDER BY f.position, f.id LIMIT 1")
    op.execute("UPDATE document_note SET " + ", ".join(f"{c} = ({first.format(col=c)})" for c in FILE_COLUMNS)
               + " WHERE EXISTS (SELECT 1 FROM document_note_file f WHERE f.note_id = document_note.id)")
    # the further files: a note each (no text), by the same author, on the same document
    op.execute("INSERT INTO document_note (org_id, document_id, author_id, body, created_at, file_name, file_mime, "
               "file_size, file_key) SELECT n.org_id, n.document_id, n.author_id, '', f.created_at, f.file_name, "
               "f.file_mime, f.file_size, f.file_key FROM document_note_file f JOIN document_note n ON n.id = f.note_id "
               "WHERE n.file_key <> f.file_key ORDER BY f.note_id, f.position, f.id")
    if op.get_bind().dialect.name == "postgresql":  # as 0007 made them (SQLite keeps the defaults: harmless)
        for column in FILE_COLUMNS:
            op.alter_column("document_note", column, server_default=None)
    op.drop_index("ix_document_note_file_note", table_name="document_note_file")
    op.drop_table("document_note_file")
