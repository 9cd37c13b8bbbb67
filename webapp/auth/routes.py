"""Sign-up, log-in, log-out, passwords, invitations and switching organizations."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth.forms import (AcceptInvitationForm, ChangePasswordForm, LoginForm, NewOrganizationForm,
                               ResetPasswordForm, ResetRequestForm, SignupForm)
from webapp.extensions import account_key, db, limiter
from webapp.forms import ButtonForm
from webapp.htmx import redirect_to, render
from webapp.models.types import utcnow
from webapp.services import accounts, orgs
from webapp.services.accounts import AccountError
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
    user.last_login_at = utcnow()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(AUTH_LIMIT, methods=["POST"], key_func=account_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect_to(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect_to(safe_next(form.next.data))
        form.password.errors.append("E-mail or password is wrong.")
    return form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout():
    current_user.end_all_sessions()  # this and every other session of the user ends
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect_to(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user, org = accounts.sign_up(name=form.name.data, email=form.email.data, password=form.password.data,
                                         org_name=form.org_name.data, country=form.country.data)
        except AccountError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            _start_session(user, remember=False)
            session[SESSION_ORG_KEY] = org.id
            db.session.commit()
            flash(f"Welcome to Tallybook! {org.name} is ready.", "success")
            return redirect_to(url_for("dashboard.index"))
    return form_page("auth/signup.html", form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"], key_func=account_key)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the account exists.
        return render("auth/reset_sent.html", email=form.email.data)
    return form_page("auth/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password(token: str):
    if accounts.valid_reset_token(token) is None:
        return render("auth/reset_invalid.html", status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except AccountError:  # used up by a request that was a moment faster
            db.session.rollback()
            return render("auth/reset_invalid.html", status=400)
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your password is changed. Log in with the new one.", "success")
        return redirect_to(url_for("auth.login"))
    return form_page("auth/reset_password.html", form, token=token)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except AccountError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            org_id = session.get(SESSION_ORG_KEY)
            remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
            user = current_user._get_current_object()
            _start_session(user, remember=remembered)  # this session goes on, every other one ends
            session[SESSION_ORG_KEY] = org_id
            db.session.commit()
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect_to(url_for("auth.change_password"))
    return form_page("auth/password.html", form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = accounts.pending_invitation(token)
    if invitation is None:
        return render("auth/invitation_invalid.html", status=400)
    existing = accounts.find_user(invitation.email)
    form = AcceptInvitationForm() if existing is None and not current_user.is_authenticated else ButtonForm()
    error = None
    if current_user.is_authenticated and current_user.email != invitation.email:
        error = (f"This invitation is for {invitation.email}, but you are logged in as {current_user.email}. "
                 "Log out and open the link again.")
    elif request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            user = current_user._get_current_object()
        elif existing is not None:
            return redirect_to(url_for("auth.login", next=request.path))
        else:
            try:
                user = accounts.create_user(invitation.email, form.password.data, form.name.data)
            except AccountError:  # the account was created meanwhile (another tab): log in to accept
                db.session.rollback()
                return redirect_to(url_for("auth.login", next=request.path))
            _start_session(user, remember=False)
        membership = accounts.accept_invitation(invitation, user)
        session[SESSION_ORG_KEY] = membership.org_id
        db.session.commit()
        flash(f"You have joined {invitation.organization.name}.", "success")
        return redirect_to(url_for("dashboard.index"))
    status = 422 if form.errors or (error and request.method == "POST") else 200
    return render("auth/invitation.html", status=status, form=form, invitation=invitation,
                  existing=existing, error=error, token=token)


@bp.post("/orgs/<int:org_id>/switch")
@login_required
def switch(org_id: int):
    membership = switch_org(org_id)
    flash(f"Now working in {membership.organization.name}.", "info")
    return redirect_to(url_for("dashboard.index"))


@bp.route("/orgs/new", methods=["GET", "POST"])
@login_required
def new_organization():
    form = NewOrganizationForm()
    if form.validate_on_submit():
        org = orgs.create_organization(form.org_name.data, form.country.data, current_user._get_current_object())
        session[SESSION_ORG_KEY] = org.id
        db.session.commit()
        flash(f"{org.name} is created. Complete its details below.", "success")
        return redirect_to(url_for("settings.company"))
    return form_page("auth/new_org.html", form)
