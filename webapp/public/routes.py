"""The customer's page: an issued document at its secret link, without an account."""
from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from webapp.extensions import db, limiter
from webapp.forms import clean_line
from webapp.i18n import customer_language, document_locale
from webapp.models import Organization
from webapp.queries import public as public_queries
from webapp.services import einvoice_check, einvoice_xml, links
from webapp.services import pdf as pdf_service
from webapp.services.snapshots import parties
from webapp.usecases import links as link_usecases
from webapp.usecases import quotes
from webapp.usecases.einvoices import E_INVOICE_KINDS
from webapp.web.actions import refused
from webapp.web.files import download

bp = Blueprint("public", __name__)


@bp.get("/<token>")
@limiter.limit("60 per minute")
def document(token: str):
    doc = link_usecases.open_link(token)  # records the first visit (the one write a GET makes)
    org = db.session.get(Organization, doc.org_id)
    # ?answer=accept|decline: the quote's page asks once more before the decision is posted
    answer = request.args.get("answer")
    answer = answer if answer in quotes.DECISIONS and doc.kind == "quote" and doc.current_status == "sent" else None
    locale = document_locale(doc, org)
    seller, buyer = parties(doc, org)
    logo = (url_for("public.logo", token=token, v=int(org.logo_updated_at.timestamp()) if org.logo_updated_at else 0)
            if public_queries.has_logo(org) else None)
    with customer_language(locale):
        html = render_template("public/document.html", doc=doc, org=org, locale=locale, token=token,
                               seller=seller, buyer=buyer, logo=logo, paid_on=public_queries.paid_on(doc),
                               qr=pdf_service.epc_qr_data_uri(doc, amount=doc.amount_due) if doc.amount_due > 0 else None,
                               overdue=doc.is_overdue, answer=answer,
                               einvoice_format=einvoice_xml.effective_format(doc)
                               if doc.kind in E_INVOICE_KINDS else "")
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


@bp.get("/<token>/xml")
@limiter.limit("60 per minute")
def einvoice(token: str):
    """The customer's e-invoice (the format the customer gets: an XRechnung, or the Factur-X XML its PDF also
    carries), as stored at issue; none (404) when the customer gets the PDF only."""
    doc = links.public_document(token)
    fmt = einvoice_xml.effective_format(doc) if doc is not None and doc.kind in E_INVOICE_KINDS else ""
    if not fmt:
        abort(404)
    return download(einvoice_check.served(doc, db.session.get(Organization, doc.org_id), fmt),
                    einvoice_xml.filename(doc, fmt), "application/xml")


@bp.get("/<token>/logo")
@limiter.limit("60 per minute")
def logo(token: str):
    """The seller's logo for the customer's page (the PDF embeds it): a PNG or JPEG from the organization's row,
    behind the same token as the page (a revoked link shows nothing), never sniffed, never run as a document."""
    doc = links.public_document(token)
    org = db.session.get(Organization, doc.org_id) if doc is not None else None
    if org is None or not public_queries.has_logo(org) or not org.logo:
        abort(404)
    response = make_response(org.logo)
    response.mimetype = org.logo_mime
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"  # the page's URL changes with the logo (?v=)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.post("/<token>/<any(accept, decline):action>")
@limiter.limit("20 per minute")
def decide(token: str, action: str):
    """The customer accepts or declines a quote: a POST with the link's token (a link preview only GETs), from
    the page's confirmation step (``confirm=yes``); without it the answer is that step."""
    if request.form.get("confirm") != "yes":
        return redirect(url_for("public.document", token=token, answer=action), code=303)
    with refused(redirect=url_for("public.document", token=token)):
        quotes.decide_at_link(token, action, clean_line(request.form.get("note", "")))
    return redirect(url_for("public.document", token=token), code=303)
