"""Flask commands: seed-demo, create-user, api-token, outbox deliver."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from sqlalchemy import select

from webapp.domain import identifiers
from webapp.domain.errors import ActionError
from webapp.domain.roles import OWNER, ROLES
from webapp.extensions import db
from webapp.forms import MAX_ID
from webapp.models import ApiToken, Membership, Organization
from webapp.models.user import PASSWORD_MIN_LENGTH
from webapp import demo
from webapp.services import accounts, mail, orgs, webhooks
from webapp.usecases import Actor
from webapp.usecases import api_tokens as token_usecases

DEMO_EMAIL = "demo@tallybook.example"
DEMO_PASSWORD = "demo-password-2026"
DEMO_ORG = "Sonnenschein Bäckerei GmbH"
DEMO_TOKEN_NAME = "Demo"


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(api_token)
    app.cli.add_command(outbox)


@click.command("seed-demo")
def seed_demo():
    """Create the demo business and its owner (once) and print the login."""
    user = accounts.find_user(DEMO_EMAIL)
    if user is None:
        user, org = accounts.sign_up(name="Dana Demo", email=DEMO_EMAIL, password=DEMO_PASSWORD,
                                     org_name=DEMO_ORG, country="DE")
        org.name = "Sonnenschein Bäckerei"
        org.street, org.postal_code, org.city = "Lindenstraße 12", "10969", "Berlin"
        org.vat_id, org.tax_number = "DE136695976", "29/815/08150"
        org.email, org.phone, org.website = "hallo@sonnenschein.example", "+49 30 1234567", "https://sonnenschein.example"
        org.bank_name, org.iban, org.bic = "Commerzbank", "DE89370400440532013000", "COBADEFFXXX"
        org.footer_text = "Sonnenschein Bäckerei GmbH · Amtsgericht Charlottenburg HRB 123456 · Geschäftsführerin Dana Demo"
        org.automatic_tax = True  # the VAT rules decide each line: intra-EU supplies, exports, consumers at home
        demo.add_catalog_and_customers(org, user)
        demo.add_invoices(org, user)
        demo.add_payments_corrections_and_quotes(org, user)
        demo.add_purchases(org, user)
        demo.add_bank_statement(org, user)
        # only the token's hash is stored: it is printed now and never again (later runs say how to make one)
        token = token_usecases.create_token(Actor(org, user, OWNER), token_usecases.TokenInput(
            name=DEMO_TOKEN_NAME, role=OWNER)).token
        db.session.commit()
        click.echo("Created the demo business.")
    else:
        token = None
    click.echo("")
    click.echo("  Demo login:  " + DEMO_EMAIL)
    click.echo("  Password:    " + DEMO_PASSWORD)
    if token:
        click.echo("  API token:   " + token + "  (shown once: copy it now)")
    else:
        click.echo(f"  API token:   run `flask api-token create --email {DEMO_EMAIL} --role owner "
                   f"--name {DEMO_TOKEN_NAME}` for one")
    click.echo("")


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help=f"At least {PASSWORD_MIN_LENGTH} characters (asked for when left out).")
@click.option("--org", "org_name", default=None, help="Create a new organization with this name, owned by the user.")
@click.option("--country", default="DE", show_default=True, help="Country of the new organization (ISO code).")
@click.option("--org-id", type=click.IntRange(1, MAX_ID), default=None, help="Add the user to this existing organization instead.")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True,
              help="Role in the existing organization.")
def create_user(email, name, password, org_name, country, org_id, role):
    """Create a user, with a new organization (--org) or in an existing one (--org-id)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(f"use at least {PASSWORD_MIN_LENGTH} characters", param_hint="--password")
    if org_name and org_id:
        raise click.UsageError("Give either --org or --org-id, not both.")
    if not org_name and not org_id:
        raise click.UsageError("Give --org NAME to create an organization or --org-id N to join one.")
    try:
        country = identifiers.normalize_country(country)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--country") from exc
    org = None
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is None:
            raise click.BadParameter(f"there is no organization {org_id}", param_hint="--org-id")
    try:
        user = accounts.create_user(email, password, name)
    except accounts.ActionError as exc:
        raise click.ClickException(exc.message) from exc
    if org is None:
        org = orgs.create_organization(org_name, country, user)
        role = "owner"
    else:
        db.session.add(Membership(org_id=org.id, user_id=user.id, role=role))
    db.session.commit()
    click.echo(f"Created {user.email} as {role} of {org.name} (organization {org.id}).")


@click.group("api-token")
def api_token():
    """API tokens of an organization (as under Settings > API); each acts as an owner of it."""


def _owner_actor(org_id: int | None = None, email: str | None = None) -> Actor:
    """An owner of organization ``org_id`` (the longest-standing), or the user ``email`` in the first organization
    they own: who the command acts as (the audit log names them)."""
    if bool(org_id) == bool(email):
        raise click.UsageError("Give either --org-id ID or --email OWNER_EMAIL.")
    owners = select(Membership).where(Membership.role == OWNER).order_by(Membership.id).limit(1)
    if org_id:
        if db.session.get(Organization, org_id) is None:
            raise click.BadParameter(f"there is no organization {org_id}", param_hint="--org-id")
        membership = db.session.scalar(owners.where(Membership.org_id == org_id))
        if membership is None:
            raise click.UsageError(f"Organization {org_id} has no owner to act as.")
    else:
        user = accounts.find_user(email)
        if user is None:
            raise click.BadParameter(f"there is no user {email}", param_hint="--email")
        membership = db.session.scalar(owners.where(Membership.user_id == user.id))
        if membership is None:
            raise click.BadParameter(f"{user.email} is not an owner of any organization", param_hint="--email")
    return Actor(membership.organization, membership.user, membership.role)


def _status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.is_active() else "expired"


@api_token.command("create")
@click.option("--org-id", type=click.IntRange(1, MAX_ID), default=None, help="The organization (acts as its first owner).")
@click.option("--email", default=None, help="Or an owner's e-mail: the first organization they own.")
@click.option("--role", type=click.Choice(ROLES, case_sensitive=False), required=True,
              help="The role the token acts with.")
@click.option("--name", required=True, help="What uses it, e.g. Shop.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The last day it works (YYYY-MM-DD, UTC); without it, until revoked.")
def create_api_token(org_id, email, role, name, expires):
    """Make a token and print it (only it, on stdout: it is shown once, only its hash is stored)."""
    actor = _owner_actor(org_id, email)
    try:
        created = token_usecases.create_token(actor, token_usecases.TokenInput(
            name=name, role=role, expires_on=expires.date() if expires else None))
    except ActionError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Made the API token {created.row.name} (id {created.row.id}, {created.row.role}) of "
               f"{actor.org.name} (organization {actor.org.id}).", err=True)
    click.echo(created.token)


@api_token.command("list")
@click.option("--org-id", type=click.IntRange(1, MAX_ID), required=True)
def list_api_tokens(org_id):
    """The organization's tokens, newest first: id, name, prefix, role, status (tab-separated)."""
    if db.session.get(Organization, org_id) is None:
        raise click.BadParameter(f"there is no organization {org_id}", param_hint="--org-id")
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.id.desc())).all()
    if not tokens:
        click.echo(f"Organization {org_id} has no API tokens.", err=True)
    for token in tokens:
        click.echo("\t".join((str(token.id), token.name, token.prefix + "...", token.role, _status(token))))


@api_token.command("revoke")
@click.option("--id", "token_id", type=click.IntRange(1, MAX_ID), required=True, help="The token's id (see list).")
def revoke_api_token(token_id):
    """Revoke a token: programs using it are refused from then on."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.BadParameter(f"there is no API token {token_id}", param_hint="--id")
    if token.revoked_at is not None:
        click.echo(f"The API token {token.name} (id {token.id}) was revoked already.")
        return
    token_usecases.revoke_token(_owner_actor(org_id=token.org_id), token_id)
    db.session.commit()
    click.echo(f"Revoked the API token {token.name} (id {token.id}) of organization {token.org_id}.")


@click.group("outbox")
def outbox():
    """The outbox: e-mails and webhooks."""


@outbox.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running and deliver new messages as they come.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between runs with --loop.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="Messages per run.")
def deliver(loop, interval, limit):
    """Send queued e-mails that are due (SMTP, or files under instance/mail/ without MAIL_SERVER), then the
    webhook deliveries that are due."""
    target = current_app.config["MAIL_SERVER"] or current_app.config["MAIL_FILE_DIR"]
    while True:
        report = mail.deliver_due(limit=limit)
        if report.sent or report.retrying or report.failed or not loop:
            click.echo(f"outbox -> {target}: {len(report.sent)} sent, {len(report.retrying)} to retry, "
                       f"{len(report.failed)} failed")
        db.session.remove()
        hooks = webhooks.deliver_due(limit=limit)
        if hooks.delivered or hooks.retrying or hooks.failed or not loop:
            click.echo(f"webhooks: {len(hooks.delivered)} delivered, {len(hooks.retrying)} to retry, "
                       f"{len(hooks.failed)} failed")
        db.session.remove()
        if not loop:
            break
        time.sleep(interval)


