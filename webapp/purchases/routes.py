"""The purchases list, the inbox (upload a supplier's files) and a purchase's supplier file."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, request, url_for
from flask_babel import gettext as _, ngettext

from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.htmx import is_htmx, redirect_to, render
from webapp.models import Contact
from webapp.purchases import bp
from webapp.forms import date_arg
from webapp.domain.units import _n
from webapp.queries import documents as document_queries
from webapp.queries import vat as vat_queries
from webapp.services import inbox, storage
from webapp.tenancy import current_actor, current_org, require_document_permission, require_permission
from webapp.purchases.forms import CategoryForm
from webapp.usecases import expense_categories as category_usecases
from webapp.usecases import inbox as inbox_usecases
from webapp.usecases.inbox import MAX_FILES, Upload
from webapp.web.actions import refused
from webapp.web.files import stored_file, upload_limit_mb


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
    return upload_limit_mb(inbox.MAX_BYTES)


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


@bp.post("/<int:document_id>/file")
@require_document_permission("edit")
def attach_file(document_id: int):
    """The supplier's PDF or scan, attached to a purchase draft entered by hand (back to its page)."""
    part = request.files.get("file")
    upload_ = Upload(part.filename or "", part.read(inbox.MAX_BYTES + 1)) if part is not None else Upload("", b"")
    with refused(redirect=url_for("invoices.show", document_id=document_id, _anchor="supplier-file")):
        inbox_usecases.attach_supplier_file(current_actor(), document_id, upload_)
        flash(_("The supplier's file was attached."), "success")
    return redirect_to(url_for("invoices.show", document_id=document_id, _anchor="supplier-file"))


@bp.get("/<int:document_id>/file")
@require_permission("view")
def supplier_file(document_id: int):
    """The supplier's file of a purchase: a download, as every uploaded file (web/files.stored_file)."""
    file = inbox_usecases.supplier_file(current_actor(), document_id)
    path = storage.local_path(file.org_id, file.file_key)
    if path is None:
        abort(404)
    return stored_file(path, file.file_name, file.file_mime)


@bp.get("/vat")
@require_permission("view")
def input_vat():
    """The input VAT of the purchases booked in a period (default: this quarter so far), per rate."""
    errors: list = []
    given = "from" in request.args or "to" in request.args
    date_from, date_to = vat_queries.quarter_so_far(date.today())
    if given:
        date_from = date_arg(request.args, "from", _n("From"), errors)
        date_to = date_arg(request.args, "to", _n("Until"), errors)
    rows = vat_queries.vat_per_rate(current_org().id, "purchases", date_from, date_to)
    return render("purchases/vat.html", status=422 if errors else 200, rows=rows, errors=errors,
                  date_from=date_from, date_to=date_to)


# --- expense categories ------------------------------------------------------------------------------------

def _categories_page(status: int = 200, new_form: CategoryForm | None = None, forms: dict | None = None):
    categories = category_usecases.list_categories(current_actor())
    forms = forms or {}
    rows = [(c, forms.get(c.id) or CategoryForm(formdata=None, obj=c, prefix=f"c{c.id}")) for c in categories]
    return render("purchases/categories.html", status=status, rows=rows,
                  new_form=new_form or CategoryForm(formdata=None, prefix="new"))


@bp.get("/categories")
@require_permission("view")
def categories():
    return _categories_page()


@bp.post("/categories")
@require_permission("manage_expense_categories")
def add_category():
    form = CategoryForm(prefix="new")
    with refused(form, default_field="name"):
        category = category_usecases.add_category(current_actor(), category_usecases.CategoryInput(
            form.name.data or "", form.account.data or ""))
        flash(_("The category %(name)s was added.", name=category.name), "success")
        return redirect_to(url_for("purchases.categories"))
    return _categories_page(422, new_form=form)


@bp.post("/categories/<int:category_id>")
@require_permission("manage_expense_categories")
def change_category(category_id: int):
    form = CategoryForm(prefix=f"c{category_id}")
    with refused(form, default_field="name"):
        category = category_usecases.change_category(current_actor(), category_id, category_usecases.CategoryInput(
            form.name.data or "", form.account.data or ""))
        flash(_("The category %(name)s was saved.", name=category.name), "success")
        return redirect_to(url_for("purchases.categories"))
    return _categories_page(422, forms={category_id: form})


@bp.post("/categories/<int:category_id>/archive")
@require_permission("manage_expense_categories")
def archive_category(category_id: int):
    archived = request.form.get("archived", "1") != "0"
    category = category_usecases.set_archived(current_actor(), category_id, archived)
    flash(_("The category %(name)s was archived.", name=category.name) if archived
          else _("The category %(name)s is in use again.", name=category.name), "success")
    return redirect_to(url_for("purchases.categories"))


@bp.post("/categories/common")
@require_permission("manage_expense_categories")
def add_common_categories():
    added = category_usecases.add_common_categories(current_actor(), _)
    flash(ngettext("%(num)d category was added.", "%(num)d categories were added.", added), "success")
    return redirect_to(url_for("purchases.categories"))
