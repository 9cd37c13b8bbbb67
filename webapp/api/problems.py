"""RFC 9457 problem details: every error the API answers, in one shape.

``{"type", "title", "status", "detail", "code", "errors": [{"code", "detail", "pointer" | "parameter"}]}`` as
``application/problem+json``. ``code`` is the use case's stable code (``document_not_draft``, ``amount_zero``
...) or the API's own (``unauthenticated``, ``invalid_json`` ...); ``pointer`` is a JSON pointer into the request
body (``/items/2/quantity``), ``parameter`` a query parameter. ``detail`` is in the language the request asks
for (``Accept-Language``), English by default.
"""
from __future__ import annotations

import json

from flask import Response
from flask_babel import gettext

from webapp.domain.errors import ActionError, InvalidInput

MEDIA_TYPE = "application/problem+json"

TITLES = {  # the HTTP status' meaning, as RFC 9457's title
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
    422: "Unprocessable Content", 428: "Precondition Required", 429: "Too Many Requests",
    500: "Internal Server Error",
}


class Problem(Exception):
    """An answer of the API's own (not a use case's): raised anywhere in an API request."""

    def __init__(self, status: int, code: str, detail: str, errors: list[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors or []
        self.headers = headers or {}


class InvalidRequest(Exception):
    """A request that failed its pydantic model (``location``: json or query)."""

    def __init__(self, error, location: str):
        super().__init__(str(error))
        self.error, self.location = error, location


def response(status: int, code: str, detail: str, errors: list[dict] | None = None,
             headers: dict | None = None) -> Response:
    body = {"type": f"urn:tallybook:problem:{code}", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    answer = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        answer.headers[name] = value
    return answer


def pointer(field: str | None, field_map: dict[str, str] | None = None) -> str | None:
    """The JSON pointer of a use case's field: its API name from ``field_map``, else the field itself
    (``items.2.quantity`` -> ``/items/2/quantity``)."""
    if not field:
        return None
    name = (field_map or {}).get(field, field)
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in name.split("."))


def from_action_error(error: ActionError, field_map: dict[str, str] | None = None) -> Response:
    errors = error.errors if isinstance(error, InvalidInput) else [error]
    details = []
    for each in errors:
        item = {"code": each.code, "detail": each.message}
        if each.field:
            item["pointer"] = pointer(each.field, field_map)
        details.append(item)
    detail = error.message
    if len(errors) > 1:
        detail = gettext("%(count)d inputs need a change; see errors.", count=len(errors))
    return response(error.status, error.code, detail, details)


def from_validation_error(error, location: str) -> Response:
    """A pydantic ValidationError of the request's ``location`` (json, query, headers) as a 422."""
    details = []
    for each in error.errors(include_url=False):
        loc = [str(part) for part in each.get("loc", ())]
        item = {"code": each.get("type", "invalid"), "detail": _validation_message(each)}
        if location == "json":
            item["pointer"] = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc)
        else:
            item["parameter"] = loc[0] if loc else ""
        details.append(item)
    detail = details[0]["detail"] if len(details) == 1 else gettext(
        "%(count)d inputs need a change; see errors.", count=len(details))
    return response(422, "invalid_input", detail, details)


def _validation_message(each: dict) -> str:
    """pydantic's message for one error (English: pydantic has no translations), prefixed with where."""
    loc = ".".join(str(part) for part in each.get("loc", ()))
    message = each.get("msg", "invalid")
    return f"{loc}: {message}" if loc else message
