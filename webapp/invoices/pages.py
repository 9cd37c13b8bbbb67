"""Reading: the list (invoices, credit notes, quotes), the document page, its PDF."""
from __future__ import annotations

from flask import abort, request, url_for

from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.htmx import is_htmx, render
from webapp.invoices import bp
from webapp.invoices.common import load, show_page
from webapp.models import Contact
from webapp.queries import documents as document_queries
from webapp.services import pdf as pdf_service
from webapp.domain.einvoice import FORMATS
from webapp.domain.errors import Text
from webapp.tenancy import current_actor, current_org, require_permission
from webapp.usecases import einvoices
from webapp.web.files import download


@bp.get("/")
@require_permission("view")
def index():
    query = document_queries.parse_query(request.args)
    page = document_queries.search_documents(current_org().id, query, kind=query.kind)
    customer = db.session.get(Contact, query.contact_id) if query.contact_id else None
    if customer is not None and customer.org_id != current_org().id:
        customer = None
    response = render("invoices/index.html", "invoices/_list.html", status=422 if query.errors else 200,
                      page=page, query=query, customer=customer,
                      statuses=document_queries.QUOTE_STATUSES if query.kind == "quote" else document_queries.STATUSES,
                      sorts=document_queries.SORT_LABELS, labels=status_table.STATUS_LABELS)
    if is_htmx():
        response.headers["HX-Push-Url"] = url_for("invoices.index", **query.url_args())
    return response


@bp.get("/<int:document_id>")
@require_permission("view")
def show(document_id: int):
    return show_page(document_id)


@bp.get("/<int:document_id>/pdf")
@require_permission("view")
def pdf(document_id: int):
    doc = load(document_id)
    return download(pdf_service.document_pdf(doc, current_org()), pdf_service.filename(doc))


@bp.get("/<int:document_id>/xml")
@require_permission("view")
def einvoice_xml(document_id: int):
    """The issued document's e-invoice XML (``?format=xrechnung-ubl|xrechnung-cii|facturx-cii``; without one the
    customer's format, else Factur-X), as stored at issue. An unknown format is a 400."""
    fmt = request.args.get("format", "").strip()
    if fmt and fmt not in FORMATS:
        abort(400, str(Text(einvoices.UNKNOWN_FORMAT.template, format=fmt[:40])))
    file = einvoices.download(current_actor(), document_id, fmt or None)
    return download(file.data, file.filename, file.mimetype)
