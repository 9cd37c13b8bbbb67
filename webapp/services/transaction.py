"""Hooks on the database transaction: run something once it is committed, or once it is rolled back.

They hang on the session's transaction, not on the request, so the same code works in a request (whose unit
of work commits once, ``webapp.web.uow``), in the worker and in CLI commands. After-commit: wake the outbox
deliverer, remove the files of deleted rows. After-rollback: remove the files written for rows that were never
committed. A hook must not use the database session (the transaction is over).
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.extensions import db

log = logging.getLogger(__name__)
_FRAMES = "transaction_hook_frames"


def _frames(session: Session) -> list[tuple[list, list]]:
    """(commit hooks, rollback hooks) per transaction level: the outermost first, then one per open savepoint."""
    return session.info.setdefault(_FRAMES, [([], [])])


def after_commit(hook: Callable[[], None]) -> None:
    """Run ``hook`` when the current transaction commits (never if it, or the savepoint it was registered in,
    rolls back)."""
    _frames(db.session)[-1][0].append(hook)


def after_rollback(hook: Callable[[], None]) -> None:
    """Run ``hook`` if the current transaction, or the savepoint it was registered in, rolls back."""
    _frames(db.session)[-1][1].append(hook)


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # noqa: BLE001 - the transaction is over; a failed clean-up must not hide that
            log.exception("after-transaction hook %r failed", hook)


@event.listens_for(Session, "after_transaction_create")
def _began(session: Session, transaction) -> None:
    if transaction.nested:
        _frames(session).append(([], []))


# SQLAlchemy sends after_commit and after_rollback for a savepoint too (``in_nested_transaction`` is then still
# true): a savepoint committed hands its hooks to the transaction around it; one rolled back runs its rollback
# hooks and drops its commit hooks; the outermost transaction runs what is left.
@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    frames = _frames(session)
    if session.in_nested_transaction() and len(frames) > 1:
        commit, rollback = frames.pop()
        frames[-1][0].extend(commit)
        frames[-1][1].extend(rollback)
        return
    session.info.pop(_FRAMES, None)
    _run([hook for commit, _rollback in frames for hook in commit])


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    frames = _frames(session)
    if session.in_nested_transaction() and len(frames) > 1:
        _run(frames.pop()[1])
        return
    session.info.pop(_FRAMES, None)
    _run([hook for _commit, rollback in reversed(frames) for hook in rollback])
