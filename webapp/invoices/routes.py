"""Invoices: list, new draft, the live editor, issuing, the invoice page, delete and duplicate.

The editor sends each change as its own small request (htmx), with the draft's version. The answer is
the changed region plus the totals block and the version as out-of-band swaps of the same partials.
Without JavaScript every editor form posts normally and comes back to the editor page.
"""
from __future__ import annotations

import secrets
from datetime import date

from flask import (Blueprint, abort, current_app, flash, make_response, render_template, request, send_file,
                   url_for)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from webapp.domain import status as status_table
from webapp.domain.money import from_minor, precision, round_money, to_minor
from webapp.domain.placeholders import PLACEHOLDERS
from webapp.domain.roles import can
from webapp.extensions import begin_write, db
from webapp.domain.numbers import parse_decimal
from webapp.forms import ButtonForm, as_choices, clean_line, clean_text, id_arg
from webapp.htmx import is_htmx, redirect_to, render
from webapp.invoices.forms import (AdjustmentForm, CancelForm, CreditForm, HeaderForm, LineForm, MarkPaidForm, PaymentForm,
                                   QuickCustomerForm, RecipientForm, SendForm, VoidForm, rate_choices)
from webapp.models import (AuditEvent, Contact, Document, DocumentAdjustment, DocumentLine, DocumentNote, OutboxMessage,
                           Payment, Product, TaxRate)
from webapp.queries import documents as document_queries
from webapp.services import contacts, corrections, documents, notes, payments, quotes, sending
from webapp.services import pdf as pdf_service
from webapp.services.documents import PAYMENT_TERMS, DocumentError, StaleDocument
from webapp.tenancy import current_org, current_role, get_or_404, require_permission, scoped

bp = Blueprint("invoices", __name__)


def _rates(extra=()) -> list[TaxRate]:
    rates = db.session.scalars(scoped(TaxRate).where(TaxRate.archived.is_(False))
                               .order_by(TaxRate.is_default.desc(), TaxRate.category, TaxRate.percent.desc())).all()
    ids = {r.id for r in rates}
    for rate_id in extra:
        if rate_id and rate_id not in ids:
            rate = db.session.get(TaxRate, rate_id)
            if rate is not None and rate.org_id == current_org().id:
                rates.append(rate)
    return list(rates)


def _load(document_id: int) -> Document:
    return get_or_404(Document, document_id)


def _actions(doc: Document) -> list[str]:
    role = current_role()
    return [a for a in sorted(status_table.ACTIONS.get((doc.kind, doc.current_status), ()))
            if can(role, status_table.permission_for(doc.kind, a))]


def _authorize(doc: Document, action: str) -> None:
    """403 unless the member's role may do ``action`` to this kind of document."""
    if not can(current_role(), status_table.permission_for(doc.kind, action)):
        abort(403)


# --- list -------------------------------------------------------------------------------------------

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


# --- new draft ----------------------------------------------------------------------------------------

def _customer_matches() -> tuple[str, list[Contact]]:
    q = clean_line(request.args.get("q", ""))[:100]
    if not q:
        return q, []
    return q, db.session.scalars(scoped(Contact).where(Contact.archived.is_(False),
                                                       Contact.search_text.contains(q.lower(), autoescape=True))
                                 .order_by(Contact.sort_name).limit(10)).all()


@bp.get("/new")
@require_permission("edit_drafts")
def new():
    q, results = _customer_matches()
    form = QuickCustomerForm(country=current_org().country)
    return render("invoices/new.html", "invoices/_customer_results.html", q=q, results=results, form=form,
                  button_form=ButtonForm(), kind=_new_kind(request.args))


def _new_kind(values) -> str:
    return "quote" if values.get("kind") == "quote" else "invoice"


@bp.post("/new")
@require_permission("edit_drafts")
def create():
    contact = get_or_404(Contact, id_arg(request.form, "contact_id") or 0)
    doc = documents.new_draft(current_org(), current_user, contact, kind=_new_kind(request.form))
    db.session.commit()
    return redirect_to(url_for("invoices.edit", document_id=doc.id))


def _quick_customer(form: QuickCustomerForm) -> Contact:
    org = current_org()
    values = {"company_name": form.company_name.data, "person_name": form.person_name.data,
              "email": form.email.data, "country": form.country.data, "is_customer": True}
    return contacts.save_contact(org, current_user, None, values, {}, contacts.custom_fields(org.id))


@bp.post("/new/customer")
@require_permission("edit_drafts")
def create_with_customer():
    org = current_org()
    form = QuickCustomerForm()
    if form.validate_on_submit():
        contact = _quick_customer(form)
        doc = documents.new_draft(org, current_user, contact, kind=_new_kind(request.form))
        db.session.commit()
        flash(f"{contact.display_name} was added to your customers.", "success")
        return redirect_to(url_for("invoices.edit", document_id=doc.id))
    return render("invoices/new.html", status=422, q="", results=[], form=form, button_form=ButtonForm(),
                  kind=_new_kind(request.form))


# --- the editor ---------------------------------------------------------------------------------------

def _editor_context(doc: Document, **extra) -> dict:
    rate_ids = [x.tax_rate_id for x in [*doc.lines, *doc.adjustments]]
    context = {"doc": doc, "rates": _rates(rate_ids), "terms": PAYMENT_TERMS,
               "problems": documents.issue_problems(current_org(), doc), "button_form": ButtonForm(),
               "header_form_for": _header_form, "line_form_for": _line_form, "adjustment_form_for": _adjustment_form,
               "quick_form": QuickCustomerForm(formdata=None, country=current_org().country)}
    context.update(extra)
    return context


def _header_form(doc: Document, formdata=None) -> HeaderForm:
    terms = str(doc.payment_terms_days) if doc.payment_terms_days in PAYMENT_TERMS else "custom"
    return HeaderForm(formdata=formdata, obj=doc, payment_terms=terms,
                      payment_terms_custom=doc.payment_terms_days if terms == "custom" else None)


def _line_form(line: DocumentLine, rates, formdata=None) -> LineForm:
    form = LineForm(formdata=formdata, obj=line, prefix=f"l{line.id}", tax_rate_id=line.tax_rate_id or 0)
    form.tax_rate_id.choices = rate_choices(rates)
    return form


def _adjustment_form(adj: DocumentAdjustment, rates, formdata=None) -> AdjustmentForm:
    form = AdjustmentForm(formdata=formdata, obj=adj, prefix=f"a{adj.id}", tax_rate_id=adj.tax_rate_id or 0)
    form.tax_rate_id.choices = rate_choices(rates)
    return form


@bp.get("/<int:document_id>/edit")
@require_permission("edit_drafts")
def edit(document_id: int):
    doc = _load(document_id)
    if not doc.is_draft:
        flash(f"{doc.number} is issued and can no longer be edited.", "info")
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    return render("invoices/edit.html", **_editor_context(doc))


def _editor_answer(doc: Document, template: str, status: int = 200, **context):
    """The changed region, then the totals and the version out of band; a redirect without htmx."""
    if not is_htmx():
        if status >= 400:
            return render("invoices/edit.html", status=status, **_editor_context(doc, **context))
        return redirect_to(url_for("invoices.edit", document_id=doc.id))
    ctx = _editor_context(doc, **context)
    html = render_template(template, **ctx)
    if status < 400:
        html += render_template("invoices/_totals.html", oob=True, **ctx)
        html += render_template("invoices/_version.html", oob=True, **ctx)
        html += render_template("invoices/_issue.html", oob=True, **ctx)
    return make_response(html, status)


def _stale(doc_id: int, message: str):
    db.session.rollback()
    doc = _load(doc_id)
    flash(message, "error")
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id) if doc.is_draft
                           else url_for("invoices.show", document_id=doc.id))
    if not doc.is_draft:
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    response = make_response(render_template("invoices/_editor.html", **_editor_context(doc, stale=message)), 409)
    response.headers["HX-Retarget"] = "#invoice-editor"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _draft_for_change(document_id: int) -> Document:
    """The draft, checked against the version the editor sent (a StaleDocument when it changed)."""
    doc = _load(document_id)
    documents.require(doc, "edit")
    documents.check_version(doc, _sent_version())
    return doc


def _sent_version() -> int:
    """The editor's current version (kept up to date out of band), or the form's own without JavaScript.
    A change without a version is refused like a stale one."""
    for name in ("current_version", "version"):
        value = request.form.get(name, type=int)
        if value is not None:
            return value
    return -1


def _guarded(change):
    """Run an editor change: stale and issued drafts get the current state and a clear message."""
    def wrapped(document_id: int, *args, **kwargs):
        try:
            return change(document_id, *args, **kwargs)
        except StaleDocument as exc:
            return _stale(document_id, exc.message)
        except StaleDataError:
            return _stale(document_id, "Someone else changed this draft at the same moment. "
                                       "You now see the current state.")
        except DocumentError as exc:
            return _stale(document_id, exc.message)
    wrapped.__name__ = change.__name__
    return wrapped


@bp.post("/<int:document_id>/header")
@require_permission("edit_drafts")
@_guarded
def update_header(document_id: int):
    doc = _draft_for_change(document_id)
    form = _header_form(doc, request.form)
    if form.validate():
        values = {k: form[k].data for k in ("currency", "prices_include_tax", "chosen_issue_date", "service_date",
                                             "service_period_end", "customer_reference", "notes")}
        if doc.kind == "quote":
            values["valid_until"] = form.valid_until.data
        values["payment_terms_days"] = form.terms_days()
        values["discount_percent"] = form.discount_percent.decimal or None
        try:
            documents.update_header(doc, values)
        except DocumentError as exc:
            db.session.rollback()
            doc = _load(document_id)
            (form[exc.field] if exc.field else form.notes).errors = [exc.message]
            return _header_answer(doc, form, 422)
        db.session.commit()
        return _header_answer(doc, form)
    return _header_answer(doc, form, 422)


def _header_answer(doc: Document, form: HeaderForm, status: int = 200):
    """Messages and figures only: the header's inputs keep what the user is typing."""
    if not is_htmx():
        return _editor_answer(doc, "invoices/_header.html", status, header_form=form)
    ctx = _editor_context(doc, header_form=form)
    html = render_template("invoices/_header_errors.html", **ctx)
    if status < 400:
        html += _figures_out_of_band(doc, ctx)
    return make_response(html, status)


@bp.get("/<int:document_id>/customers")
@require_permission("edit_drafts")
def customer_search(document_id: int):
    """htmx: customers to switch the draft to."""
    q, results = _customer_matches()
    return render("invoices/_customer_results.html", q=q, results=results, doc=_load(document_id))


@bp.post("/<int:document_id>/customer")
@require_permission("edit_drafts")
@_guarded
def change_customer(document_id: int):
    doc = _draft_for_change(document_id)
    contact = get_or_404(Contact, id_arg(request.form, "contact_id") or 0)
    documents.set_contact(doc, contact)
    db.session.commit()
    return _editor_answer(doc, "invoices/_editor.html")


@bp.post("/<int:document_id>/customer/new")
@require_permission("edit_drafts")
@_guarded
def new_customer(document_id: int):
    """Add a customer without leaving the editor and make it the draft's customer."""
    doc = _draft_for_change(document_id)
    form = QuickCustomerForm()
    if not form.validate():
        return _editor_answer(doc, "invoices/_editor.html", 422, quick_form=form)
    documents.set_contact(doc, _quick_customer(form))
    db.session.commit()
    flash(f"{doc.buyer_name} was added to your customers.", "success")
    return _editor_answer(doc, "invoices/_editor.html")


@bp.post("/<int:document_id>/lines")
@require_permission("edit_drafts")
@_guarded
def add_line(document_id: int):
    doc = _draft_for_change(document_id)
    product = None
    if request.form.get("product_id"):
        product = get_or_404(Product, id_arg(request.form, "product_id") or 0)
    line = documents.add_line(current_org(), doc, product)
    db.session.commit()
    return _editor_answer(doc, "invoices/_lines.html", focus_line=line.id)


def _child(items, item_id: int):
    """A line or adjustment of this document, or 404 (ids of other documents never match)."""
    item = next((x for x in items if x.id == item_id), None)
    if item is None:
        abort(404)
    return item


def _line(doc: Document, line_id: int) -> DocumentLine:
    return _child(doc.lines, line_id)


@bp.post("/<int:document_id>/lines/<int:line_id>")
@require_permission("edit_drafts")
@_guarded
def update_line(document_id: int, line_id: int):
    doc = _draft_for_change(document_id)
    line = _line(doc, line_id)
    rates = _rates([line.tax_rate_id])
    form = _line_form(line, rates, request.form)
    if not form.validate():
        # only the message changes: the inputs keep what the user typed
        return _line_answer(doc, line, form, 422)
    rate = next((r for r in rates if r.id == form.tax_rate_id.data), None)
    try:
        documents.update_line(doc, line, {
            "description": form.description.data.strip(), "quantity": form.quantity.decimal, "unit": form.unit.data,
            "unit_price": form.unit_price.decimal, "discount_percent": form.discount_percent.decimal or None,
        }, rate=rate, set_rate=True)
    except DocumentError as exc:
        db.session.rollback()
        doc = _load(document_id)
        line = _line(doc, line_id)
        form.quantity.errors = [*form.quantity.errors, exc.message]
        return _line_answer(doc, line, form, 422)
    db.session.commit()
    return _line_answer(doc, line, form)


def _line_answer(doc: Document, line: DocumentLine, form: LineForm, status: int = 200):
    """A line change answers with the line's net amount and its messages, never with its inputs, which the
    user may be typing into meanwhile (the queue sends the next change after this answer)."""
    if not is_htmx():
        return _editor_answer(doc, "invoices/_line.html", status, line=line, line_form=form)
    ctx = _editor_context(doc, line=line, lf=form, oob=True)
    html = render_template("invoices/_line_net.html", **{**ctx, "oob": False})
    html += render_template("invoices/_line_errors.html", **ctx)
    if status < 400:
        html += _figures_out_of_band(doc, ctx, skip_line=line.id)
    return make_response(html, status)


def _figures_out_of_band(doc: Document, ctx: dict, skip_line: int | None = None) -> str:
    """Every figure a change can move: all line amounts (a currency or tax mode change, or the cent
    corrections of inclusive prices, move other lines too), the totals, the version, the issue block."""
    html = "".join(render_template("invoices/_line_net.html", **{**ctx, "line": other, "oob": True})
                   for other in doc.lines if other.id != skip_line)
    for partial in ("_totals.html", "_version.html", "_issue.html"):
        html += render_template(f"invoices/{partial}", **{**ctx, "oob": True})
    return html


@bp.post("/<int:document_id>/lines/<int:line_id>/product")
@require_permission("edit_drafts")
@_guarded
def apply_product(document_id: int, line_id: int):
    doc = _draft_for_change(document_id)
    line = _line(doc, line_id)
    product = get_or_404(Product, id_arg(request.form, "product_id") or 0)
    documents.apply_product(doc, line, product)
    db.session.commit()
    return _editor_answer(doc, "invoices/_line.html", line=line)


@bp.get("/<int:document_id>/products")
@require_permission("edit_drafts")
def product_search(document_id: int):
    doc = _load(document_id)
    line_id = id_arg(request.args, "line")
    q = clean_line(request.args.get("q", ""))[:100]
    products = []
    if q:
        products = db.session.scalars(scoped(Product).where(Product.archived.is_(False),
                                                            Product.search_text.contains(q.lower(), autoescape=True))
                                      .order_by(Product.sort_name).limit(8)).all()
    return render("invoices/_product_results.html", doc=doc, line_id=line_id, products=products, q=q)


@bp.post("/<int:document_id>/lines/<int:line_id>/delete")
@require_permission("edit_drafts")
@_guarded
def remove_line(document_id: int, line_id: int):
    doc = _draft_for_change(document_id)
    line = _line(doc, line_id)
    position = line.position
    documents.remove_line(doc, line)
    db.session.commit()
    # focus moves to the line that took its place, or to "Add line" when it was the last
    following = doc.lines[position].id if position < len(doc.lines) else None
    return _editor_answer(doc, "invoices/_lines.html", focus_line=following, focus_add=following is None)


@bp.post("/<int:document_id>/lines/<int:line_id>/move")
@require_permission("edit_drafts")
@_guarded
def move_line(document_id: int, line_id: int):
    doc = _draft_for_change(document_id)
    line = _line(doc, line_id)
    direction = "up" if request.form.get("direction") == "up" else "down"
    documents.move_line(doc, line, -1 if direction == "up" else 1)
    db.session.commit()
    # the keyboard focus stays on the button that was pressed, on the line's new place
    return _editor_answer(doc, "invoices/_lines.html", focus_move=(line.id, direction))


@bp.post("/<int:document_id>/adjustments")
@require_permission("edit_drafts")
@_guarded
def add_adjustment(document_id: int):
    doc = _draft_for_change(document_id)
    kind = request.form.get("kind")
    if kind not in ("allowance", "charge"):
        abort(400)
    documents.add_adjustment(current_org(), doc, kind)
    db.session.commit()
    return _editor_answer(doc, "invoices/_adjustments.html")


def _adjustment(doc: Document, adjustment_id: int) -> DocumentAdjustment:
    return _child(doc.adjustments, adjustment_id)


@bp.post("/<int:document_id>/adjustments/<int:adjustment_id>")
@require_permission("edit_drafts")
@_guarded
def update_adjustment(document_id: int, adjustment_id: int):
    doc = _draft_for_change(document_id)
    adj = _adjustment(doc, adjustment_id)
    rates = _rates([adj.tax_rate_id])
    form = _adjustment_form(adj, rates, request.form)
    valid = form.validate()
    if valid:
        places = precision(doc.currency)
        exponent = form.amount.decimal.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            form.amount.errors = [f"{doc.currency} amounts have at most {places} decimal places."]
            valid = False
    if not valid:
        return _editor_answer(doc, "invoices/_adjustments.html", 422, adjustment_forms={adj.id: form})
    rate = next((r for r in rates if r.id == form.tax_rate_id.data), None)
    documents.update_adjustment(doc, adj, form.reason.data, form.amount.decimal, rate)
    db.session.commit()
    return _editor_answer(doc, "invoices/_adjustments.html")


@bp.post("/<int:document_id>/adjustments/<int:adjustment_id>/delete")
@require_permission("edit_drafts")
@_guarded
def remove_adjustment(document_id: int, adjustment_id: int):
    doc = _draft_for_change(document_id)
    documents.remove_adjustment(doc, _adjustment(doc, adjustment_id))
    db.session.commit()
    return _editor_answer(doc, "invoices/_adjustments.html")


# --- issue, delete, duplicate -------------------------------------------------------------------------

@bp.post("/<int:document_id>/issue")
@require_permission("view")
def issue(document_id: int):
    doc = _load(document_id)
    _authorize(doc, "issue")
    # the PDF is rendered before the write lock (milliseconds under the lock instead of up to seconds)
    prepared = documents.prepare_issue_pdf(current_org(), doc) if doc.version == _sent_version() else None
    begin_write()  # the write lock: the number is taken in this transaction
    doc = _load(document_id)  # (the same kind of document: the role was checked above)
    try:
        documents.check_version(doc, _sent_version())
        number = documents.issue(current_org(), current_user, doc, prepared=prepared)
        db.session.flush()
    except StaleDataError:  # issued by a request a moment faster (a double click)
        db.session.rollback()
        flash("This invoice was just issued.", "info")
        return redirect_to(url_for("invoices.show", document_id=document_id))
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        doc = _load(document_id)
        editable = doc.is_draft and doc.kind != "credit_note"
        target = "invoices.edit" if editable else "invoices.show"
        if is_htmx() or not editable:
            return redirect_to(url_for(target, document_id=doc.id))
        return render("invoices/edit.html", status=422, **_editor_context(doc))
    db.session.commit()
    flash(f"{status_table.KIND_LABELS[doc.kind].capitalize()} {number} is issued.", "success")
    return redirect_to(url_for("invoices.show", document_id=doc.id))


@bp.post("/<int:document_id>/delete")
@require_permission("view")
def delete(document_id: int):
    doc = _load(document_id)
    _authorize(doc, "delete")
    attached = [(n.org_id, n.file_key) for n in db.session.scalars(
        scoped(DocumentNote).where(DocumentNote.document_id == doc.id)) if n.file_key]
    try:
        documents.check_version(doc, _sent_version())
        documents.delete_draft(current_org(), current_user, doc)
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect_to(url_for("invoices.show", document_id=document_id))
    db.session.commit()
    for org_id, key in attached:  # the notes went with the draft; their files go now
        notes.discard_file(org_id, key)
    flash("The draft was deleted.", "success")
    return redirect_to(url_for("invoices.index"))


@bp.post("/<int:document_id>/duplicate")
@require_permission("edit_drafts")
def duplicate(document_id: int):
    doc = _load(document_id)
    _refuse(doc, "duplicate")
    copy = documents.duplicate(current_org(), current_user, doc)
    db.session.commit()
    flash(f"A new draft was made from this {status_table.KIND_LABELS[doc.kind]}.", "success")
    return redirect_to(url_for("invoices.edit", document_id=copy.id))


@bp.get("/<int:document_id>/pdf")
@require_permission("view")
def pdf(document_id: int):
    return pdf_service.download(_load(document_id), current_org())


def _act(document_id: int, change, done, then=None, lock: bool = False):
    """One action on a document: ``change(org, user, doc)`` (a service call), commit, flash ``done`` (a text,
    or a function of the result) and go to ``then(result)`` (a URL) or the document's page. A refused action
    is rolled back and its reason flashed. ``lock``: load the document with its row locked first."""
    _load(document_id)  # 404 for other organizations before anything else
    doc = documents.lock_document(current_org(), document_id) if lock else _load(document_id)
    try:
        result = change(current_org(), current_user, doc)
        db.session.commit()
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect_to(url_for("invoices.show", document_id=document_id))
    flash(done(result) if callable(done) else done, "success")
    return redirect_to(then(result) if then else url_for("invoices.show", document_id=document_id))


@bp.post("/<int:document_id>/link")
@require_permission("issue_documents")
def renew_link(document_id: int):
    return _act(document_id, documents.new_public_link,
                        "A new customer link was made; the old one no longer works.")


@bp.post("/<int:document_id>/link/revoke")
@require_permission("issue_documents")
def revoke_link(document_id: int):
    return _act(document_id, documents.revoke_public_link, "The customer link no longer works.")


# --- sending ----------------------------------------------------------------------------------------

@bp.route("/<int:document_id>/send", methods=["GET", "POST"])
@require_permission("view")
def send(document_id: int):
    doc = _load(document_id)
    _authorize(doc, "send")
    org = current_org()
    if request.method == "GET":
        if "send" not in _actions(doc):
            flash("Only issued invoices can be sent." if doc.is_draft else "This invoice cannot be sent.", "error")
            return redirect_to(url_for("invoices.show", document_id=doc.id))
        form = SendForm(obj=sending.compose(doc, org), formdata=None)
    else:
        form = SendForm()
    if request.method == "POST" and form.validate():
        draft = sending.Draft(to=form.to.data, cc=form.cc.data, subject=form.subject.data, body=form.body.data,
                              attach_pdf=form.attach_pdf.data, key=form.key.data)
        message = sending.already_sent(org, form.key.data)
        if message is None:
            try:
                message = sending.send(org, current_user, doc, draft)
                db.session.commit()
            except DocumentError as exc:
                db.session.rollback()
                flash(exc.message, "error")
                return redirect_to(url_for("invoices.show", document_id=doc.id))
            except IntegrityError:  # the same dialog sent twice at once: the other request queued it
                db.session.rollback()
                message = sending.already_sent(org, form.key.data)
        if message is not None and sending.matches(message, doc, org, draft):
            flash(f"{doc.number} is on its way to {', '.join(message.recipients)}. "
                  "The activity list below shows when it has been delivered.", "success")
            return redirect_to(url_for("invoices.show", document_id=doc.id))
        # the key was used for another message (changed after sending, or another invoice's form)
        form.key.errors.append("This form was already used to send a message, so nothing was sent. "
                               "Reload the page to send another one.")
    subject, body = sending.preview(doc, org, form.subject.data or "", form.body.data or "")
    return render("invoices/send.html", "invoices/_send_form.html",
                  status=422 if form.errors else 200, doc=doc, form=form, placeholders=PLACEHOLDERS,
                  attachment=pdf_service.filename(doc), has_link=doc.public_token is not None,
                  preview_subject=subject, preview_body=body)


# --- payments ---------------------------------------------------------------------------------------

def _refuse(doc: Document, action: str) -> None:
    """Return when ``action`` is allowed on ``doc``; else end the request with the redirect to its page and
    the reason."""
    try:
        documents.require(doc, action)
    except DocumentError as exc:
        flash(exc.message, "error")
        abort(redirect_to(url_for("invoices.show", document_id=doc.id)))


@bp.route("/<int:document_id>/payments/new", methods=["GET", "POST"])
@require_permission("record_payments")
def new_payment(document_id: int):
    doc = _load(document_id)
    _refuse(doc, "pay")
    if request.method == "GET":
        due = doc.amount_due
        form = PaymentForm(formdata=None, data={
            "kind": "refund" if due < 0 else "payment", "amount": str(from_minor(abs(due), doc.currency)) if due else None,
            "paid_on": date.today(), "method": "bank_transfer", "key": secrets.token_urlsafe(16)})
    else:
        form = PaymentForm()
        if form.validate():
            amount = form.amount.decimal
            if amount != round_money(amount, doc.currency):
                form.amount.errors.append(f"{doc.currency} amounts have at most {precision(doc.currency)} decimals.")
            else:
                minor = to_minor(amount, doc.currency) * (-1 if form.kind.data == "refund" else 1)
                if abs(minor) >= documents.MAX_AMOUNT_MINOR:
                    form.amount.errors.append("This amount is too large.")
                else:
                    done = _record_payment(doc, form, minor)
                    if done is not None:
                        return done
    return render("invoices/payment.html", "invoices/_payment_form.html", status=422 if form.errors else 200,
                  doc=doc, form=form)


def _record_payment(doc: Document, form: PaymentForm, minor: int):
    org = current_org()
    data = payments.PaymentInput(amount=minor, paid_on=form.paid_on.data, method=form.method.data,
                                 reference=form.reference.data, note=form.note.data, key=form.key.data)
    try:
        locked = documents.lock_document(org, doc.id)
        payment = payments.record(org, current_user, locked, data)
        db.session.commit()
    except DocumentError as exc:
        db.session.rollback()
        (form[exc.field].errors if exc.field in form else form.key.errors).append(exc.message)
        return None
    except IntegrityError:  # the same form sent twice at once: the other request recorded it
        db.session.rollback()
        payment = payments.by_key(org, data.key)
    kind = "refund" if payment.amount < 0 else "payment"
    money = current_app.jinja_env.filters["money"]
    flash(f"The {kind} of {money(abs(payment.amount), doc.currency)} was recorded.", "success")
    return redirect_to(url_for("invoices.show", document_id=doc.id, _anchor="payments"))


@bp.post("/<int:document_id>/payments/<int:payment_id>/void")
@require_permission("void_payments")
def void_payment(document_id: int, payment_id: int):
    doc = _load(document_id)
    _refuse(doc, "void_payment")
    payment = db.session.scalar(scoped(Payment).where(Payment.id == payment_id, Payment.document_id == doc.id))
    if payment is None:
        abort(404)
    form = VoidForm()
    if not form.validate():
        flash(" ".join(form.reason.errors), "error")
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    org = current_org()
    try:
        locked = documents.lock_document(org, doc.id)
        payments.void(org, current_user, locked, db.session.get(Payment, payment_id), form.reason.data)
        db.session.commit()
        flash("The payment was voided; it stays listed and no longer counts.", "success")
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect_to(url_for("invoices.show", document_id=doc.id, _anchor="payments"))


@bp.post("/<int:document_id>/mark-paid")
@require_permission("record_payments")
def mark_paid(document_id: int):
    doc = _load(document_id)
    form = MarkPaidForm()
    if not form.validate():
        flash(" ".join(form.key.errors) or "The form has expired; reload the page.", "error")
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    org = current_org()
    confirm_to = ""
    if form.send_confirmation.data:
        confirm_to = (doc.contact.email if doc.contact else "") or (doc.buyer or {}).get("email", "")
    try:
        locked = documents.lock_document(org, doc.id)
        payments.mark_paid(org, current_user, locked, form.key.data, confirm_to)
        db.session.commit()
        flash(f"{locked.number} is marked as paid." + (f" A confirmation goes to {confirm_to}." if confirm_to else "")
              + (" (The customer has no e-mail address: no confirmation was sent.)"
                 if form.send_confirmation.data and not confirm_to else ""), "success")
    except DocumentError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except IntegrityError:
        db.session.rollback()
    return redirect_to(url_for("invoices.show", document_id=doc.id, _anchor="payments"))


# --- corrections: credit notes, cancel, change recipient, reactivate ---------------------------------

def _groups(doc: Document) -> list[tuple[str, str]]:
    return [(f"{g['category']}|{g['rate']}", f"{g['rate']} % ({g['category']})") for g in doc.tax_breakdown]


@bp.route("/<int:document_id>/credit", methods=["GET", "POST"])
@require_permission("correct_documents")
def credit(document_id: int):
    doc = _load(document_id)
    _refuse(doc, "credit")
    form = CreditForm() if request.method == "POST" else CreditForm(formdata=None)
    form.group.choices = as_choices(_groups(doc))
    remaining = corrections.remaining_quantities(doc)
    typed: dict[int, str] = {}
    if request.method == "POST" and form.validate():
        org = current_org()
        try:
            if form.mode.data == "full":
                note = corrections.full_credit_note(org, current_user, doc, form.reason.data)
            elif form.mode.data == "lines":
                quantities = {}
                for line in doc.lines:
                    typed[line.id] = raw = clean_line(request.form.get(f"q{line.id}", ""))
                    if raw:
                        try:
                            quantities[line.id] = parse_decimal(raw, 4, allow_negative=False)
                        except ValueError as exc:
                            raise DocumentError(f"Line {line.position + 1}: {exc}") from exc
                note = corrections.lines_credit_note(org, current_user, doc, quantities, form.reason.data)
            else:
                if form.amount.decimal is None:
                    raise DocumentError("Enter the amount to credit.")
                category, _, rate = (form.group.data or "").partition("|")
                note = corrections.amount_credit_note(org, current_user, doc, form.amount.decimal, (category, rate),
                                                      form.reason.data)
            db.session.commit()
        except DocumentError as exc:
            db.session.rollback()
            doc = _load(document_id)
            form.form_errors.append(exc.message)
        else:
            flash(f"A draft credit note for {doc.number} was made. Check it and issue it.", "success")
            return redirect_to(url_for("invoices.show", document_id=note.id))
    return render("invoices/credit.html", status=422 if form.errors or form.form_errors else 200, doc=doc,
                  form=form, remaining=remaining, typed=typed, creditable=corrections.creditable(doc))


@bp.post("/<int:document_id>/cancel")
@require_permission("correct_documents")
def cancel(document_id: int):
    doc = _load(document_id)
    form = CancelForm()
    if not form.validate():
        flash(" ".join(form.reason.errors), "error")
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    number = doc.number
    return _act(document_id, lambda org, user, d: corrections.cancel(org, user, d, form.reason.data),
                lambda note: f"{number} is cancelled by credit note {note.number}.", lock=True)


@bp.route("/<int:document_id>/change-recipient", methods=["GET", "POST"])
@require_permission("correct_documents")
def change_recipient(document_id: int):
    doc = _load(document_id)
    _refuse(doc, "change_recipient")
    form = RecipientForm() if request.method == "POST" else RecipientForm(formdata=None)
    customers = db.session.scalars(scoped(Contact).where(Contact.archived.is_(False), Contact.id != doc.contact_id)
                                   .order_by(Contact.sort_name).limit(500)).all()
    if request.method == "POST" and form.validate():
        contact = get_or_404(Contact, form.contact_id.data)
        begin_write()
        doc = _load(document_id)
        try:
            note, copy = corrections.change_recipient(current_org(), current_user, doc,
                                                      db.session.get(Contact, contact.id), form.reason.data)
            db.session.commit()
        except DocumentError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect_to(url_for("invoices.show", document_id=document_id))
        flash(f"{doc.number} is cancelled by {note.number}; here is the new draft for {copy.buyer_name}.", "success")
        return redirect_to(url_for("invoices.edit", document_id=copy.id))
    return render("invoices/change_recipient.html", status=422 if form.errors else 200, doc=doc, form=form,
                  customers=customers)


@bp.post("/<int:document_id>/reactivate")
@require_permission("correct_documents")
def reactivate(document_id: int):
    return _act(document_id, corrections.reactivate,
                lambda copy: "A new draft was made from the cancelled invoice; the original stays cancelled.",
                then=lambda copy: url_for("invoices.edit", document_id=copy.id))


# --- quotes: accept, decline (recorded by the owner), convert ------------------------------------------

@bp.post("/<int:document_id>/accept")
@require_permission("issue_documents")
def accept(document_id: int):
    return _decide(document_id, "accept")


@bp.post("/<int:document_id>/decline")
@require_permission("issue_documents")
def decline(document_id: int):
    return _decide(document_id, "decline")


def _decide(document_id: int, action: str):
    # locked: the customer may decide on the quote's page at the same moment
    return _act(document_id, lambda org, user, doc: quotes.decide(org, user, doc, action),
                f"The quote is {'accepted' if action == 'accept' else 'declined'}.", lock=True)


@bp.post("/<int:document_id>/convert")
@require_permission("edit_drafts")
def convert(document_id: int):
    return _act(document_id, quotes.convert, "The quote became this invoice draft.",  # locked: converts once
                then=lambda invoice: url_for("invoices.edit", document_id=invoice.id), lock=True)


# --- notes and attachments --------------------------------------------------------------------------

@bp.post("/<int:document_id>/notes")
@require_permission("add_notes")
def add_note(document_id: int):
    doc = _load(document_id)
    upload = request.files.get("file")
    data = upload.read(notes.MAX_FILE_BYTES + 1) if upload is not None and upload.filename else None
    body = clean_text(request.form.get("body", ""))
    try:
        note = notes.add(current_org(), current_user, doc, body, upload.filename if data else "", data)
        db.session.commit()
    except DocumentError as exc:
        db.session.rollback()
        # the page again, with the message next to the form and what was typed still in it
        return _show_page(_load(document_id), status=422, note_draft=body, note_error=exc.message)
    flash("The note was added." + (f" {note.file_name} is attached." if note.file_name else ""), "success")
    return redirect_to(url_for("invoices.show", document_id=doc.id, _anchor="notes"))


@bp.get("/<int:document_id>/notes/<int:note_id>/file")
@require_permission("view")
def note_file(document_id: int, note_id: int):
    doc = _load(document_id)
    note = db.session.scalar(scoped(DocumentNote).where(DocumentNote.id == note_id, DocumentNote.document_id == doc.id))
    path = notes.file_path(note) if note is not None else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype=note.file_mime, as_attachment=True, download_name=note.file_name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


# --- the invoice page ---------------------------------------------------------------------------------

@bp.get("/<int:document_id>")
@require_permission("view")
def show(document_id: int):
    doc = db.session.scalar(scoped(Document).where(Document.id == document_id)
                            .options(selectinload(Document.lines), selectinload(Document.adjustments)))
    if doc is None:
        abort(404)
    return _show_page(doc)


def _show_page(doc: Document, status: int = 200, note_draft: str = "", note_error: str = ""):
    events = db.session.scalars(scoped(AuditEvent).where(AuditEvent.object_type == "document",
                                                         AuditEvent.object_id == doc.id)
                                .order_by(AuditEvent.id.desc()).limit(50)).all()
    link = documents.public_link(doc)
    deliveries = {m.id: m for m in db.session.scalars(scoped(OutboxMessage).where(OutboxMessage.document_id == doc.id))}
    return render("invoices/show.html", status=status, doc=doc, actions=_actions(doc), events=events, rates=[], public_link=link,
                  deliveries=deliveries, payments=payments.payments_of(doc) if not doc.is_draft else [],
                  notes=db.session.scalars(scoped(DocumentNote).where(DocumentNote.document_id == doc.id)
                                           .order_by(DocumentNote.id.desc())).all(),
                  note_draft=note_draft, note_error=note_error,
                  related_docs=db.session.scalars(scoped(Document).where(Document.related_id == doc.id)
                                                  .order_by(Document.id)).all(),
                  mark_paid_form=MarkPaidForm(formdata=None, data={"key": secrets.token_urlsafe(16)}),
                  payment_labels=status_table.PAYMENT_LABELS,
                  labels=status_table.STATUS_LABELS, problems=documents.issue_problems(current_org(), doc)
                  if doc.is_draft else [], button_form=ButtonForm())


