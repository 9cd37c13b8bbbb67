"""The dashboard: what to do first in a new organization, and the company at a glance."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from webapp.htmx import redirect_to, render
from webapp.domain.roles import can
from webapp.extensions import db
from webapp.models import Contact, Document
from webapp.queries import dashboard as dashboard_queries
from webapp.queries.documents import open_balances
from webapp.tenancy import current_org, current_role, load_current_membership, require_permission

bp = Blueprint("dashboard", __name__)


def _link(endpoint: str, permission: str) -> str | None:
    """A link to ``endpoint`` if the feature is installed and the member's role may use it."""
    if endpoint not in current_app.view_functions or not can(current_role(), permission):
        return None
    return url_for(endpoint)


# the company details Organization.missing_details() names, for the message catalogs (translated where shown)
DETAIL_LABELS = (_l("legal name"), _l("street"), _l("postal code"), _l("city"), _l("country"),
                 _l("VAT ID or tax number"))


def first_steps(org) -> list[dict]:
    missing = [_(label) for label in org.missing_details()]
    has_customers = db.session.scalar(select(Contact.id).where(Contact.org_id == org.id).limit(1)) is not None
    return [
        {"title": _("Complete your company details"),
         "hint": _("Missing: %(details)s.", details=", ".join(missing)) if missing
         else _("Legal name, address and tax ID are set."),
         "done": not missing, "url": _link("settings.company", "manage_settings")},
        {"title": _("Add your first customer"), "hint": _("Who do you bill? Or import them from a CSV file."),
         "done": has_customers, "url": _link("customers.new", "manage_customers")},
        {"title": _("Write your first invoice"), "hint": _("Draft it, check the totals, issue it."),
         "done": db.session.scalar(select(Document.id).where(Document.org_id == org.id).limit(1)) is not None,
         "url": _link("invoices.new", "edit_drafts")},
    ]


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect_to(url_for("auth.login"))
    if load_current_membership() is None:
        return render("dashboard/no_org.html")
    return _dashboard()


def money_summary(org, today: date | None = None, flow: str = "sales") -> dict[str, list[tuple[str, int]]]:
    """Outstanding and overdue (amount due of issued invoices) and paid this month, per currency, of ``flow``:
    the receivables (sales: what customers owe and paid) or the payables (purchases: what is owed to suppliers
    and was paid to them). Two queries."""
    today = today or date.today()
    due = open_balances(org.id, today=today, flow=flow)
    return {"outstanding": [(c, o) for c, o, _ in due],
            "overdue": [(c, v) for c, _, v in due if v],
            "paid": dashboard_queries.paid_in_month(org.id, today, flow=flow)}


@require_permission("view")
def _dashboard():
    """Everyone sees the money (what customers owe beside what is owed to suppliers: all roles may view
    purchases), the invoices and purchases overdue longest, the suppliers owed most and the latest payments; the
    set-up steps only while one is left that the member's role can do (a bookkeeper cannot, so they never see
    them)."""
    org = current_org()
    steps = first_steps(org)
    if all(step["done"] or not step["url"] for step in steps):
        steps = []
    return render("dashboard/index.html", org=org, steps=steps, summary=money_summary(org),
                  overdue=dashboard_queries.overdue_invoices(org.id),
                  payments=dashboard_queries.recent_payments(org.id),
                  payables=money_summary(org, flow="purchases"),
                  overdue_purchases=dashboard_queries.overdue_invoices(org.id, flow="purchases"),
                  suppliers=dashboard_queries.top_contacts(org.id, flow="purchases"),
                  purchases_list="purchases.index" if "purchases.index" in current_app.view_functions else None)
