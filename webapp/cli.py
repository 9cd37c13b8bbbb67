"""Flask commands: seed-demo, create-user, outbox deliver."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app

from webapp.domain import identifiers
from webapp.domain.roles import ROLES
from webapp.extensions import db
from webapp.forms import MAX_ID
from webapp.models import Membership, Organization
from webapp.models.user import PASSWORD_MIN_LENGTH
from webapp import demo
from webapp.services import accounts, mail, orgs

DEMO_EMAIL = "demo@tallybook.example"
DEMO_PASSWORD = "demo-password-2026"
DEMO_ORG = "Sonnenschein Bäckerei GmbH"


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
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
        demo.add_catalog_and_customers(org, user)
        demo.add_invoices(org, user)
        demo.add_payments_corrections_and_quotes(org, user)
        db.session.commit()
        click.echo("Created the demo business.")
    click.echo("")
    click.echo("  Demo login:  " + DEMO_EMAIL)
    click.echo("  Password:    " + DEMO_PASSWORD)
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


@click.group("outbox")
def outbox():
    """The e-mail outbox."""


@outbox.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running and deliver new messages as they come.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between runs with --loop.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="Messages per run.")
def deliver(loop, interval, limit):
    """Send queued e-mails that are due (SMTP, or files under instance/mail/ without MAIL_SERVER)."""
    target = current_app.config["MAIL_SERVER"] or current_app.config["MAIL_FILE_DIR"]
    while True:
        report = mail.deliver_due(limit=limit)
        if report.sent or report.retrying or report.failed or not loop:
            click.echo(f"outbox -> {target}: {len(report.sent)} sent, {len(report.retrying)} to retry, "
                       f"{len(report.failed)} failed")
        db.session.remove()
        if not loop:
            break
        time.sleep(interval)


