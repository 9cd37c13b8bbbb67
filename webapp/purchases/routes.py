"""The purchases list, the inbox (upload a supplier's files) and a purchase's supplier file."""
from __future__ import annotations

from flask import abort, current_app, request, url_for

from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.htmx import is_htmx, redirect_to, render
from webapp.models import Contact
from webapp.purchases import bp
from webapp.queries import documents as document_queries
from webapp.services import inbox, storage
from webapp.tenancy import current_actor, current_org, require_permission
from webapp.usecases import inbox as inbox_usecases
from webapp.usecases.inbox import MAX_FILES, Upload
from webapp.web.actions import refused
from webapp.web.files import stored_file


@bp.get("/")
@require_permission("view")
def index():
    query = document_queries.parse_query(request.args, flow="purchases")
    page = document_queries.search_documents(current_org().id, query, kind=query.kind)
    supplier = db.session.get(Contact, query.contact_id) if query.contact_id else None
    if supplier is not None and supplier.org_id != current_org().id:
        supplier = None
    response = render("purchases/index.html", "invoices/_list.html", status=422 if query.errors else 200,
                      page=page, query=query, customer=supplier, statuses=document_queries.STATUSES,
                      sorts=document_queries.SORT_LABELS, labels=status_table.STATUS_LABELS)
    if is_htmx():
        response.headers["HX-Push-Url"] = url_for("purchases.index", **query.url_args())
    return response


def _max_mb() -> int:
    """What one upload may carry in all, in MB: the request limit (``MAX_CONTENT_LENGTH``) or a file's."""
    limit = min(inbox.MAX_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or inbox.MAX_BYTES)
    return limit // (1024 * 1024)


def _uploads() -> list[Upload]:
    parts = [u for u in request.files.getlist("files") if u is not None and u.filename]
    # one more than allowed: the limit is told, not cut; each read one byte over the limit to tell it
    return [Upload(u.filename, u.read(inbox.MAX_BYTES + 1)) for u in parts[:MAX_FILES + 1]]


@bp.post("/new")
@require_permission("book_purchases")
def create():
    """A blank purchase draft (``kind`` invoice or credit_note), straight into the editor."""
    kind = "credit_note" if request.form.get("kind") == "credit_note" else "invoice"
    doc = inbox_usecases.start_purchase(current_actor(), kind)
    return redirect_to(url_for("invoices.edit", document_id=doc.id))


@bp.get("/inbox")
@require_permission("upload_purchases")
def inbox_page():
    return render("purchases/inbox.html", outcomes=None, max_files=MAX_FILES,
                  max_mb=_max_mb())


@bp.post("/inbox")
@require_permission("upload_purchases")
def upload():
    with refused() as refusal:
        outcomes = inbox_usecases.receive_files(current_actor(), _uploads())
        return render("purchases/inbox.html", "purchases/_results.html", outcomes=outcomes, max_files=MAX_FILES,
                      max_mb=_max_mb())
    return render("purchases/inbox.html", "purchases/_results.html", status=422, outcomes=None,
                  error=refusal.error.message, max_files=MAX_FILES, max_mb=_max_mb())


@bp.get("/<int:document_id>/file")
@require_permission("view")
def supplier_file(document_id: int):
    """The supplier's file of a purchase: a download, as every uploaded file (web/files.stored_file)."""
    file = inbox_usecases.supplier_file(current_actor(), document_id)
    path = storage.local_path(file.org_id, file.file_key)
    if path is None:
        abort(404)
    return stored_file(path, file.file_name, file.file_mime)
