"""Organization settings: company details, numbering, VAT, members, API tokens, audit log, outbox."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from webapp.auth.routes import form_page
from webapp.domain.placeholders import PLACEHOLDERS
from webapp.domain.roles import ROLE_DESCRIPTIONS, ROLE_LABELS
from webapp.extensions import db
from webapp.forms import ButtonForm, as_choices, country_choices, id_arg
from webapp.htmx import redirect_to, render
from webapp.models import (ApiToken, AuditEvent, Invitation, Membership, OutboxMessage, User, VatRegistration,
                           WebhookAttempt)
from webapp.models.types import utcnow
from webapp.services import orgs
from webapp.services.sending import DEFAULT_BODY, DEFAULT_SUBJECT
from webapp.settings.forms import (ApiTokenForm, CompanyForm, InviteForm, InvoiceEmailForm, NumberingForm, RoleForm,
                                  VatForm, VatRegistrationForm, WebhookEndpointForm)
from webapp.tenancy import current_actor, current_org, get_or_404, require_permission, scoped
from webapp.usecases import api_tokens as token_usecases
from webapp.usecases import members as member_usecases
from webapp.usecases import settings
from webapp.usecases import webhooks as webhook_usecases
from webapp.web.actions import refused

bp = Blueprint("settings", __name__)

PAGE_SIZE = 50


@bp.route("/", methods=["GET", "POST"])
@require_permission("manage_settings")
def company():
    org = current_org()
    form = CompanyForm(obj=org)
    if form.validate_on_submit():
        data = settings.CompanyInput(values={name: form[name].data for name in settings.COMPANY_FIELDS},
                                     logo=form.logo_upload, remove_logo=form.remove_logo.data)
        with refused(form):
            settings.save_company(current_actor(), data)
            flash(_("Company details saved."), "success")
            return redirect_to(url_for("settings.company"))
    return form_page("settings/company.html", form, org=org)


@bp.route("/invoice-email", methods=["GET", "POST"])
@require_permission("manage_settings")
def invoice_email():
    org = current_org()
    form = InvoiceEmailForm(obj=org)
    if form.validate_on_submit():
        with refused(form):
            settings.save_invoice_email(current_actor(), settings.InvoiceEmailInput(
                subject=form.invoice_email_subject.data, body=form.invoice_email_body.data,
                attach_pdf=form.invoice_email_attach_pdf.data))
            flash(_("Invoice e-mail saved."), "success")
            return redirect_to(url_for("settings.invoice_email"))
    return form_page("settings/invoice_email.html", form, org=org, placeholders=PLACEHOLDERS,
                     default_subject=DEFAULT_SUBJECT, default_body=DEFAULT_BODY)


@bp.get("/logo")
@require_permission("view")
def logo():
    org = current_org()
    if not org.has_logo:
        abort(404)
    response = Response(org.logo, mimetype=org.logo_mime)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/numbering", methods=["GET", "POST"])
@require_permission("manage_settings")
def numbering():
    org = current_org()
    series = orgs.series_of(org)
    form = NumberingForm()
    if request.method == "GET":
        for kind, s in series.items():
            form[f"{kind}_format"].data = s.format
            form[f"{kind}_reset"].data = s.reset_yearly
    if form.validate_on_submit():
        with refused(form):
            settings.save_numbering(current_actor(), {
                kind: settings.SeriesInput(form[f"{kind}_format"].data, bool(form[f"{kind}_reset"].data))
                for kind in series})
            flash(_("Number formats saved."), "success")
            return redirect_to(url_for("settings.numbering"))
    previews = {kind: _preview(series[kind], form[f"{kind}_format"].data, form[f"{kind}_reset"].data)
                for kind in NumberingForm.KINDS}
    return form_page("settings/numbering.html", form, previews=previews)


def _preview(series, pattern: str, reset: bool) -> dict:
    return orgs.number_preview(series, pattern or "", bool(reset), date.today())


@bp.get("/numbering/preview/<kind>")
@require_permission("manage_settings")
def numbering_preview(kind: str):
    series = orgs.series_of(current_org()).get(kind)
    if series is None:
        abort(404)
    pattern = request.args.get(f"{kind}_format", "")
    reset = request.args.get(f"{kind}_reset") in {"y", "on", "true", "1"}
    return render("settings/_number_preview.html", kind=kind, preview=_preview(series, pattern, reset))


# --- VAT ------------------------------------------------------------------------------------------

def _vat_context(form=None, registration_form=None) -> dict:
    org = current_org()
    if registration_form is None:
        registration_form = VatRegistrationForm(formdata=None)
    registration_form.country.choices = as_choices(
        [("", _("Choose..."))] + [(code, name) for code, name in country_choices() if code != org.country])
    registrations = db.session.scalars(scoped(VatRegistration).order_by(VatRegistration.country)).all()
    return {"org": org, "form": form or VatForm(formdata=None, obj=org), "registration_form": registration_form,
            "registrations": registrations}


def _country_name(code: str) -> str:
    return dict(country_choices()).get(code, code)


@bp.route("/vat", methods=["GET", "POST"])
@require_permission("manage_settings")
def vat():
    """Automatic VAT, the default tax code, the small-business exemption, the One-Stop-Shop and the destination
    option; below, the VAT registrations in other countries (docs/vat-rules.md)."""
    form = VatForm(obj=current_org())
    if form.validate_on_submit():
        with refused(form):
            settings.save_vat(current_actor(), settings.VatInput(
                automatic_tax=form.automatic_tax.data, default_tax_code=form.default_tax_code.data,
                small_business=form.small_business.data, oss_since=form.oss_since.data,
                destination_opt_in=form.destination_opt_in.data))
            flash(_("VAT settings saved."), "success")
            return redirect_to(url_for("settings.vat"))
    return render("settings/vat.html", status=422 if form.errors else 200, **_vat_context(form=form))


@bp.post("/vat/registrations")
@require_permission("manage_settings")
def add_vat_registration():
    form = VatRegistrationForm()
    if form.validate_on_submit():
        with refused(form):
            added = settings.add_vat_registration(current_actor(), settings.VatRegistrationInput(
                country=form.country.data, vat_id=form.vat_id.data, valid_from=form.valid_from.data))
            flash(_("The VAT registration in %(country)s is added.", country=_country_name(added.country)), "success")
            return redirect_to(url_for("settings.vat"))
    return render("settings/vat.html", status=422, **_vat_context(registration_form=form))


@bp.post("/vat/registrations/<int:registration_id>/remove")
@require_permission("manage_settings")
def remove_vat_registration(registration_id: int):
    registration = settings.remove_vat_registration(current_actor(), registration_id)
    flash(_("The VAT registration in %(country)s is removed.", country=_country_name(registration.country)),
          "success")
    return redirect_to(url_for("settings.vat"))


# --- members ------------------------------------------------------------------------------------

def _members_context(invite_form=None, error: str | None = None) -> dict:
    org = current_org()
    members = db.session.execute(
        scoped(Membership).join(User).order_by(User.email).add_columns(User)
    ).all()
    invitations = db.session.scalars(
        scoped(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                                 Invitation.expires_at > utcnow()).order_by(Invitation.created_at.desc())
    ).all()
    events = db.session.scalars(
        scoped(AuditEvent).where(AuditEvent.action.like("member.%")).order_by(AuditEvent.id.desc()).limit(20)
    ).all()
    return {
        "org": org,
        "members": [m for m, _ in members],
        "invitations": invitations,
        "events": events,
        "invite_form": invite_form or InviteForm(),
        "role_form": RoleForm,
        "button_form": ButtonForm(),
        "error": error,
    }


@bp.get("/members")
@require_permission("manage_members")
def members():
    return render("settings/members.html", "settings/_members.html", **_members_context())


@bp.post("/members/invite")
@require_permission("manage_members")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        with refused(form, default_field="email"):
            member_usecases.invite(current_actor(), form.email.data, form.role.data)
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
            return redirect_to(url_for("settings.members"))
    return render("settings/members.html", "settings/_members.html", status=422, **_members_context(invite_form=form))


@bp.post("/members/<int:membership_id>/role")
@require_permission("manage_members")
def change_role(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    form = RoleForm(prefix=f"m{membership.id}")
    if form.validate_on_submit():
        with refused() as refusal:
            changed = member_usecases.change_role(current_actor(), membership_id, form.role.data)
            flash(_("%(email)s is now %(role)s.", email=changed.user.email, role=_(ROLE_LABELS[changed.role])), "success")
            return redirect_to(url_for("settings.members"))
        return render("settings/members.html", "settings/_members.html", status=422,
                      **_members_context(error=refusal.error.message))
    return render("settings/members.html", "settings/_members.html", status=422,
                  **_members_context(error=_("Choose one of the roles.")))


@bp.post("/members/<int:membership_id>/remove")
@require_permission("manage_members")
def remove_member(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    email, user_id = membership.user.email, membership.user_id
    with refused() as refusal:
        member_usecases.remove_member(current_actor(), membership_id)
    if refusal.error is not None:
        return render("settings/members.html", "settings/_members.html", status=422,
                      **_members_context(error=refusal.error.message))
    flash(_("%(email)s was removed.", email=email), "success")
    if user_id == current_user.id:
        return redirect_to(url_for("dashboard.index"))
    return redirect_to(url_for("settings.members"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@require_permission("manage_members")
def revoke_invitation(invitation_id: int):
    with refused() as refusal:
        invitation = member_usecases.revoke_invitation(current_actor(), invitation_id)
    if refusal.error is not None:
        return render("settings/members.html", "settings/_members.html", status=422,
                      **_members_context(error=refusal.error.message))
    flash(_("The invitation of %(email)s is revoked.", email=invitation.email), "success")
    return redirect_to(url_for("settings.members"))


# --- API tokens ---------------------------------------------------------------------------------

def _api_context(form=None, created=None, webhook_form=None, created_webhook=None) -> dict:
    tokens = db.session.scalars(
        scoped(ApiToken).options(selectinload(ApiToken.created_by)).order_by(ApiToken.id.desc())).all()
    return {"org": current_org(), "form": form or ApiTokenForm(formdata=None), "tokens": tokens, "created": created,
            "now": utcnow(), "role_descriptions": ROLE_DESCRIPTIONS,
            "webhooks": webhook_usecases.list_endpoints(current_actor()),
            "webhook_form": webhook_form or WebhookEndpointForm(formdata=None), "created_webhook": created_webhook}


@bp.route("/api", methods=["GET", "POST"])
@require_permission("manage_api")
def api():
    """The tokens; a POST makes one. The new token is in this answer only (201): never in a redirect, the
    session or a flash, so a reload (GET) or the next page cannot show it again."""
    if request.method == "GET":
        return render("settings/api.html", "settings/_api.html", **_api_context())
    form = ApiTokenForm()
    if form.validate_on_submit():
        with refused(form):
            created = token_usecases.create_token(current_actor(), token_usecases.TokenInput(
                name=form.name.data, role=form.role.data, expires_on=form.expires_on.data))
            return render("settings/api.html", "settings/_api.html", status=201,
                          **_api_context(created=created))
    return render("settings/api.html", "settings/_api.html", status=422, **_api_context(form=form))


@bp.post("/api/tokens/<int:token_id>/revoke")
@require_permission("manage_api")
def revoke_api_token(token_id: int):
    token = token_usecases.revoke_token(current_actor(), token_id)
    flash(_("The API token %(name)s is revoked; programs using it are refused from now on.", name=token.name),
          "success")
    return redirect_to(url_for("settings.api"))


# --- webhooks (on the API page) -------------------------------------------------------------------

@bp.post("/api/webhooks")
@require_permission("manage_api")
def create_webhook():
    """Add an endpoint; its secret is in this answer only (201), as a new token's."""
    form = WebhookEndpointForm()
    if form.validate_on_submit():
        with refused(form):
            created = webhook_usecases.create_endpoint(current_actor(), webhook_usecases.EndpointInput(
                url=form.url.data or "", description=form.description.data or "", events=list(form.events.data or [])))
            return render("settings/api.html", "settings/_webhooks.html", status=201,
                          **_api_context(created_webhook=created))
    return render("settings/api.html", "settings/_webhooks.html", status=422, **_api_context(webhook_form=form))


def _webhook_context(webhook_id: int, secret_shown: bool = False) -> dict:
    actor = current_actor()
    endpoint = webhook_usecases.load_endpoint(actor, webhook_id)
    before = id_arg(request.args, "before")
    deliveries = webhook_usecases.deliveries_of(actor, webhook_id, PAGE_SIZE + 1, before)
    shown = deliveries[:PAGE_SIZE]
    attempts: dict[int, list[WebhookAttempt]] = {}
    if shown:
        for attempt in db.session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([d.id for d in shown])).order_by(WebhookAttempt.id.desc())):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return {"org": current_org(), "endpoint": endpoint, "deliveries": shown, "attempts": attempts,
            "more": shown[-1].id if len(deliveries) > PAGE_SIZE else None, "secret_shown": secret_shown}


@bp.get("/api/webhooks/<int:webhook_id>")
@require_permission("manage_api")
def webhook(webhook_id: int):
    """The endpoint and its delivery log, newest first."""
    return render("settings/webhook.html", "settings/_webhook.html", **_webhook_context(webhook_id))


@bp.post("/api/webhooks/<int:webhook_id>/toggle")
@require_permission("manage_api")
def toggle_webhook(webhook_id: int):
    endpoint = webhook_usecases.load_endpoint(current_actor(), webhook_id)
    endpoint = webhook_usecases.update_endpoint(current_actor(), webhook_id, webhook_usecases.EndpointInput(
        enabled=not endpoint.enabled))
    flash(_("The webhook endpoint %(url)s is enabled.", url=endpoint.url) if endpoint.enabled else
          _("The webhook endpoint %(url)s is disabled: it receives no events until you enable it again.",
            url=endpoint.url), "success")
    return redirect_to(url_for("settings.api"))


@bp.post("/api/webhooks/<int:webhook_id>/rotate")
@require_permission("manage_api")
def rotate_webhook(webhook_id: int):
    """A new secret, shown in this answer only."""
    webhook_usecases.rotate_secret(current_actor(), webhook_id)
    return render("settings/webhook.html", "settings/_webhook.html", **_webhook_context(webhook_id, True))


@bp.post("/api/webhooks/<int:webhook_id>/delete")
@require_permission("manage_api")
def delete_webhook(webhook_id: int):
    endpoint = webhook_usecases.delete_endpoint(current_actor(), webhook_id)
    flash(_("The webhook endpoint %(url)s is deleted.", url=endpoint.url), "success")
    return redirect_to(url_for("settings.api"))


@bp.post("/api/webhook-deliveries/<int:delivery_id>/resend")
@require_permission("manage_api")
def resend_webhook(delivery_id: int):
    delivery = webhook_usecases.resend_delivery(current_actor(), delivery_id)
    flash(_("The event %(event)s is queued to be sent again.", event=delivery.event_type), "success")
    return redirect_to(url_for("settings.webhook", webhook_id=delivery.endpoint_id))


# --- audit log ----------------------------------------------------------------------------------

@bp.get("/audit")
@require_permission("view_audit")
def audit_log():
    before = id_arg(request.args, "before")
    stmt = scoped(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    events = db.session.scalars(stmt).all()
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    return render("settings/audit.html", events=events, next_before=events[-1].id if more else None)


# --- mail -------------------------------------------------------------------------------------------

def _mail_query():
    """The organization's messages, and account mail (password resets) addressed to the current user.

    Other members' account mail is never shown: its links would let an owner take over their accounts.
    """
    org = current_org()
    return select(OutboxMessage).where(or_(
        OutboxMessage.org_id == org.id,
        (OutboxMessage.org_id.is_(None)) & (OutboxMessage.to_addrs == current_user.email),
    ))


TOKEN_LINK_RE = re.compile(r"\S*/auth/(?:reset|invitations)/[A-Za-z0-9_\-]+")


def shown_body(message: OutboxMessage) -> str:
    """The text body; token links are hidden once real e-mail goes out (only file delivery shows them)."""
    if current_app.config["MAIL_SERVER"]:
        hidden = _("[link hidden: only the recipient sees it]")
        return TOKEN_LINK_RE.sub(lambda _match: hidden, message.body_text)
    return message.body_text


@bp.get("/mail")
@require_permission("view_mail")
def mail():
    before = id_arg(request.args, "before")
    stmt = _mail_query().order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1)
    if before:
        stmt = stmt.where(OutboxMessage.id < before)
    messages = db.session.scalars(stmt).all()
    more = len(messages) > PAGE_SIZE
    messages = messages[:PAGE_SIZE]
    return render("settings/mail.html", messages=messages, next_before=messages[-1].id if more else None,
                  file_delivery=not current_app.config["MAIL_SERVER"],
                  mail_dir=current_app.config["MAIL_FILE_DIR"])


@bp.get("/mail/<int:message_id>")
@require_permission("view_mail")
def mail_message(message_id: int):
    message = db.session.scalar(_mail_query().where(OutboxMessage.id == message_id))
    if message is None:
        abort(404)
    file_path = None
    if message.delivered_file:
        file_path = Path(current_app.config["MAIL_FILE_DIR"]) / message.delivered_file
    return render("settings/mail_message.html", message=message, file_path=file_path, body=shown_body(message))
