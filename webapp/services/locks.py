"""Write locks: the number lock (a fresh write transaction) and a document's row lock.

Issuing takes its number from a counter row locked for update (PostgreSQL) or inside ``BEGIN IMMEDIATE``
(SQLite, where the lock is the whole database); payments and credit notes change a document's balance with
its row locked. The use cases call these; routes never do.
"""
from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import Document, Organization

_WROTE = "locks_wrote"  # the transaction flushed a change (that begin_write's rollback would lose)


@event.listens_for(Session, "after_flush")
def _wrote(session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session) -> None:
    if not session.in_nested_transaction():  # a savepoint's end leaves the transaction's changes in it
        session.info.pop(_WROTE, None)


def begin_write() -> None:
    """Start a fresh transaction that takes the write lock before its first read (the number lock).

    Only reads may have happened before; they are forgotten. A change made before would be lost, so it is
    refused instead (a programming error: take the lock first). On SQLite the new transaction opens with
    ``BEGIN IMMEDIATE``, which takes the database's write lock before the first read, so two transactions can
    never read the same counter (Python's sqlite3 would otherwise begin only at the first write). On
    PostgreSQL the callers lock rows with ``FOR UPDATE``.
    """
    session = db.session
    if (session.info.get(_WROTE) or session.new or session.deleted
            or any(session.is_modified(obj) for obj in session.dirty)):
        raise RuntimeError("begin_write() after a change: take the lock before changing anything")
    session.rollback()  # a read-only transaction: nothing is lost
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_document(org: Organization, document_id: int) -> Document | None:
    """Start a write transaction and return the organization's document with its row locked
    (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` locks the whole database)."""
    begin_write()
    return locked_document(org, document_id)


def locked_document(org: Organization, document_id: int) -> Document | None:
    """The organization's document with its row locked, in the write transaction ``begin_write`` started (for a
    use case that changes several documents in one transaction)."""
    return db.session.scalar(select(Document).where(Document.org_id == org.id, Document.id == document_id)
                             .with_for_update().execution_options(populate_existing=True))
