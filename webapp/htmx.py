"""htmx helpers: one place decides between a full page and a partial."""
from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial_request() -> bool:
    """A partial answers only plain htmx requests, never boosted or history-restore ones."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(_page_template: str, _partial_template: str | None = None, status: int = 200, **context) -> Response:
    """Render the partial for htmx requests and the full page (which includes it) otherwise."""
    template = _partial_template if _partial_template and is_partial_request() else _page_template
    return make_response(render_template(template, **context), status)


def redirect_to(url: str) -> Response:
    """Redirect after a POST: ``HX-Redirect`` on a 200 for htmx, a 303 otherwise."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def add_vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
