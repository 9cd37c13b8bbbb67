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
_COMMIT, _ROLLBACK = "after_commit_hooks", "after_rollback_hooks"


def after_commit(hook: Callable[[], None]) -> None:
    """Run ``hook`` when the current transaction commits (never if it rolls back)."""
    db.session.info.setdefault(_COMMIT, []).append(hook)


def after_rollback(hook: Callable[[], None]) -> None:
    """Run ``hook`` if the current transaction rolls back."""
    db.session.info.setdefault(_ROLLBACK, []).append(hook)


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # noqa: BLE001 - the transaction is over; a failed clean-up must not hide that
            log.exception("after-transaction hook %r failed", hook)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_ROLLBACK, None)
    _run(session.info.pop(_COMMIT, []))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_COMMIT, None)
    _run(session.info.pop(_ROLLBACK, []))
