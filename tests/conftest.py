"""Fixtures: app, db, client (sends the CSRF token like a browser), login_as(role), factories.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn a missing database or browser into failures.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from dataclasses import dataclass

import pytest

os.environ["APP_ENV"] = "testing"
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from itsdangerous import URLSafeTimedSerializer  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests import factories  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db as _db  # noqa: E402
from webapp.extensions import limiter  # noqa: E402

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
TMP = tempfile.mkdtemp(prefix="tallybook-tests-")


def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{TMP}/test.sqlite"


def app_config(**overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "BASE_URL": "https://tallybook.test",
        "MAIL_SERVER": "",
        "MAIL_FILE_DIR": f"{TMP}/mail",
        "ATTACHMENT_DIR": f"{TMP}/attachments",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF token on unsafe requests, as the base layout does via hx-headers.

    Pass ``csrf=False`` to send a request without it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a browser always says which languages its user reads; the suite reads English unless a test says otherwise
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in UNSAFE:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # Each request gets its own app context (fresh g, its own database session), as in production,
        # instead of reusing the context the test itself runs in.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            _db.session.commit()  # end the test's own transaction: it sees what the request wrote
        return response

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@functools.cache
def the_app():
    """The suite's one app (the ``app`` fixture; schemathesis needs it when it collects its tests)."""
    app = create_app(app_config())
    app.test_client_class = CSRFClient
    return app


@pytest.fixture(scope="session")
def app():
    app = the_app()
    with app.app_context():
        if os.environ.get("REQUIRE_POSTGRES") == "1" and os.environ.get("TEST_DATABASE_URL"):
            assert _db.engine.dialect.name == "postgresql", "TEST_DATABASE_URL must point at PostgreSQL"
        _db.drop_all()
        _db.create_all()
    yield app


def truncate_all() -> None:
    tables = _db.metadata.sorted_tables
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            _db.session.execute(table.delete())
        # deleting documents and payments made their triggers write into the running totals: empty those last
        _db.session.execute(_db.metadata.tables["document_totals"].delete())
        _db.session.execute(_db.metadata.tables["payment_totals"].delete())
    _db.session.commit()


@pytest.fixture(autouse=True)
def db(app):
    """An app context with empty tables; everything written is wiped afterwards."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield _db
    _db.session.remove()
    truncate_all()
    _db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@dataclass
class Actor:
    client: CSRFClient
    user: object
    org: object
    role: str


def log_in(client: CSRFClient, user, org=None) -> None:
    """Log ``client`` in as ``user`` (as Flask-Login would after a successful log-in)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        if org is not None:
            sess["org_id"] = org.id


@pytest.fixture
def login_as(app):
    """login_as("staff") -> Actor with a logged-in client in a fresh organization (org= to join one)."""

    def _login(role: str = "owner", org=None) -> Actor:
        if org is None:
            org = factories.organization()
        if role == "owner" and org.memberships:
            owner = next((m.user for m in org.memberships if m.role == "owner"), None)
            user = owner or factories.member(org, "owner").user
        else:
            user = factories.member(org, role).user
        client = app.test_client()
        log_in(client, user, org)
        return Actor(client=client, user=user, org=org, role=role)

    return _login


@pytest.fixture
def owner(login_as, f) -> Actor:
    """The owner of an organization whose company details are complete (it can issue documents)."""
    owner = login_as("owner")
    f.complete_org(owner.org)
    return owner


@pytest.fixture
def f():
    return factories

from tests.apiclient import api, api_as  # noqa: E402,F401 - fixtures: a program with an API token
