"""Sign-up, log-in, log-out, passwords, invitations and switching organizations."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_babel import gettext as _, refresh
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth.forms import (AcceptInvitationForm, AccountForm, ChangePasswordForm, LoginForm,
                               NewOrganizationForm, ResetPasswordForm, ResetRequestForm, SignupForm)
from webapp.extensions import account_key, limiter
from webapp.forms import ButtonForm
from webapp.htmx import redirect_to, render
from webapp.services import accounts as account_service
from webapp.usecases import accounts
from webapp.web.actions import refused
from webapp.tenancy import SESSION_ORG_KEY, switch_org

bp = Blueprint("auth", __name__)

AUTH_LIMIT = "10 per minute"


def _failed(response) -> bool:
    return response.status_code >= 400


def safe_next(target: str | None) -> str:
    """Only a path on this site is followed after log-in; anything else goes to the dashboard."""
    target = (target or "").strip()
    if target and not any(ord(c) < 32 or c in "\\ \x7f" for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.index")


def form_page(template: str, form, **context):
    """Render a form page: 422 when the form was posted with errors, 200 otherwise."""
    status = 422 if form.errors else 200
    return render(template, status=status, form=form, **context)


def _start_session(user, remember: bool) -> None:
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(AUTH_LIMIT, methods=["POST"], key_func=account_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect_to(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        with refused(form):
            user = accounts.log_in(form.email.data, form.password.data)
            _start_session(user, remember=form.remember.data)
            return redirect_to(safe_next(form.next.data))
    return form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout():
    accounts.log_out(current_user._get_current_object())  # this and every other session of the user ends
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect_to(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        with refused(form, default_field="email"):
            user, org = accounts.sign_up(form.name.data, form.email.data, form.password.data, form.org_name.data,
                                         form.country.data)
            _start_session(user, remember=False)
            session[SESSION_ORG_KEY] = org.id
            flash(_("Welcome to Tallybook! %(organization)s is ready.", organization=org.name), "success")
            return redirect_to(url_for("dashboard.index"))
    return form_page("auth/signup.html", form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"], key_func=account_key)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        # The same answer whether or not the account exists.
        return render("auth/reset_sent.html", email=form.email.data)
    return form_page("auth/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password(token: str):
    if account_service.valid_reset_token(token) is None:
        return render("auth/reset_invalid.html", status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with refused() as refusal:  # used up by a request that was a moment faster
            accounts.reset_password(token, form.password.data)
        if refusal.error is not None:
            return render("auth/reset_invalid.html", status=400)
        logout_user()
        session.clear()
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect_to(url_for("auth.login"))
    return form_page("auth/reset_password.html", form, token=token)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with refused(form):
            user = current_user._get_current_object()
            accounts.change_password(user, form.current_password.data, form.password.data)
            org_id = session.get(SESSION_ORG_KEY)
            remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
            _start_session(user, remember=remembered)  # this session goes on, every other one ends
            session[SESSION_ORG_KEY] = org_id
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect_to(url_for("auth.change_password"))
    return form_page("auth/password.html", form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own settings: the language the app speaks to them."""
    user = current_user._get_current_object()
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        with refused(form):
            accounts.set_language(user, form.language.data)
            refresh()  # the message below and every page from now on in the language just chosen
            flash(_("Your account settings are saved."), "success")
            return redirect_to(url_for("auth.account"))
    return form_page("auth/account.html", form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = account_service.pending_invitation(token)
    if invitation is None:
        return render("auth/invitation_invalid.html", status=400)
    existing = account_service.find_user(invitation.email)
    form = AcceptInvitationForm() if existing is None and not current_user.is_authenticated else ButtonForm()
    error = None
    if current_user.is_authenticated and current_user.email != invitation.email:
        error = _("This invitation is for %(invited)s, but you are logged in as %(email)s. "
                  "Log out and open the link again.", invited=invitation.email, email=current_user.email)
    elif request.method == "POST" and form.validate_on_submit():
        if not current_user.is_authenticated and existing is not None:
            return redirect_to(url_for("auth.login", next=request.path))
        user = current_user._get_current_object() if current_user.is_authenticated else None
        # refused: e.g. the account was created meanwhile (another tab): log in to accept
        with refused(redirect=url_for("auth.login", next=request.path)):
            user, membership = accounts.accept_invitation(invitation, user, form.data.get("password", ""),
                                                          form.data.get("name", ""))
        if not current_user.is_authenticated:
            _start_session(user, remember=False)
        session[SESSION_ORG_KEY] = membership.org_id
        flash(_("You have joined %(organization)s.", organization=invitation.organization.name), "success")
        return redirect_to(url_for("dashboard.index"))
    status = 422 if form.errors or (error and request.method == "POST") else 200
    return render("auth/invitation.html", status=status, form=form, invitation=invitation,
                  existing=existing, error=error, token=token)


@bp.post("/orgs/<int:org_id>/switch")
@login_required
def switch(org_id: int):
    membership = switch_org(org_id)
    flash(_("Now working in %(organization)s.", organization=membership.organization.name), "info")
    return redirect_to(url_for("dashboard.index"))


@bp.route("/orgs/new", methods=["GET", "POST"])
@login_required
def new_organization():
    form = NewOrganizationForm()
    if form.validate_on_submit():
        org = accounts.create_organization(current_user._get_current_object(), form.org_name.data, form.country.data)
        session[SESSION_ORG_KEY] = org.id
        flash(_("%(organization)s is created. Complete its details below.", organization=org.name), "success")
        return redirect_to(url_for("settings.company"))
    return form_page("auth/new_org.html", form)
