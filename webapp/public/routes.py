"""The customer's page: an issued document at its secret link, without an account."""
from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from webapp.extensions import db, limiter
from webapp.forms import clean_line
from webapp.i18n import customer_language, document_locale
from webapp.models import Organization
from webapp.services import links
from webapp.services import pdf as pdf_service
from webapp.services.snapshots import parties
from webapp.usecases import links as link_usecases
from webapp.usecases import quotes
from webapp.web.actions import refused
from webapp.web.files import download

bp = Blueprint("public", __name__)


@bp.get("/<token>")
@limiter.limit("60 per minute")
def document(token: str):
    doc = link_usecases.open_link(token)  # records the first visit (the one write a GET makes)
    org = db.session.get(Organization, doc.org_id)
    locale = document_locale(doc, org)
    seller, buyer = parties(doc, org)
    with customer_language(locale):
        html = render_template("public/document.html", doc=doc, org=org, locale=locale, token=token,
                               seller=seller, buyer=buyer,
                               qr=pdf_service.epc_qr_data_uri(doc, amount=doc.amount_due) if doc.amount_due > 0 else None,
                               overdue=doc.is_overdue)
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>/pdf")
@limiter.limit("60 per minute")
def pdf(token: str):
    doc = links.public_document(token)
    if doc is None:
        abort(404)
    return download(pdf_service.document_pdf(doc, db.session.get(Organization, doc.org_id)),
                    pdf_service.filename(doc))


@bp.post("/<token>/<any(accept, decline):action>")
@limiter.limit("20 per minute")
def decide(token: str, action: str):
    """The customer accepts or declines a quote: a POST with the link's token (a link preview only GETs)."""
    with refused(redirect=url_for("public.document", token=token)):
        quotes.decide_at_link(token, action, clean_line(request.form.get("note", "")))
    return redirect(url_for("public.document", token=token), code=303)
