"""Template filters for activity (timelines, the audit log): times in the organization's time zone and
members by name.

``{{ e.created_at|local_time }}`` (``"date"``/``"time"`` for one part), ``{{ e|event_text }}`` and
``{{ e|event_actor }}``. The organization is the current one; outside a request (e-mails, PDFs) times read UTC.

What is composed here is in the reader's language ("customer", "system", "a former member"); an event's
summary is written once, in English, when the event is recorded (``AuditEvent.summary``), and is shown as it
was recorded (with members' names for their addresses): a stored text is never translated afterwards.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask, g, has_request_context
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from webapp.domain.timezones import UTC
from webapp.i18n import format_moment, member_locale
from webapp.models import AuditEvent
from webapp.queries.activity import ACTOR_WORDS, MemberNames, member_names
from webapp.tenancy import load_current_membership


def _current_org():
    if not has_request_context() or not current_user.is_authenticated:
        return None
    membership = load_current_membership()
    return membership.organization if membership else None


def _names() -> MemberNames:
    """The current organization's member names, read once per request."""
    if "member_names" not in g:
        org = _current_org()
        g.member_names = member_names(org.id) if org is not None else MemberNames()
    return g.member_names


def local_time(value: datetime | None, part: str = "datetime") -> str:
    org = _current_org()
    return format_moment(value, org.time_zone if org else UTC, member_locale(), part)


def local_time_tag(value: datetime | None, part: str = "datetime") -> Markup:
    """``<time datetime="(UTC, ISO 8601)">(in the organization's zone)</time>``"""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{0}">{1}</time>').format(value.isoformat(), local_time(value, part))


def event_text(event: AuditEvent) -> str:
    return _names().text(event)


def event_actor(event: AuditEvent) -> str:
    who = _names().actor(event)
    if who in ACTOR_WORDS and (event.actor_id is None or event.actor is None):
        return gettext(who)
    return who


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_time_tag, "local_time_tag")
    app.add_template_filter(event_text, "event_text")
    app.add_template_filter(event_actor, "event_actor")
