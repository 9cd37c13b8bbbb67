"""Webhook endpoints (list, create, read, change, delete, a new secret) and their deliveries (list, send
again). Every call goes through ``usecases.webhooks``, the one Settings -> API uses; only an owner's token
(``manage_api``) may."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from flask import jsonify, request, url_for
from pydantic import Field
from spectree import Response as Answers

from webapp.api.base import actor, idempotent
from webapp.api.schemas import Flag, Id, Input, ListQuery, Output, Problem, text
from webapp.api.spec import bp, spec
from webapp.models import WebhookDelivery, WebhookEndpoint
from webapp.services.webhooks import EVENT_TYPES
from webapp.usecases import webhooks as usecase

TAGS = ["Webhooks"]
ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_422": Problem}
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class EndpointIn(Input):
    """A URL that receives the organization's events, signed with the endpoint's secret (Standard Webhooks)."""
    url: text(2000, "http(s) URL without user name or password; it must resolve to public addresses",
              examples=["https://shop.example.com/hooks/tallybook"])
    description: text(200, examples=["Web shop"]) = ""
    events: list[EventType] = Field(default_factory=list, max_length=len(EVENT_TYPES),
                                    description="The events it receives; empty: every event")
    enabled: Flag = True


class EndpointPatch(Input):
    """A change: only the fields given change."""
    url: text(2000) | None = None
    description: text(200) | None = None
    events: list[EventType] | None = Field(None, max_length=len(EVENT_TYPES))
    enabled: Flag | None = None


class EndpointOut(Output):
    id: Id
    object: str = Field(description="webhook_endpoint")
    url: str
    description: str
    events: list[str] = Field(description="Empty: every event")
    enabled: bool
    secret: str | None = Field(None, description="The signing secret (whsec_...): in the answer to the create and "
                                                 "to rotate-secret only")
    created_on: datetime


class EndpointList(Output):
    data: list[EndpointOut]
    has_more: bool


class DeliveryOut(Output):
    id: Id
    object: str = Field(description="webhook_delivery")
    endpoint_id: Id
    event_id: str = Field(description="The webhook-id header: the same on every attempt and when sent again")
    event_type: str
    status: Literal["queued", "sending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None = Field(None, description="While queued: the next try")
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_on: datetime
    resent_from_id: Id | None
    payload: dict[str, Any] = Field(description="The body sent: type, timestamp, data")


class DeliveryList(Output):
    data: list[DeliveryOut]
    has_more: bool


def endpoint_json(endpoint: WebhookEndpoint, with_secret: bool = False) -> dict:
    return {"id": str(endpoint.id), "object": "webhook_endpoint", "url": endpoint.url,
            "description": endpoint.description, "events": list(endpoint.events or []), "enabled": endpoint.enabled,
            "secret": endpoint.secret if with_secret else None, "created_on": endpoint.created_at.isoformat()}


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {"id": str(delivery.id), "object": "webhook_delivery", "endpoint_id": str(delivery.endpoint_id),
            "event_id": delivery.event_id, "event_type": delivery.event_type, "status": delivery.status,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.status == "queued" else None,
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "created_on": delivery.created_at.isoformat(),
            "resent_from_id": str(delivery.resent_from_id) if delivery.resent_from_id else None,
            "payload": json.loads(delivery.payload)}


def _answer(body: dict, status: int = 200):
    answer = jsonify(body)
    answer.status_code = status
    return answer


@bp.get("/webhook-endpoints")
@spec.validate(query=ListQuery, resp=Answers(HTTP_200=EndpointList, **ERRORS), tags=TAGS)
def list_webhook_endpoints():
    """List webhook endpoints

    Newest first. The secrets are not listed."""
    query: ListQuery = request.context.query
    rows = usecase.list_endpoints(actor(), query.limit + 1, int(query.starting_after or 0) or None)
    return {"data": [endpoint_json(e) for e in rows[:query.limit]], "has_more": len(rows) > query.limit}


@bp.post("/webhook-endpoints")
@idempotent
@spec.validate(json=EndpointIn, resp=Answers(HTTP_201=EndpointOut, **ERRORS), tags=TAGS)
def create_webhook_endpoint():
    """Create a webhook endpoint

    The answer holds the signing secret, shown this once (rotate-secret makes a new one). Events: invoice.created,
    invoice.finalized, invoice.sent, invoice.viewed, invoice.paid, invoice.cancelled, invoice.reactivated,
    payment.recorded, credit_note.finalized, quote.accepted, quote.declined, customer.created,
    customer.updated."""
    body: EndpointIn = request.context.json
    endpoint = usecase.create_endpoint(actor(), usecase.EndpointInput(
        url=body.url, description=body.description, events=list(body.events), enabled=body.enabled))
    answer = _answer(endpoint_json(endpoint, with_secret=True), 201)
    answer.headers["Location"] = url_for("api.get_webhook_endpoint", endpoint_id=endpoint.id)
    return answer


@bp.get("/webhook-endpoints/<int:endpoint_id>")
@spec.validate(resp=Answers(HTTP_200=EndpointOut, **ERRORS), tags=TAGS)
def get_webhook_endpoint(endpoint_id: int):
    """Get a webhook endpoint"""
    return _answer(endpoint_json(usecase.load_endpoint(actor(), endpoint_id)))


@bp.patch("/webhook-endpoints/<int:endpoint_id>")
@spec.validate(json=EndpointPatch, resp=Answers(HTTP_200=EndpointOut, **ERRORS), tags=TAGS)
def update_webhook_endpoint(endpoint_id: int):
    """Change a webhook endpoint

    Only the fields given change; `enabled: false` stops new deliveries (queued ones fail)."""
    body: EndpointPatch = request.context.json
    given = body.model_fields_set
    endpoint = usecase.update_endpoint(actor(), endpoint_id, usecase.EndpointInput(
        url=body.url if "url" in given else None,
        description=body.description if "description" in given else None,
        events=list(body.events) if "events" in given and body.events is not None else None,
        enabled=body.enabled if "enabled" in given else None))
    return _answer(endpoint_json(endpoint))


@bp.delete("/webhook-endpoints/<int:endpoint_id>")
@spec.validate(resp=Answers(HTTP_204=None, **ERRORS), tags=TAGS)
def delete_webhook_endpoint(endpoint_id: int):
    """Delete a webhook endpoint

    With its deliveries and their log."""
    usecase.delete_endpoint(actor(), endpoint_id)
    return "", 204


@bp.post("/webhook-endpoints/<int:endpoint_id>/rotate-secret")
@idempotent
@spec.validate(resp=Answers(HTTP_200=EndpointOut, **ERRORS), tags=TAGS)
def rotate_webhook_secret(endpoint_id: int):
    """Make a new signing secret

    The answer holds it, shown this once; deliveries from now on are signed with it."""
    return _answer(endpoint_json(usecase.rotate_secret(actor(), endpoint_id), with_secret=True))


@bp.get("/webhook-endpoints/<int:endpoint_id>/deliveries")
@spec.validate(query=ListQuery, resp=Answers(HTTP_200=DeliveryList, **ERRORS), tags=TAGS)
def list_webhook_deliveries(endpoint_id: int):
    """List an endpoint's deliveries

    Newest first: the event, its status, attempts, the last answer's status code or error."""
    query: ListQuery = request.context.query
    rows = usecase.deliveries_of(actor(), endpoint_id, query.limit + 1, int(query.starting_after or 0) or None)
    return {"data": [delivery_json(d) for d in rows[:query.limit]], "has_more": len(rows) > query.limit}


@bp.post("/webhook-deliveries/<int:delivery_id>/resend")
@idempotent
@spec.validate(resp=Answers(HTTP_201=DeliveryOut, **ERRORS), tags=TAGS)
def resend_webhook_delivery(delivery_id: int):
    """Send a delivery again

    A new delivery of the same event (same webhook-id and body) to the same endpoint, due now."""
    return _answer(delivery_json(usecase.resend_delivery(actor(), delivery_id)), 201)
