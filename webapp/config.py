"""Settings from the environment.

``APP_ENV`` selects the mode: ``production`` (the default, so a server started
without configuration is safe), ``development`` (what ``make run`` uses) or
``testing``. Production refuses to start without a real ``SECRET_KEY``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRET_KEYS = {"", "dev", "secret", "change-me", "changeme", "development", "please-change-me"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


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
    return {
        "APP_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
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
    }
