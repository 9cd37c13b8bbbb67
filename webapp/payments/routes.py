"""The payments list: filters by dates, method and customer, live with htmx (the address follows the filter),
the sums per currency of what the filter matches, each row linking to its invoice."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from webapp.extensions import db
from webapp.htmx import is_htmx, render
from webapp.models import Contact
from webapp.queries import payments as payment_queries
from webapp.tenancy import current_org, require_permission, scoped

bp = Blueprint("payments", __name__)


@bp.get("/")
@require_permission("view")
def index():
    org = current_org()
    query = payment_queries.parse_query(request.args)
    page = payment_queries.search_payments(org.id, query)
    customer = (db.session.scalar(scoped(Contact).where(Contact.id == query.contact_id))
                if query.contact_id else None)
    matches = payment_queries.customers_matching(org.id, query.q) if query.q else None  # to choose one
    response = render("payments/index.html", "payments/_list.html", status=422 if query.errors else 200,
                      page=page, query=query, customer=customer, matches=matches,
                      methods=payment_queries.METHOD_CHOICES, max_matches=payment_queries.MATCHES)
    if is_htmx():  # the short, canonical address of this filter
        response.headers["HX-Push-Url"] = url_for("payments.index", **query.url_args())
    return response
