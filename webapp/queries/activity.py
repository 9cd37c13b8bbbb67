"""Activity as members read it: who did it by name, not by e-mail address.

Audit summaries are frozen when they are written and name people by their e-mail address (stable, unlike a
name). Screens show the members' names instead; an address that belongs to no member (a customer, an
invitee without an account yet) stays as it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, User

# who did it when it was no member of today (translated where shown: webapp.web.activity.event_actor)
CUSTOMER, SYSTEM, FORMER_MEMBER = _n("customer"), _n("system"), _n("a former member")
ACTOR_WORDS = (CUSTOMER, SYSTEM, FORMER_MEMBER)
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass
class MemberNames:
    """How to call the organization's members: by user id (the name, else the address) and, for those with a
    name, by e-mail (lower-case)."""

    by_id: dict[int, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)

    def actor(self, event: AuditEvent) -> str:
        """Who did it: the member's name (else address), "customer" for the customer's visits, else "system"."""
        if event.actor_id is None:
            return CUSTOMER if event.action == "document.viewed" else SYSTEM
        if event.actor_id not in self.by_id:  # a former member: one row, once per person (identity map)
            actor = event.actor
            if actor is None:
                return FORMER_MEMBER
            self.by_id[actor.id] = actor.name or actor.email
            if actor.name:
                self.by_email[actor.email.lower()] = actor.name
        return self.by_id[event.actor_id]

    def text(self, event: AuditEvent) -> str:
        """The event's summary with every member's address replaced by the member's name."""
        self.actor(event)  # knows a former member's name too
        summary = event.summary or event.action
        if not self.by_email:
            return summary
        return EMAIL_RE.sub(lambda m: self.by_email.get(m.group(0).lower(), m.group(0)), summary)


def member_names(org_id: int) -> MemberNames:
    """One query: the organization's members."""
    rows = db.session.execute(
        select(User.id, User.email, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
    ).all()
    return MemberNames(by_id={r.id: r.name or r.email for r in rows},
                       by_email={r.email.lower(): r.name for r in rows if r.name})
