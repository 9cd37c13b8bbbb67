"""The customer's page: an issued document at its secret link, without an account."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for

from webapp.extensions import db, limiter
from webapp.i18n import customer_language, document_locale
from webapp.models import Organization
from webapp.forms import clean_line
from webapp.services import documents, quotes
from webapp.services.documents import DocumentError
from webapp.services import pdf as pdf_service

bp = Blueprint("public", __name__)


def _document(token: str):
    doc = documents.public_document(token)
    if doc is None:
        abort(404)
    return doc


@bp.get("/<token>")
@limiter.limit("60 per minute")
def document(token: str):
    doc = _document(token)
    if documents.record_view(doc):
        db.session.commit()
    org = db.session.get(Organization, doc.org_id)
    locale = document_locale(doc, org)
    with customer_language(locale):
        html = render_template("public/document.html", doc=doc, org=org, locale=locale, token=token,
                               qr=pdf_service.epc_qr_data_uri(doc, amount=doc.amount_due) if doc.amount_due > 0 else None,
                               overdue=doc.is_overdue)
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>/pdf")
@limiter.limit("60 per minute")
def pdf(token: str):
    doc = _document(token)
    return pdf_service.download(doc, db.session.get(Organization, doc.org_id))


@bp.post("/<token>/<any(accept, decline):action>")
@limiter.limit("20 per minute")
def decide(token: str, action: str):
    """The customer accepts or declines a quote: a POST with the link's token (a link preview only GETs)."""
    doc = _document(token)
    if doc.kind != "quote":
        abort(404)
    org = db.session.get(Organization, doc.org_id)
    doc = documents.lock_document(org, doc.id)  # the owner may record a decision at the same moment
    try:
        quotes.decide(org, None, doc, action, clean_line(request.form.get("note", ""))[:300])
        db.session.commit()
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("public.document", token=token), code=303)
