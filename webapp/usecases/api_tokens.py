"""API tokens: an owner makes one (name, the role it acts with, an optional expiry) and revokes it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from webapp.domain.errors import ActionError
from webapp.domain.roles import ROLES
from webapp.models import ApiToken
from webapp.services import api_tokens
from webapp.usecases import Actor, load, usecase


@dataclass(frozen=True)
class TokenInput:
    name: str
    role: str
    expires_on: date | None = None  # the last day it works (in UTC); None: until revoked


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # shown once


@usecase
def create_token(actor: Actor, data: TokenInput, today: date | None = None) -> NewToken:
    actor.require("manage_api")
    name = data.name.strip()
    if not name:
        raise ActionError("name_required", "Name the token, e.g. after the program that uses it.", "name")
    if len(name) > 100:
        raise ActionError("name_too_long", "At most {count} characters.", "name", count=100)
    if data.role not in ROLES:
        raise ActionError("invalid_role", "Choose one of the roles.", "role")
    expires_at = None
    if data.expires_on is not None:
        if data.expires_on <= (today or date.today()):
            raise ActionError("expiry_in_past", "Choose a day after today.", "expires_on")
        expires_at = datetime.combine(data.expires_on, time.max, tzinfo=timezone.utc)
    row, token = api_tokens.create(actor.org, actor.user, name, data.role, expires_at)
    return NewToken(row, token)


@usecase
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    actor.require("manage_api")
    row = load(actor, ApiToken, token_id, "token")
    api_tokens.revoke(actor.org, actor.user, row)
    return row
