"""Customers: list with live search and filters, create/edit, archive, delete, custom fields, CSV."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from sqlalchemy.orm import selectinload

from webapp.customers.forms import CustomFieldForm, ImportUploadForm, customer_form_class
from webapp.extensions import db
from webapp.forms import ButtonForm, id_arg
from webapp.htmx import is_htmx, redirect_to, render
from webapp.domain.status import STATUS_LABELS
from webapp.queries.documents import open_balances
from webapp.models import AuditEvent, Contact, CustomField, Document, ImportJob
from webapp.queries import contacts as contact_queries
from webapp.services import audit, contacts, customer_csv
from webapp.services.contacts import ContactError
from webapp.services.customer_csv import ImportError_
from webapp.tenancy import current_org, get_or_404, require_permission, scoped

bp = Blueprint("customers", __name__)
PREVIEW_ROWS = 10
SHOWN_ERRORS = 200


def _fields() -> list[CustomField]:
    return contacts.custom_fields(current_org().id)


@bp.get("/")
@require_permission("view")
def index():
    fields = _fields()
    query = contact_queries.parse_query(request.args, fields)
    page = contact_queries.search_contacts(current_org().id, query)
    context = dict(page=page, query=query, fields=fields, sorts=contact_queries.SORT_LABELS,
                   statuses=contact_queries.STATUSES, operators=contact_queries.OPERATORS,
                   ops_by_type=contact_queries.OPS_BY_TYPE,
                   values={c.id: contacts.custom_values(c, fields) for c in page.items},
                   format_value=contacts.format_value)
    response = render("customers/index.html", "customers/_list.html", status=422 if query.errors else 200, **context)
    if is_htmx():  # push the short, canonical address of this search, not every empty form field
        response.headers["HX-Push-Url"] = url_for("customers.index", **query.url_args())
    return response


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
        contact = contacts.save_contact(org, current_user, None, form.contact_values(), form.custom_values(), fields)
        duplicates = contacts.duplicates_of_email(org.id, contact.email, exclude_id=contact.id)
        db.session.commit()
        flash(f"{contact.display_name} was added.", "success")
        if duplicates:
            flash(f"Note: {', '.join(d.display_name for d in duplicates)} uses the same e-mail address.", "warning")
        return redirect_to(url_for("customers.show", contact_id=contact.id))
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
        scoped(Document).where(Document.contact_id == contact.id, Document.kind == "invoice")
        .order_by(Document.issue_date.desc().nulls_first(), Document.id.desc()).limit(50)).all()
    balance = open_balances(contact.org_id, contact_id=contact.id)
    return render("customers/show.html", contact=contact, fields=fields, values=contacts.custom_values(contact, fields),
                  invoices=invoices, balance=balance, labels=STATUS_LABELS,
                  format_value=contacts.format_value, events=events,
                  duplicates=contacts.duplicates_of_email(contact.org_id, contact.email, exclude_id=contact.id))


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@require_permission("manage_customers")
def edit(contact_id: int):
    org = current_org()
    contact = get_or_404(Contact, contact_id)
    fields = _fields()
    form_class = customer_form_class(fields)
    if request.method == "GET":
        form = form_class(obj=contact, **{f"cf_{k}": v for k, v in contacts.custom_values(contact, fields).items()})
    else:
        form = form_class()
    if form.validate_on_submit():
        contacts.save_contact(org, current_user, contact, form.contact_values(), form.custom_values(), fields)
        db.session.commit()
        flash(f"{contact.display_name} was saved.", "success")
        return redirect_to(url_for("customers.show", contact_id=contact.id))
    return _form_page(form, contact, 422 if form.errors else 200)


@bp.get("/email-check")
@require_permission("view")
def email_check():
    """htmx: warn while typing when another customer of the organization has this e-mail."""
    duplicates = contacts.duplicates_of_email(current_org().id, request.args.get("email", ""),
                                              exclude_id=id_arg(request.args, "exclude"))
    return render("customers/_email_warning.html", duplicates=duplicates)


def _set_archived(contact_id: int, archived: bool):
    contact = get_or_404(Contact, contact_id)
    contacts.set_archived(current_org(), current_user, contact, archived)
    db.session.commit()
    flash(f"{contact.display_name} is archived. Restore it any time from the archived list." if archived
          else f"{contact.display_name} is active again.", "success")
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
    contact = get_or_404(Contact, contact_id)
    name = contact.display_name
    try:
        contacts.delete_contact(current_org(), current_user, contact)
    except ContactError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect_to(url_for("customers.show", contact_id=contact_id))
    db.session.commit()
    flash(f"{name} was deleted.", "success")
    return redirect_to(url_for("customers.index"))


# --- custom fields ----------------------------------------------------------------------------------

@bp.route("/fields", methods=["GET", "POST"])
@require_permission("manage_custom_fields")
def fields():
    org = current_org()
    form = CustomFieldForm()
    existing = _fields()
    if form.validate_on_submit():
        if any(f.key == form.key.data for f in existing):
            form.key.errors.append("Another field already uses this key.")
        else:
            field = CustomField(org_id=org.id, key=form.key.data, label=form.label.data, type=form.type.data,
                                options=form.options.data, position=len(existing))
            db.session.add(field)
            db.session.flush()
            audit.record(org, current_user, "custom_field.created", field,
                         summary=f"{current_user.email} added the customer field {field.label}")
            db.session.commit()
            flash(f"The field {field.label} was added to every customer.", "success")
            return redirect_to(url_for("customers.fields"))
    return render("customers/fields.html", status=422 if form.errors else 200, form=form, fields=existing,
                  types=CustomField.TYPES, button_form=ButtonForm())


@bp.post("/fields/<int:field_id>/delete")
@require_permission("manage_custom_fields")
def delete_field(field_id: int):
    field = get_or_404(CustomField, field_id)
    audit.record(current_org(), current_user, "custom_field.deleted", field,
                 summary=f"{current_user.email} deleted the customer field {field.label} and its values")
    db.session.delete(field)
    db.session.commit()
    flash(f"The field {field.label} and its values were deleted.", "success")
    return redirect_to(url_for("customers.fields"))


# --- CSV ------------------------------------------------------------------------------------------

@bp.get("/export.csv")
@require_permission("export")
def export():
    org_id = current_org().id
    fields = _fields()
    query = contact_queries.parse_query(request.args, fields)
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
            form.file.errors.append("Choose a CSV file.")
        else:
            try:
                job = customer_csv.create_job(current_org(), current_user, storage.filename,
                                              storage.read(customer_csv.MAX_UPLOAD_BYTES + 1), _fields())
            except ImportError_ as exc:
                form.file.errors.append(exc.message)
            else:
                db.session.commit()
                return redirect_to(url_for("customers.import_preview", job_id=job.id))
    return render("customers/import.html", status=422 if form.errors else 200, form=form)


def _preview(job: ImportJob, status: int = 200, message: str | None = None):
    fields = _fields()
    result = customer_csv.validate(job, fields)
    _, body = customer_csv.read_table(job.content)
    return render("customers/import_preview.html", "customers/_import_preview.html", status=status, job=job,
                  result=result, rows=body[:PREVIEW_ROWS], errors=result.errors[:SHOWN_ERRORS],
                  targets=customer_csv.target_choices(fields), message=message, button_form=ButtonForm())


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@require_permission("import_customers")
def import_preview(job_id: int):
    job = get_or_404(ImportJob, job_id)
    if job.finished_at is not None:
        flash(f"{job.filename} was already imported ({job.imported_count} customers).", "info")
        return redirect_to(url_for("customers.index"))
    if request.method == "POST":  # a changed column mapping
        header, _ = customer_csv.read_table(job.content)
        allowed = {key for key, _ in customer_csv.target_choices(_fields())}
        mapping = {}
        for index in range(len(header)):
            target = request.form.get(f"col_{index}", "")
            if target not in allowed:
                return _preview(job, 422, f"Column {index + 1}: choose a field from the list.")
            mapping[str(index)] = target
        job.mapping = mapping
        db.session.commit()
    return _preview(job)


@bp.post("/import/<int:job_id>/run")
@require_permission("import_customers")
def import_run(job_id: int):
    job = get_or_404(ImportJob, job_id)
    valid_only = request.form.get("mode") == "valid_only"
    try:
        count = customer_csv.run_import(current_org(), current_user, job, _fields(), valid_only=valid_only)
    except ImportError_ as exc:
        db.session.rollback()
        return _preview(job, 422, exc.message)
    db.session.commit()
    flash(f"{count} customers were imported from {job.filename}.", "success")
    return redirect_to(url_for("customers.index", sort="newest"))
