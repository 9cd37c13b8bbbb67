"""Requests that happen once: the first answer to an ``Idempotency-Key`` is kept and replayed.

The same key with the same request replays the first answer (status, body, Location/ETag) for 24 hours; with
another request it is refused (``idempotency_key_reused``, 422). The key's row is written at the end of the
request's own transaction, after the use case (which may start its write transaction afresh,
``locks.begin_write``): when two requests with one key run at once, the second one's row collides with the
first's on the unique index (PostgreSQL makes it wait for the first to commit), so the second's transaction is
rolled back, its effects with it, and it answers with the first one's answer. A request that fails leaves no
row: the key may be used again.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Callable

from flask import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.domain.errors import ActionError, Text
from webapp.extensions import db
from webapp.models import IdempotentRequest
from webapp.models.types import utcnow
from webapp.web import uow

TTL = timedelta(hours=24)
KEPT_HEADERS = ("Location", "ETag")


class KeyReused(ActionError):
    """The key came with another request than its first: the caller's mistake (422), not a conflict."""

    def __init__(self):
        super().__init__("idempotency_key_reused", Text("This Idempotency-Key was used for another request."))

    @property
    def status(self) -> int:
        return 422


def once(org_id: int, key: str, fingerprint: str, run: Callable[[], Response]) -> Response:
    """``run()``'s answer, or the first answer given to ``key`` in the organization."""
    key = key.strip()
    if not key or len(key) > 255:
        raise ActionError("invalid_idempotency_key", "An Idempotency-Key has 1 to 255 characters.")
    first = _first(org_id, key)
    if first is not None:
        return _replay(first, fingerprint)
    response = run()
    if response.status_code >= 400:
        return response
    headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
    db.session.add(IdempotentRequest(org_id=org_id, key=key, fingerprint=fingerprint, status=response.status_code,
                                     body=response.get_data(), headers=json.dumps(headers)))
    try:
        db.session.flush()
    except IntegrityError:
        uow.discard()  # another request with this key was first: this one's effects go
        first = _first(org_id, key)
        if first is None:
            raise
        return _replay(first, fingerprint)
    return response


def _first(org_id: int, key: str) -> IdempotentRequest | None:
    row = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.org_id == org_id,
                                                            IdempotentRequest.key == key))
    if row is not None and row.created_at < utcnow() - TTL:
        db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == row.id))
        return None
    return row


def _replay(first: IdempotentRequest, fingerprint: str) -> Response:
    if first.fingerprint != fingerprint:
        raise KeyReused()
    answer = Response(first.body, status=first.status, mimetype="application/json")
    for name, value in json.loads(first.headers or "{}").items():
        answer.headers[name] = value
    answer.headers["Idempotent-Replayed"] = "true"
    return answer
