"""Tallybook: create_app() builds the Flask application."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from flask.json.provider import DefaultJSONProvider
from flask import Flask, g, has_app_context, has_request_context, jsonify, request
from flask_babel import get_locale, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp.config import PROJECT_ROOT, check_system_libraries, load_config
from webapp.extensions import babel, csrf, db, limiter, login_manager, migrate
from webapp.forms import MAX_ID
from webapp.domain.errors import use_translator
from webapp.htmx import add_vary, is_htmx, render
from webapp.i18n import is_api_request, translate_text, ui_language
from webapp.web import actions, activity, uow

class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: ids beyond a 32-bit key never reach the database (a 404, not a 500)."""

    def to_python(self, value: str) -> int:
        # not the converter's max=: Werkzeug then answers 405 for an id of another method's rule
        if len(value) > 10:
            return 0
        number = int(value)
        return number if number <= MAX_ID else 0  # no row has id 0: the loader answers 404


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
URL_RE = re.compile(r"(https?://[^\s<>\"']+)")
ERROR_TITLES = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Please log in"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Method not allowed"),
    409: lazy_gettext("Changed meanwhile"),
    413: lazy_gettext("Upload too large"),
    422: lazy_gettext("Could not process this"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
}
# what an error page says when the exception carries no message of the app's own (werkzeug's are English)
ERROR_MESSAGES = {
    400: lazy_gettext("The request could not be understood. Reload the page and try again."),
    401: lazy_gettext("Please log in to continue."),
    403: lazy_gettext("Your role in this organization does not allow this."),
    404: lazy_gettext("This page does not exist, or you have no access to it."),
    405: lazy_gettext("This address does not accept this kind of request."),
    413: lazy_gettext("The upload is larger than the app accepts."),
    422: lazy_gettext("The request could not be processed."),
    429: lazy_gettext("Too many attempts. Wait a minute and try again."),
}


class JSONProvider(DefaultJSONProvider):
    """JSON as the API writes it: dates and times in ISO 8601 (not HTTP dates), Decimals as exact strings."""

    @staticmethod
    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        return DefaultJSONProvider.default(value)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = DatabaseId
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    check_system_libraries()  # before the blueprints import WeasyPrint: say what to install, not a traceback
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    if app.config["PROXY_FIX_X_FOR"]:
        # Behind a reverse proxy: the client address (for rate limits) and scheme come from X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"],
                                x_proto=app.config["PROXY_FIX_X_FOR"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    # The app speaks the member's language (i18n.ui_language); customer-facing documents switch with
    # i18n.customer_language; the domain's messages are read through i18n.translate_text.
    babel.init_app(app, default_locale="en", default_translation_directories=str(PROJECT_ROOT / "translations"),
                   locale_selector=ui_language)
    use_translator(translate_text)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"

    _register_user_loader()
    _register_blueprints(app)
    _register_error_handlers(app)
    uow.init_app(app)
    _register_template_helpers(app)
    activity.init_app(app)
    _register_security_headers(app)
    if app.config["APP_ENV"] == "development":
        _warn_when_base_url_differs(app)
    if app.config.get("EINVOICE_WARM_UP") and not app.config.get("TESTING"):
        _warm_up_einvoice_rules(app)

    from webapp import cli

    cli.register(app)
    return app


def _warm_up_einvoice_rules(app: Flask) -> None:
    """A serving process (gunicorn worker, flask run) starts compiling the official e-invoice rules at its first
    request, in a background thread: issuing later finds them compiled. CLI commands never compile them."""
    from webapp.services import einvoice

    @app.before_request
    def warm_up_einvoice_rules():
        einvoice.warm_up_in_background()  # once per process; a no-op afterwards


def _warn_when_base_url_differs(app: Flask) -> None:
    """Development: say once per address when the app is opened at another address than ``BASE_URL``, which
    every e-mailed link uses (e.g. ``flask run --port 5055`` without ``PORT`` or ``BASE_URL``)."""
    base = urlsplit(app.config["BASE_URL"]).netloc
    warned: set[str] = set()

    @app.before_request
    def warn_base_url():
        host = request.host
        if host != base and host not in warned:
            warned.add(host)
            app.logger.warning("This request came to %s but BASE_URL is %s: links in e-mails point there. "
                               "Set BASE_URL=http://%s (make run sets it from PORT).", host,
                               app.config["BASE_URL"], host)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL and a busy timeout for SQLite; nothing for other databases."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Issuing holds the write lock while it renders the PDF (about 0.1 s): many at once queue up here.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _register_user_loader() -> None:
    from webapp.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        # The id carries the session version: a bumped version ends every older session.
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        from webapp.htmx import redirect_to

        if is_htmx():
            # After log-in, return to the page the user was on, not to the fragment htmx asked for.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            next_path = current.path + (f"?{current.query}" if current.query else "") if current.path else None
        else:
            next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        login_url = url_for("auth.login", next=next_path)
        if is_htmx():
            response = redirect_to(login_url)
            response.status_code = 401
            return response
        flash(login_manager.login_message, "info")
        return redirect(login_url)


def _register_blueprints(app: Flask) -> None:
    from webapp.auth.routes import bp as auth_bp
    from webapp.bank.routes import bp as bank_bp
    from webapp.catalog.routes import bp as catalog_bp
    from webapp.customers.routes import bp as customers_bp
    from webapp.invoices.routes import bp as invoices_bp
    from webapp.payments.routes import bp as payments_bp
    from webapp.purchases.routes import bp as purchases_bp
    from webapp.public.routes import bp as public_bp
    from webapp.dashboard.routes import bp as dashboard_bp
    from webapp.settings.routes import bp as settings_bp

    app.register_blueprint(dashboard_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(settings_bp, url_prefix="/settings")
    app.register_blueprint(customers_bp, url_prefix="/customers")
    app.register_blueprint(catalog_bp, url_prefix="/catalog")
    app.register_blueprint(invoices_bp, url_prefix="/invoices")
    app.register_blueprint(payments_bp, url_prefix="/payments")
    app.register_blueprint(purchases_bp, url_prefix="/purchases")
    app.register_blueprint(bank_bp, url_prefix="/bank")
    app.register_blueprint(public_bp, url_prefix="/p")
    _register_api(app)

    @app.get("/healthz")
    def healthz():
        db.session.execute(select(1))
        return jsonify(status="ok")


def _register_api(app: Flask) -> None:
    """/api/v1 (webapp/api): token auth, problem details, a rate limit per token (API_RATE_LIMIT)."""
    from webapp.api import base as api_base
    from webapp.api.routes import bp as api_bp

    limiter.limit(lambda: app.config["API_RATE_LIMIT"], key_func=api_base.rate_limit_key)(api_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from webapp.api.openapi import docs_bp

    app.register_blueprint(docs_bp)  # /api/docs, the interactive reference (public like the document)


def _register_error_handlers(app: Flask) -> None:
    def render_error(status: int, message: str):
        response = render(
            "errors/page.html", "errors/_error.html", status=status,
            code=status, title=ERROR_TITLES.get(status) or gettext("Error"), message=message,
        )
        if is_htmx():
            # Show the error in the message area instead of replacing the region that asked.
            response.headers["HX-Retarget"] = "#messages"
            response.headers["HX-Reswap"] = "innerHTML"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if is_api_request():
            from webapp.api.base import http_problem

            return http_problem(exc)
        # werkzeug's descriptions are English: the app's own message for the code, else the description (an
        # abort(code, "...") of the app's, English unless it was translated there)
        default = type(exc).description
        own = exc.description if exc.description and exc.description != default else None
        message = ERROR_MESSAGES.get(exc.code) if exc.code in (403, 404, 429) or not own else None
        response = render_error(exc.code, str(message or own or ""))
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, gettext("The form has expired or was sent from elsewhere. Reload the page and try "
                                         "again."))

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()  # before rendering the page: the failed transaction cannot be read from
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        if is_api_request():
            from webapp.api.base import server_problem

            return server_problem()
        return render_error(500, gettext("We could not finish this request; nothing was saved. Please try again."))

    _ = InternalServerError  # documented: 500 answers come from server_error above
    actions.init_app(app, render_error)


def _register_template_helpers(app: Flask) -> None:
    import pycountry
    from markupsafe import Markup, escape

    from webapp.domain.money import round_money, to_minor
    from webapp.i18n import format_day, format_money, format_number, format_price, member_locale, tax_rate_label
    from webapp.domain.units import UNITS
    from webapp.domain.identifiers import format_iban
    from sqlalchemy import func
    from sqlalchemy.orm import contains_eager

    from webapp.domain.roles import ROLE_LABELS, can
    from webapp.domain.status import KIND_LABELS, PAYMENT_LABELS
    from webapp.services.calculation import adjustment_figures
    from webapp.models import Membership, Organization
    from webapp.tenancy import load_current_membership

    @app.template_filter("country_name")
    def country_name(code: str) -> str:
        """The country's name in the current language (the customer's, inside customer_language)."""
        if not code:
            return ""
        if has_app_context():
            name = get_locale().territories.get(code.upper())
            if name:
                return name
        country = pycountry.countries.get(alpha_2=code)
        return country.name if country else code

    @app.template_filter("iban")
    def iban(value: str) -> str:
        return format_iban(value)

    @app.template_filter("money")
    def money(minor: int | None, currency: str, locale: str | None = None) -> str:
        """Minor units as a localized amount (``i18n.format_money``), by default in the member's locale."""
        return format_money(minor, currency, locale or member_locale())

    @app.template_filter("price")
    def price(value, currency: str, locale: str | None = None) -> str:
        """A unit price (an exact Decimal, none of its decimals dropped) as an amount: "1.299,00 €" (de_DE)."""
        return format_price(value, currency, locale or member_locale())

    @app.template_filter("day")
    def day(value: date | None, locale: str | None = None) -> str:
        """A date as the locale writes it (``i18n.format_day``), by default in the member's locale."""
        return format_day(value, locale or member_locale())

    @app.template_filter("money_amount")
    def money_amount(amount, currency: str, locale: str | None = None) -> str:
        """A Decimal amount in major units, rounded half-up to the currency, then formatted."""
        return money(to_minor(round_money(amount, currency), currency), currency, locale)

    @app.template_filter("number")
    def number(value, locale: str | None = None, min_places: int = 0) -> str:
        """An exact Decimal (a quantity, a rate) in the locale's digits (``i18n.format_number``), by default the
        member's: ``{{ g.rate|number }} %`` -> "5,5 %" (de_DE)."""
        return format_number(value, locale or member_locale(), min_places)

    @app.template_filter("tax_rate_label")
    def rate_label(rate) -> str:
        return tax_rate_label(rate, member_locale())

    @app.template_filter("linkify")
    def linkify(text: str) -> Markup:
        """Escape ``text`` and make its http(s) URLs clickable."""
        parts = []
        for i, piece in enumerate(URL_RE.split(text or "")):
            if i % 2:
                parts.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(piece))
            else:
                parts.append(escape(piece))
        return Markup("").join(parts)

    from webapp.forms import locale_name

    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["locale_name"] = locale_name  # de_AT -> "German (Austria)", in the reader's language
    app.jinja_env.globals["get_locale"] = get_locale  # <html lang>
    app.jinja_env.globals["today"] = date.today
    app.jinja_env.globals["payment_labels"] = PAYMENT_LABELS
    app.jinja_env.globals["kind_labels"] = KIND_LABELS
    app.jinja_env.globals["unit_label"] = lambda unit: gettext(UNITS[unit][0]) if unit in UNITS else unit
    from webapp.domain.reason_codes import reason_name  # an allowance's or charge's reason code, in words
    app.jinja_env.globals["reason_label"] = lambda kind, code: gettext(reason_name(kind, code)) if reason_name(
        kind, code) else code
    app.jinja_env.globals["adjustment_figures"] = adjustment_figures  # the totals' discount and charge rows

    @app.context_processor
    def inject():
        if not has_request_context():  # e-mails and PDFs rendered by services and commands
            return {"role_labels": ROLE_LABELS, "can": lambda permission: False}
        membership = load_current_membership() if current_user.is_authenticated else None

        def my_memberships() -> list:
            """The member's organizations (the switcher in the page's header): read once per request, and only
            when a template shows them (an htmx partial never does)."""
            if not current_user.is_authenticated:
                return []
            if "my_memberships" not in g:
                g.my_memberships = db.session.scalars(
                    select(Membership).join(Organization).options(contains_eager(Membership.organization))
                    .where(Membership.user_id == current_user.id).order_by(func.lower(Organization.name))
                ).all()
            return g.my_memberships

        memberships = LazyList(my_memberships)
        return {
            "current_membership": membership,
            "current_org": membership.organization if membership else None,
            "my_memberships": memberships,
            "role_labels": ROLE_LABELS,
            "can": lambda permission: membership is not None and can(membership.role, permission),
        }


class LazyList:
    """A list a template reads only if it needs it: ``load`` runs on the first use."""

    def __init__(self, load):
        self._load = load

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __bool__(self):
        return bool(self._load())


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated and response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "private, no-store")
        return add_vary(response)
