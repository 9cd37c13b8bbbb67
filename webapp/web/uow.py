"""The unit of work: one commit per request, in one place.

Every request runs in one database transaction. When the view answers with a status below 400, the
transaction is committed here; an answer of 400 or more, or any exception, rolls it back. The hooks of
``webapp.services.transaction`` then run (after commit: wake the outbox deliverer, remove files of deleted
rows; after rollback: remove files written for rows that never made it). Use cases and services flush, never
commit or roll back; workers (the mail deliverer, CLI commands) are not requests and keep their own
transactions.
"""
from __future__ import annotations

from flask import Flask, Response

from webapp.extensions import db


def discard() -> None:
    """Roll the request's transaction back (a refused action). The request goes on in a fresh transaction,
    e.g. to render the form again with what is stored."""
    db.session.rollback()


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _failed(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
