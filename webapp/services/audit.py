"""Recording audit events: the one helper every feature calls."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import AuditEvent, Organization, User
from webapp.services import webhooks


def record(org: Organization, actor: User | None, action: str, obj=None, summary: str = "", **data) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` in ``org``; flushed with the caller's change."""
    token_id = getattr(actor, "token_id", None)
    if token_id is not None:  # an API token acted (its maker is the actor): which one
        data = {**data, "api_token_id": token_id}
    event = AuditEvent(
        org_id=org.id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "organization",
        object_id=getattr(obj, "id", None) if obj is not None else org.id,
        summary=summary[:500],
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    webhooks.on_audit(org, action, obj, data)  # the webhook events of this change, in its transaction
    return event
