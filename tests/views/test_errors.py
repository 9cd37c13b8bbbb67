"""Error pages: full pages, and htmx partials retargeted to the message area."""
import pytest
from flask import abort

from tests.conftest import CSRFClient, app_config
from webapp import create_app


@pytest.fixture(scope="module")
def error_app():
    app = create_app(app_config(PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = CSRFClient

    @app.get("/boom/<int:code>")
    def boom(code):
        if code == 500:
            raise RuntimeError("kaput")
        abort(code)

    return app


@pytest.mark.parametrize("code,title", [(400, "Bad request"), (403, "Not allowed"), (404, "Not found"),
                                        (422, "Could not process this"), (429, "Too many attempts"),
                                        (500, "Something went wrong")])
def test_error_pages_full_and_partial(error_app, code, title):
    client = error_app.test_client()
    full = client.get(f"/boom/{code}")
    assert full.status_code == code
    html = full.data.decode()
    assert html.startswith("<!doctype html>") and f"<h2>{title}</h2>" in html and "Back to the dashboard" in html
    partial = client.get(f"/boom/{code}", headers={"HX-Request": "true"})
    assert partial.status_code == code
    body = partial.data.decode().strip()
    assert body.startswith(f'<article id="error-{code}"') and "<html" not in body
    assert partial.headers["HX-Retarget"] == "#messages"
    boosted = client.get(f"/boom/{code}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.data.decode().startswith("<!doctype html>")


def test_500_says_nothing_was_saved(error_app):
    r = error_app.test_client().get("/boom/500")
    assert b"nothing was saved" in r.data and b"kaput" not in r.data


def test_expired_session_on_htmx_request_is_401_with_hx_redirect(client):
    r = client.get("/settings/members", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/auth/login")
    r = client.get("/settings/members")
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next=")
