"""Webhook endpoints: an owner adds one (URL, description, the events it wants), changes, disables, deletes it,
rotates its secret, and sends a delivery again. The web (Settings -> API) and the API call these."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import WebhookDelivery, WebhookEndpoint
from webapp.services import audit, webhooks
from webapp.usecases import Actor, load, usecase

MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class EndpointInput:
    """``None``: unchanged (on a change); on create, ``url`` is needed and the rest defaults."""
    url: str | None = None
    description: str | None = None
    events: list[str] | None = None  # empty: every event
    enabled: bool | None = None


def _apply(endpoint: WebhookEndpoint, data: EndpointInput) -> None:
    errors = []
    if data.url is not None:
        try:
            endpoint.url = webhooks.check_url(data.url)
        except ActionError as exc:
            errors.append(exc)
    if data.description is not None:
        description = data.description.strip()
        if len(description) > MAX_DESCRIPTION:
            errors.append(ActionError("description_too_long", "At most {count} characters.", "description",
                                      count=MAX_DESCRIPTION))
        endpoint.description = description[:MAX_DESCRIPTION]
    if data.events is not None:
        try:
            endpoint.events = webhooks.check_events(list(data.events))
        except ActionError as exc:
            errors.append(exc)
    if data.enabled is not None:
        endpoint.enabled = bool(data.enabled)
    if errors:
        raise errors[0]


@usecase
def create_endpoint(actor: Actor, data: EndpointInput) -> WebhookEndpoint:
    actor.require("manage_api")
    endpoint = WebhookEndpoint(org_id=actor.org.id, url="", description="", events=[], enabled=True,
                               secret=webhooks.new_secret(), created_by_id=getattr(actor.user, "id", None))
    _apply(endpoint, EndpointInput(url=data.url or "", description=data.description or "", events=data.events or [],
                                   enabled=True if data.enabled is None else data.enabled))
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor.org, actor.user, "webhook_endpoint.created", endpoint,
                 summary=f"{actor.email} added the webhook endpoint {endpoint.url}"[:500])
    return endpoint


@usecase
def update_endpoint(actor: Actor, endpoint_id: int, data: EndpointInput) -> WebhookEndpoint:
    actor.require("manage_api")
    endpoint = load(actor, WebhookEndpoint, endpoint_id, "webhook endpoint")
    _apply(endpoint, data)
    audit.record(actor.org, actor.user, "webhook_endpoint.updated", endpoint,
                 summary=f"{actor.email} changed the webhook endpoint {endpoint.url}"[:500])
    return endpoint


@usecase
def rotate_secret(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """A new secret: deliveries from now on are signed with it (the old one stops working at once)."""
    actor.require("manage_api")
    endpoint = load(actor, WebhookEndpoint, endpoint_id, "webhook endpoint")
    endpoint.secret = webhooks.new_secret()
    audit.record(actor.org, actor.user, "webhook_endpoint.secret_rotated", endpoint,
                 summary=f"{actor.email} made a new secret for the webhook endpoint {endpoint.url}"[:500])
    return endpoint


@usecase
def delete_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """Delete the endpoint with its deliveries and their log."""
    actor.require("manage_api")
    endpoint = load(actor, WebhookEndpoint, endpoint_id, "webhook endpoint")
    url = endpoint.url
    db.session.delete(endpoint)
    db.session.flush()
    audit.record(actor.org, actor.user, "webhook_endpoint.deleted", None,
                 summary=f"{actor.email} deleted the webhook endpoint {url}"[:500], endpoint_id=endpoint_id)
    return endpoint


@usecase
def resend_delivery(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send the delivery's event to its endpoint again: a new delivery, due now."""
    actor.require("manage_api")
    delivery = load(actor, WebhookDelivery, delivery_id, "webhook delivery")
    return webhooks.resend(delivery)


def load_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    actor.require("manage_api")
    return load(actor, WebhookEndpoint, endpoint_id, "webhook endpoint")


def deliveries_of(actor: Actor, endpoint_id: int, limit: int = 50, before: int | None = None) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first (``before``: ids below it, the next page)."""
    endpoint = load_endpoint(actor, endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.org_id == actor.org.id,
                                         WebhookDelivery.endpoint_id == endpoint.id)
    if before:
        stmt = stmt.where(WebhookDelivery.id < before)
    return db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)).all()


def list_endpoints(actor: Actor, limit: int = 100, starting_after: int | None = None) -> list[WebhookEndpoint]:
    """The organization's endpoints, newest first."""
    actor.require("manage_api")
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.org_id == actor.org.id)
    if starting_after:
        stmt = stmt.where(WebhookEndpoint.id < starting_after)
    return db.session.scalars(stmt.order_by(WebhookEndpoint.id.desc()).limit(limit)).all()
