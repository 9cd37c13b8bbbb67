"""Settings from the environment.

``APP_ENV`` selects the mode: ``production`` (the default, so a server started
without configuration is safe), ``development`` (what ``make run`` uses) or
``testing``. Production refuses to start without a real ``SECRET_KEY`` or without ``BASE_URL``.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRET_KEYS = {"", "dev", "secret", "change-me", "changeme", "development", "please-change-me"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


PANGO_HELP = (
    "WeasyPrint, which makes the PDFs, cannot load the system library Pango ({reason}). Install it, then start "
    "again: on Debian/Ubuntu `sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0`, "
    "on macOS `brew install pango`."
)


def check_system_libraries() -> None:
    """Refuse to start, saying what to install, when WeasyPrint's system libraries (Pango) are missing.

    WeasyPrint loads them when it is imported (an ``OSError`` deep in an import chain otherwise); its own
    notice printed on the way is swallowed: this message says what to do."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module("weasyprint")
    except OSError as exc:
        raise ConfigError(PANGO_HELP.format(reason=str(exc).strip() or type(exc).__name__)) from exc


def _base_url(production: bool) -> str:
    """The public address every absolute link (e-mails, the customer's link) is built from.

    Production refuses to start without it. Elsewhere it defaults to the port the app is served on
    (``PORT``, as ``make run`` passes it, or ``FLASK_RUN_PORT``), not to a fixed :5000."""
    raw = os.environ.get("BASE_URL", "").strip()
    if not raw:
        if production:
            raise ConfigError(
                "BASE_URL is not set: set it to the public address of the app, e.g. "
                "BASE_URL=https://invoices.example.com. Every link in an e-mail (the customer's link, "
                "invitations, password resets) is built from it, never from the request's Host header."
            )
        port = str(_int("PORT", 0) or _int("FLASK_RUN_PORT", 0) or 5000)
        raw = f"http://127.0.0.1:{port}"
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"BASE_URL must be an http(s) address such as https://invoices.example.com, got {raw!r}")
    return raw.rstrip("/")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in instance/ so development sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict:
    env = os.environ.get("APP_ENV", "production").strip().lower()
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"APP_ENV must be production, development or testing, got {env!r}")
    production = env == "production"

    secret_key = os.environ.get("SECRET_KEY", "")
    if production:
        if secret_key.strip().lower() in WEAK_SECRET_KEYS or len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                "SECRET_KEY is missing or too weak: set it to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    elif not secret_key:
        secret_key = _dev_secret_key(instance_path)

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'tallybook.sqlite'}"
    if database_url.startswith("postgres://"):  # the form some hosts hand out
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    mail_server = os.environ.get("MAIL_SERVER", "").strip()
    vies_timeout = _int("VIES_TIMEOUT", 5)
    if vies_timeout < 1:
        raise ConfigError(f"VIES_TIMEOUT must be at least 1 (seconds), got {vies_timeout}")
    return {
        "APP_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": _base_url(production),
        # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0 = none).
        "PROXY_FIX_X_FOR": _int("PROXY_FIX_X_FOR", 0),
        "TRUSTED_HOSTS": [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None,
        # Mail: with no MAIL_SERVER, messages are delivered into files under instance/mail/.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int("MAIL_PORT", 587 if mail_server else 25),
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS"), default=bool(mail_server)),
        "MAIL_USE_SSL": _bool(os.environ.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Tallybook <no-reply@localhost>"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 20),
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR", str(instance_path / "mail")),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 10),
        # Files attached to document notes; never under static/, served only to members of the organization.
        "ATTACHMENT_DIR": os.environ.get("ATTACHMENT_DIR", str(instance_path / "attachments")),
        # Rate limits (Flask-Limiter); use redis://... in production with several workers.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # requests per API token (and per client address without one); Flask-Limiter's notation
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "600 per minute"),
        # Webhooks go to public addresses only; true lets loopback and private addresses through (tests, development)
        "WEBHOOKS_ALLOW_PRIVATE": _bool(os.environ.get("WEBHOOKS_ALLOW_PRIVATE")),
        # Cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # a serving process (gunicorn worker, flask run) compiles the official e-invoice rules in a background
        # thread from its first request on (seconds, once per process), so issuing does not wait; off in tests
        "EINVOICE_WARM_UP": _bool(os.environ.get("EINVOICE_WARM_UP"), default=env != "testing"),
        # the online check of EU VAT IDs with the European Commission's VIES (services/vies.py); off: nothing calls
        # out, the offline check (python-stdnum) alone decides. An empty VIES_URL is the Commission's (vies.DEFAULT_URL)
        "VIES_CHECK": _bool(os.environ.get("VIES_CHECK")),
        "VIES_URL": os.environ.get("VIES_URL", "").strip(),
        "VIES_TIMEOUT": vies_timeout,
    }
