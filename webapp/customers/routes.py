"""Customers: list with live search and filters, create/edit, archive, delete, custom fields, CSV."""
from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_babel import gettext as _, ngettext

from sqlalchemy.orm import selectinload

from webapp.customers.forms import CustomFieldForm, ImportUploadForm, customer_form_class
from webapp.extensions import db
from webapp.forms import ButtonForm, id_arg
from webapp.htmx import is_htmx, redirect_to, render
from webapp.i18n import member_locale
from webapp.domain.einvoice import FORMAT_LABELS
from webapp.domain.status import STATUS_LABELS
from webapp.queries.documents import open_balances
from webapp.models import AuditEvent, Contact, CustomField, Document, ImportJob
from webapp.models.contact import APPLIES_TO
from webapp.services import attributes
from webapp.queries import contacts as contact_queries
from webapp.services import contacts, customer_csv
from webapp.tenancy import current_actor, current_org, get_or_404, require_permission, scoped
from webapp.usecases import customers
from webapp.web.actions import refused

bp = Blueprint("customers", __name__)
PREVIEW_ROWS = 10
SHOWN_ERRORS = 200


def _fields() -> list[CustomField]:
    return contacts.custom_fields(current_org().id)


@bp.get("/")
@require_permission("view")
def index():
    fields = _fields()
    query = contact_queries.parse_query(request.args, fields, member_locale())
    page = contact_queries.search_contacts(current_org().id, query)
    context = dict(page=page, query=query, fields=fields, sorts=_translated(contact_queries.SORT_LABELS),
                   statuses=_translated(contact_queries.STATUSES), operators=contact_queries.OPERATORS,
                   ops_by_type=contact_queries.OPS_BY_TYPE,
                   values={c.id: contacts.custom_values(c, fields) for c in page.items},
                   format_value=partial(contacts.format_value, locale=member_locale()))
    response = render("customers/index.html", "customers/_list.html", status=422 if query.errors else 200, **context)
    if is_htmx():  # push the short, canonical address of this search, not every empty form field
        response.headers["HX-Push-Url"] = url_for("customers.index", **query.url_args())
    return response


def _translated(labels: dict[str, str]) -> dict[str, str]:
    return {key: _(label) for key, label in labels.items()}


def _input(form) -> customers.CustomerInput:
    return customers.CustomerInput(values=form.contact_values(), custom=form.custom_values())


def _form_page(form, contact: Contact | None, status: int = 200):
    duplicates = contacts.duplicates_of_email(current_org().id, form.email.data or "",
                                              exclude_id=contact.id if contact else None)
    return render("customers/form.html", status=status, form=form, contact=contact, duplicates=duplicates)


@bp.route("/new", methods=["GET", "POST"])
@require_permission("manage_customers")
def new():
    org = current_org()
    fields = _fields()
    form = customer_form_class(fields)(country=org.country)
    if form.validate_on_submit():
        with refused(form):
            saved = customers.save_customer(current_actor(), None, _input(form))
            flash(_("%(name)s was added.", name=saved.contact.display_name), "success")
            if saved.same_email:
                flash(ngettext("Note: %(names)s uses the same e-mail address.",
                               "Note: %(names)s use the same e-mail address.", len(saved.same_email),
                               names=", ".join(d.display_name for d in saved.same_email)), "warning")
            return redirect_to(url_for("customers.show", contact_id=saved.contact.id))
    return _form_page(form, None, 422 if form.errors else 200)


@bp.get("/<int:contact_id>")
@require_permission("view")
def show(contact_id: int):
    contact = get_or_404(Contact, contact_id)
    fields = _fields()
    events = db.session.scalars(
        scoped(AuditEvent).where(AuditEvent.object_type == "contact", AuditEvent.object_id == contact.id)
        .order_by(AuditEvent.id.desc()).limit(20)).all()
    invoices = db.session.scalars(
        scoped(Document).where(Document.contact_id == contact.id, Document.kind == "invoice", Document.flow == "sales")
        .order_by(Document.issue_date.desc().nulls_first(), Document.id.desc()).limit(50)).all()
    balance = open_balances(contact.org_id, contact_id=contact.id)
    # a supplier: its invoices and credit notes to the organization, and what is owed to it
    bought = db.session.scalars(
        scoped(Document).where(Document.contact_id == contact.id, Document.flow == "purchases")
        .order_by(Document.issue_date.desc().nulls_first(), Document.id.desc()).limit(50)).all()
    payables = open_balances(contact.org_id, contact_id=contact.id, flow="purchases")
    return render("customers/show.html", contact=contact, fields=fields, values=contacts.custom_values(contact, fields),
                  invoices=invoices, balance=balance, purchases=bought, payables=payables, labels=STATUS_LABELS,
                  format_labels=FORMAT_LABELS,
                  format_value=partial(contacts.format_value, locale=member_locale()), events=events,
                  duplicates=contacts.duplicates_of_email(contact.org_id, contact.email, exclude_id=contact.id))


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@require_permission("manage_customers")
def edit(contact_id: int):
    contact = get_or_404(Contact, contact_id)
    fields = _fields()
    form_class = customer_form_class(fields)
    if request.method == "GET":
        form = form_class(obj=contact, **{f"cf_{k}": v for k, v in contacts.custom_values(contact, fields).items()})
    else:
        form = form_class()
    if form.validate_on_submit():
        with refused(form):
            saved = customers.save_customer(current_actor(), contact_id, _input(form))
            flash(_("%(name)s was saved.", name=saved.contact.display_name), "success")
            return redirect_to(url_for("customers.show", contact_id=contact_id))
    return _form_page(form, contact, 422 if form.errors else 200)


@bp.get("/email-check")
@require_permission("view")
def email_check():
    """htmx: warn while typing when another customer of the organization has this e-mail."""
    duplicates = contacts.duplicates_of_email(current_org().id, request.args.get("email", ""),
                                              exclude_id=id_arg(request.args, "exclude"))
    return render("customers/_email_warning.html", duplicates=duplicates)


def _set_archived(contact_id: int, archived: bool):
    contact = customers.set_archived(current_actor(), contact_id, archived)
    flash(_("%(name)s is archived. Restore it any time from the archived list.", name=contact.display_name)
          if archived else _("%(name)s is active again.", name=contact.display_name), "success")
    return redirect_to(url_for("customers.show", contact_id=contact.id))


@bp.post("/<int:contact_id>/archive")
@require_permission("manage_customers")
def archive(contact_id: int):
    return _set_archived(contact_id, True)


@bp.post("/<int:contact_id>/restore")
@require_permission("manage_customers")
def restore(contact_id: int):
    return _set_archived(contact_id, False)


@bp.post("/<int:contact_id>/delete")
@require_permission("manage_customers")
def delete(contact_id: int):
    with refused(redirect=url_for("customers.show", contact_id=contact_id)):
        name = customers.delete_customer(current_actor(), contact_id)
    flash(_("%(name)s was deleted.", name=name), "success")
    return redirect_to(url_for("customers.index"))


# --- custom fields ----------------------------------------------------------------------------------

@bp.route("/fields", methods=["GET", "POST"])
@require_permission("manage_custom_fields")
def fields():
    form = CustomFieldForm()
    if form.validate_on_submit():
        with refused(form):
            field = customers.add_custom_field(current_actor(), customers.FieldInput(
                key=form.key.data, label=form.label.data, type=form.type.data, options=form.options.data,
                applies_to=form.applies_to.data))
            flash(_("The field %(label)s was added to every customer.", label=field.label)
                  if field.applies_to == "customer" else
                  _("The field %(label)s was added to every invoice.", label=field.label), "success")
            return redirect_to(url_for("customers.fields"))
    existing = [*_fields(), *attributes.fields(current_org().id)]
    return render("customers/fields.html", status=422 if form.errors else 200, form=form, fields=existing,
                  types=CustomField.TYPES, applies_to=APPLIES_TO, button_form=ButtonForm())


@bp.post("/fields/<int:field_id>/delete")
@require_permission("manage_custom_fields")
def delete_field(field_id: int):
    with refused(redirect=url_for("customers.fields")):
        label = customers.delete_custom_field(current_actor(), field_id)
        flash(_("The field %(label)s and its values were deleted.", label=label), "success")
    return redirect_to(url_for("customers.fields"))


# --- CSV ------------------------------------------------------------------------------------------

@bp.get("/export.csv")
@require_permission("export")
def export():
    org_id = current_org().id
    fields = _fields()
    query = contact_queries.parse_query(request.args, fields, member_locale())
    if query.errors:
        abort(422)
    stmt = contact_queries.contact_select(org_id, query).options(
        selectinload(Contact.field_values)).execution_options(yield_per=1000)
    body = "".join(customer_csv.export_rows(db.session.scalars(stmt), fields))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response


@bp.route("/import", methods=["GET", "POST"])
@require_permission("import_customers")
def import_upload():
    form = ImportUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        if storage is None or not getattr(storage, "filename", ""):
            form.file.errors.append(_("Choose a CSV file."))
        else:
            with refused(form, default_field="file"):
                job = customers.start_import(current_actor(), storage.filename,
                                             storage.read(customer_csv.MAX_UPLOAD_BYTES + 1))
                return redirect_to(url_for("customers.import_preview", job_id=job.id))
    return render("customers/import.html", status=422 if form.errors else 200, form=form)


def _preview(job: ImportJob, status: int = 200, message: str | None = None):
    fields = _fields()
    result = customer_csv.validate(job, fields)
    _header, body = customer_csv.read_table(job.content)
    return render("customers/import_preview.html", "customers/_import_preview.html", status=status, job=job,
                  result=result, rows=body[:PREVIEW_ROWS], errors=result.errors[:SHOWN_ERRORS],
                  targets=customer_csv.target_choices(fields), message=message, button_form=ButtonForm())


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@require_permission("import_customers")
def import_preview(job_id: int):
    job = get_or_404(ImportJob, job_id)
    if job.kind != "customers":  # a bank statement's CSV waiting for its layout (the bank page's)
        abort(404)
    if job.finished_at is not None:
        flash(ngettext("%(filename)s was already imported (%(num)d customer).",
                       "%(filename)s was already imported (%(num)d customers).", job.imported_count,
                       filename=job.filename), "info")
        return redirect_to(url_for("customers.index"))
    if request.method == "POST":  # a changed column mapping
        header, _rows = customer_csv.read_table(job.content)
        targets = [request.form.get(f"col_{index}", "") for index in range(len(header))]
        with refused() as refusal:
            customers.map_import(current_actor(), job_id, targets)
        if refusal.error is not None:
            return _preview(get_or_404(ImportJob, job_id), 422, refusal.error.message)
    return _preview(job)


@bp.post("/import/<int:job_id>/run")
@require_permission("import_customers")
def import_run(job_id: int):
    valid_only = request.form.get("mode") == "valid_only"
    with refused() as refusal:
        job, count = customers.run_import(current_actor(), job_id, valid_only)
    if refusal.error is not None:
        return _preview(get_or_404(ImportJob, job_id), 422, refusal.error.message)
    flash(ngettext("%(num)d customer was imported from %(filename)s.", "%(num)d customers were imported from %(filename)s.", count, filename=job.filename), "success")
    return redirect_to(url_for("customers.index", sort="newest"))
