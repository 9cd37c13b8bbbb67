"""What every API request goes through: the token, the organization, the JSON body, errors as problem
details, idempotency keys, versions (ETag / If-Match) and cursor pagination."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import wraps

from flask import Response, g, make_response, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from webapp.api import problems
from webapp.api.spec import bp
from webapp.domain.errors import ActionError
from webapp.extensions import csrf, db, limiter
from webapp.models import Organization
from webapp.services import api_tokens
from webapp.services.tokens import hash_token
from webapp.usecases import Actor
from webapp.web import idempotency, uow

PUBLIC_ENDPOINTS = {"api.openapi_document"}  # no token needed
MAX_JSON_BYTES = 1024 * 1024  # a JSON body above this is a 413 (files go as multipart, with their own limit)
MAX_JSON_DEPTH = 20
IDEMPOTENCY_TTL = timedelta(hours=24)

csrf.exempt(bp)  # no cookies authenticate the API, so there is nothing to forge


@dataclass(frozen=True)
class TokenUser:
    """Who acts for an API token, as the use cases and services see a member: the id of the owner who made
    it (documents' "created by", the audit log's actor) and, where a summary names the actor, the token."""

    id: int | None
    email: str
    language: str = ""
    token_id: int | None = None

    @property
    def name(self) -> str:
        return self.email


def presented_token() -> str:
    """The token of ``Authorization: Bearer <token>`` or HTTP Basic with the token as the password."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic" and request.authorization is not None:
        return (request.authorization.password or request.authorization.username or "").strip()
    return ""


def rate_limit_key() -> str:
    """The limit counts per token presented (hashed: the key never holds it), else per client address."""
    token = presented_token()
    return "api:" + hash_token(token)[:24] if token else "api-ip:" + (request.remote_addr or "")


def actor() -> Actor:
    return g.api_actor


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = presented_token()
    if not token:
        raise problems.Problem(401, "unauthenticated", gettext(
            "Send an API token: Authorization: Bearer <token> (Settings -> API)."),
            headers={"WWW-Authenticate": 'Bearer realm="Tallybook API"'})
    row = api_tokens.find(token)
    if row is None:
        raise problems.Problem(401, "invalid_token", gettext("This API token is unknown, revoked or expired."),
                               headers={"WWW-Authenticate": 'Bearer realm="Tallybook API", error="invalid_token"'})
    wanted = request.args.get("o")
    if wanted is not None and wanted != str(row.org_id):
        raise problems.Problem(404, "organization_mismatch", gettext(
            "This token works for organization %(id)s only: leave out o= or use that id.", id=row.org_id))
    org = db.session.get(Organization, row.org_id)
    creator = row.created_by_id
    g.api_token = row
    g.api_actor = Actor(org=org, user=TokenUser(id=creator, email=f"API token {row.name}", token_id=row.id),
                        role=row.role)
    g.api_touch = row.id if api_tokens.due_for_touch(row) else None
    _read_json()
    return None


@bp.teardown_request
def _record_last_use(exc):
    """The token's last use, written after the request's own transaction ended (on its own connection, so a
    use case that starts its write transaction afresh never loses or trips over it); once a minute at most."""
    token_id = g.pop("api_touch", None)
    if token_id is not None:
        try:
            api_tokens.touch(token_id)
        except Exception:  # noqa: BLE001 - a missed last-use time must not fail the answer already given
            import logging

            logging.getLogger(__name__).exception("could not record the last use of API token %s", token_id)


def _read_json() -> None:
    """Parse a JSON body strictly and once (Flask caches it for the views): numbers with a fraction become
    Decimals, never binary floats; NaN and Infinity, malformed or too deep JSON are refused."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.content_length and not request.data:
        return
    if request.mimetype != "application/json":
        if request.mimetype == "multipart/form-data" and request.endpoint in MULTIPART_ENDPOINTS:
            return
        if request.endpoint in RAW_BODY_ENDPOINTS:  # a file as the body (the purchases inbox)
            return
        raise problems.Problem(415, "unsupported_media_type", gettext("Send the body as application/json."))
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise problems.Problem(413, "body_too_large", gettext("The body is larger than %(size)s bytes.",
                                                               size=MAX_JSON_BYTES))
    try:
        value = json.loads(data, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise problems.Problem(400, "invalid_json", gettext("The body is not valid JSON: %(reason)s",
                                                             reason=str(exc)[:200])) from exc
    if _depth(value) > MAX_JSON_DEPTH:
        raise problems.Problem(422, "json_too_deep", gettext("The body nests deeper than %(depth)d levels.",
                                                              depth=MAX_JSON_DEPTH))
    request._cached_json = (value, value)  # what get_json() answers from now on (spectree reads it so)


MULTIPART_ENDPOINTS: set[str] = set()  # views that take files (notes with attachments)
RAW_BODY_ENDPOINTS: set[str] = set()  # views whose body is a file of any type (they read it themselves)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _depth(value, limit: int = MAX_JSON_DEPTH + 1) -> int:
    """How deep containers nest in ``value`` (iterative: a hostile body cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


# --- errors --------------------------------------------------------------------------------------

@bp.errorhandler(problems.Problem)
def _problem(exc: problems.Problem):
    uow.discard()
    if exc.__cause__ is not None and isinstance(exc.__cause__, problems.InvalidRequest):
        return problems.from_validation_error(exc.__cause__.error, exc.__cause__.location)
    return problems.response(exc.status, exc.code, exc.detail, exc.errors, exc.headers)


@bp.errorhandler(problems.InvalidRequest)
def _invalid_request(exc: problems.InvalidRequest):
    uow.discard()
    return problems.from_validation_error(exc.error, exc.location)


@bp.errorhandler(ActionError)
def _refused(exc: ActionError):
    uow.discard()
    return problems.from_action_error(exc, getattr(g, "api_field_map", None))


def http_problem(exc: HTTPException) -> Response:
    """A werkzeug HTTP error of an API request (an unknown route, a wrong method, a rate limit ...)."""
    status = exc.code or 500
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 429: "rate_limited",
             400: "bad_request"}
    messages = {
        404: gettext("There is no such resource, or it belongs to another organization."),
        405: gettext("This resource does not take this method."),
        413: gettext("The body is larger than the API accepts."),
        429: gettext("Too many requests with this token: wait and try again."),
        400: gettext("The request could not be understood."),
    }
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        headers["Retry-After"] = str(_retry_after())
    return problems.response(status, codes.get(status, "http_error"), messages.get(status, exc.description or ""),
                             headers=headers)


def _retry_after() -> int:
    import time

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()) + 1)


def server_problem() -> Response:
    return problems.response(500, "server_error", gettext(
        "We could not finish this request; nothing was saved. Please try again."))


# --- idempotency keys ------------------------------------------------------------------------------

def _body_fingerprint() -> bytes:
    """What the request says, not how it was framed: a multipart body is its fields and files (name, file name,
    SHA-256 of the bytes), so a retry with another boundary is the same request."""
    if request.mimetype != "multipart/form-data":
        return request.get_data(cache=True)
    parts = [f"f:{name}={value}" for name, value in sorted(request.form.items(multi=True))]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
        data = upload.stream.read()
        upload.stream.seek(0)
        parts.append(f"u:{name}={upload.filename}:{hashlib.sha256(data).hexdigest()}")
    return "\n".join(parts).encode()


def idempotent(view):
    """A POST with an ``Idempotency-Key`` header happens once (``web.idempotency``: replayed for the same
    request for 24 hours, refused for another)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        fingerprint = hashlib.sha256(b"\0".join([request.method.encode(), request.path.encode(),
                                                 request.query_string, _body_fingerprint()])).hexdigest()
        return idempotency.once(actor().org.id, key, fingerprint, lambda: make_response(view(*args, **kwargs)))

    return wrapped


# --- versions --------------------------------------------------------------------------------------

def etag(version: int) -> str:
    return f'"{version}"'


def wanted_version(body_version: int | None = None) -> int | None:
    """The version a change is made to: ``If-Match: "<version>"`` or the body's ``version``; None: any."""
    header = request.headers.get("If-Match")
    if header is not None:
        value = header.strip().removeprefix("W/").strip('"')
        if not value.isdigit():
            raise problems.Problem(422, "invalid_if_match", gettext(
                'If-Match takes the ETag of the resource, e.g. "3".'))
        return int(value)
    return body_version


