import pytest
from sqlalchemy import select

from tests.conftest import app_config
from webapp import create_app
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.services import accounts


def assert_security_headers(r, where=None) -> None:
    """The headers every response carries (tests/security/test_role_matrix.py checks them on every route)."""
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp, (where, csp)
    sandboxed = "sandbox" in csp and "default-src 'none'" in csp  # files from users: nothing runs, nothing loads
    assert "script-src 'self'" in csp or sandboxed, (where, csp)
    assert r.headers.get("X-Content-Type-Options") == "nosniff", where
    assert r.headers.get("Referrer-Policy") == "same-origin", where
    assert r.headers.get("X-Frame-Options") == "DENY", where
    assert "HX-Request" in r.headers.get("Vary", ""), where


def test_security_headers_on_every_kind_of_response(client, login_as):
    owner = login_as("owner")
    responses = [client.get("/auth/login"), client.get("/nope"), owner.client.get("/"),
                 owner.client.get("/settings/numbering/preview/invoice", headers={"HX-Request": "true"}),
                 client.get("/static/css/app.css"), client.post("/auth/login", data={}, csrf=False)]
    for r in responses:
        assert_security_headers(r)


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    for bad in ("", "dev", "change-me", "short-key"):
        monkeypatch.setenv("SECRET_KEY", bad)
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            create_app()
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigError):
        create_app()


def test_production_cookies_are_secure_httponly_lax(monkeypatch, f):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("BASE_URL", "https://localhost")
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_config()["SQLALCHEMY_DATABASE_URI"],
                      "RATELIMIT_STORAGE_URI": "memory://"})
    user = f.user("prod@example.com")
    f.organization(owner=user)
    client = app.test_client()
    page = client.get("/auth/login")
    import re
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.data.decode()).group(1)
    r = client.post("/auth/login", data={"email": "prod@example.com", "password": "correct-horse-battery",
                                         "remember": "y", "csrf_token": token},
                    base_url="https://localhost", headers={"Referer": "https://localhost/auth/login"})
    assert r.status_code == 303
    cookies = r.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]


def test_a_poisoned_host_header_does_not_change_links_in_mail(app, f):
    f.user("host@example.com")
    with app.test_request_context("/auth/reset", method="POST", base_url="http://evil.example",
                                  headers={"X-Forwarded-Host": "evil.example"}):
        accounts.request_password_reset("host@example.com")
        db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert "evil.example" not in message.body_text + message.body_html
    assert "https://tallybook.test/auth/reset/" in message.body_text
