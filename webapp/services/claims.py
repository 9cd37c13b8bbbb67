"""Claiming the next due row of an outbox (e-mails, webhook deliveries) for one worker.

Several workers on one database: a row is taken with a conditional UPDATE committed before the work starts, so
two workers never send the same row, on SQLite and PostgreSQL alike. A claim older than ``lease`` (its worker
died mid-way) is taken up again. The model needs ``id``, ``status``, ``next_attempt_at``, ``last_attempt_at``
and ``attempts``; ``queued`` and ``sending`` are its statuses."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update

from webapp.extensions import db
from webapp.models.types import utcnow

QUEUED, SENDING = "queued", "sending"


def _due(model):
    """Queued rows whose time has come, and claims of workers that died mid-way."""
    return or_(
        and_(model.status == QUEUED, model.next_attempt_at <= bindparam("now")),
        and_(model.status == SENDING, model.last_attempt_at < bindparam("stale")),
    )


def claim_next(model, now: datetime, skip: set[int], lease: timedelta):
    """The next due row of ``model`` (oldest due first), marked sending and committed; None when none is due.
    ``skip``: ids this worker already tried in this run (a row another worker took is added to it)."""
    params = {"now": now, "stale": utcnow() - lease}
    while True:
        stmt = select(model.id).where(_due(model)).order_by(model.next_attempt_at, model.id)
        if skip:
            stmt = stmt.where(model.id.not_in(skip))
        row_id = db.session.scalar(stmt.limit(1), params)
        if row_id is None:
            return None
        claimed = db.session.execute(
            update(model).where(model.id == row_id, _due(model))
            .values(status=SENDING, last_attempt_at=utcnow(), attempts=model.attempts + 1)
            .execution_options(synchronize_session=False), params).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(model, row_id)
        skip.add(row_id)  # another worker was faster
