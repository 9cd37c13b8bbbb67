"""Starting a draft and the live editor.

The editor sends each change as its own small request (htmx), with the draft's version. The answer is the
changed region plus the totals block and the version as out-of-band swaps of the same partials. Without
JavaScript every editor form posts normally and comes back to the editor page. A change to a stale draft (or
one issued meanwhile) is answered with the current state and the reason (``_stale``).
"""
from __future__ import annotations

import json

from babel import Locale
from flask import flash, make_response, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from markupsafe import Markup

from webapp.domain.errors import ActionError
from webapp.forms import ButtonForm, clean_line, id_arg
from webapp.htmx import is_htmx, redirect_to, render
from webapp.invoices import bp
from webapp.i18n import customer_language, document_locale
from webapp.usecases import inbox as inbox_usecases
from webapp.invoices.common import (KEEP_TAX, quick_forms, customer_matches, editor_context, header_form, line_context, line_form, load,
                                    parties, rates, adjustment_form, sent_version)
from webapp.invoices.forms import HeaderForm, LineForm, QuickCustomerForm
from webapp.models import Document, DocumentLine, Product
from webapp.services import attributes
from webapp.extensions import db
from webapp.tenancy import require_document_permission, current_actor, current_org, require_permission, scoped
from webapp.usecases import drafts
from webapp.usecases.documents import check_action, child
from webapp.web.actions import on_refusal, refused


def _new_kind(values) -> str:
    return "quote" if values.get("kind") == "quote" else "invoice"


def _quick(form: QuickCustomerForm) -> drafts.QuickCustomer:
    return drafts.QuickCustomer(company_name=form.company_name.data, person_name=form.person_name.data,
                                email=form.email.data, country=form.country.data)


@bp.get("/new")
@require_permission("edit_drafts")
def new():
    q, results = customer_matches()
    form = QuickCustomerForm(country=current_org().country)
    return render("invoices/new.html", "invoices/_customer_results.html", q=q, results=results, form=form,
                  button_form=ButtonForm(), kind=_new_kind(request.args))


@bp.post("/new")
@require_permission("edit_drafts")
def create():
    doc = drafts.create_draft(current_actor(), id_arg(request.form, "contact_id") or 0, _new_kind(request.form))
    return redirect_to(url_for("invoices.edit", document_id=doc.id))


@bp.post("/new/customer")
@require_permission("edit_drafts")
def create_with_customer():
    form = QuickCustomerForm()
    if form.validate_on_submit():
        with refused(form, default_field="company_name"):
            doc, contact = drafts.create_draft_for_new_customer(current_actor(), _quick(form),
                                                                _new_kind(request.form))
            flash(_("%(customer)s was added to your customers.", customer=contact.display_name), "success")
            return redirect_to(url_for("invoices.edit", document_id=doc.id))
    return render("invoices/new.html", status=422, q="", results=[], form=form, button_form=ButtonForm(),
                  kind=_new_kind(request.form))


@bp.get("/<int:document_id>/edit")
@require_document_permission("edit")
def edit(document_id: int):
    doc = load(document_id)
    if not doc.is_draft:
        flash(_("%(number)s is issued and can no longer be edited.", number=doc.number), "info")
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    return render("invoices/edit.html", **editor_context(doc), **attributes.page_context(doc))


def _editor_answer(doc: Document, template: str, status: int = 200, **context):
    """The changed region, then the totals and the version out of band; a redirect without htmx."""
    if not is_htmx():
        if status >= 400:
            return render("invoices/edit.html", status=status, **editor_context(doc, **context))
        return redirect_to(url_for("invoices.edit", document_id=doc.id))
    ctx = editor_context(doc, **context)
    html = render_template(template, **ctx)
    if status < 400:
        html += render_template("invoices/_totals.html", oob=True, **ctx)
        html += render_template("invoices/_version.html", oob=True, **ctx)
        html += render_template("invoices/_issue.html", oob=True, **ctx)
    return make_response(html, status)


def _stale(error: ActionError, document_id: int, **_ignored):
    """A refused editor change: the current state and the reason (409), or the invoice page once it is issued."""
    doc = load(document_id)
    flash(error.message, "error")
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id) if doc.is_draft
                           else url_for("invoices.show", document_id=doc.id))
    if not doc.is_draft:
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    response = make_response(render_template("invoices/_editor.html",
                                             **editor_context(doc, stale=error.message)), 409)
    response.headers["HX-Retarget"] = "#invoice-editor"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


# refusals about the draft as a whole (issued, changed meanwhile), not about what was typed
DRAFT_CODES = {"document_changed", "document_not_draft", "document_is_draft", "action_not_allowed", "already_done"}


def _about_the_draft(error: ActionError) -> bool:
    return error.code in DRAFT_CODES


def _header_input(doc: Document, form: HeaderForm) -> drafts.HeaderInput:
    return drafts.HeaderInput(
        currency=form.currency.data, prices_include_tax=form.prices_include_tax.data,
        chosen_issue_date=form.chosen_issue_date.data, service_date=form.service_date.data,
        service_period_end=form.service_period_end.data, payment_terms_days=form.terms_days(),
        customer_reference=form.customer_reference.data, notes=form.notes.data,
        discount_percent=form.discount_percent.decimal, valid_until=form.valid_until.data,
        exchange_rate=form.exchange_rate.decimal,
        is_advance=form.advance.data if doc.kind == "invoice" else None,
        automatic_tax=form.automatic_tax.data,
        supplier_number=form.supplier_number.data if doc.flow == "purchases" else None,
        self_billed=form.self_billed.data if doc.flow == "purchases" and doc.kind == "invoice" else None,
        **({} if doc.kind == "quote" else {"buyer_reference": form.buyer_reference.data,
                                           "e_invoice_format": form.e_invoice.data}))


@bp.post("/<int:document_id>/header")
@require_document_permission("edit")
@on_refusal(_stale)
def update_header(document_id: int):
    doc = load(document_id)
    form = header_form(doc, request.form)
    currency, automatic = doc.currency, doc.automatic_tax
    if form.validate():
        with refused(form, default_field="notes") as refusal:
            drafts.change_header(current_actor(), document_id, sent_version(), _header_input(doc, form))
        if refusal.error is None:
            if doc.automatic_tax != automatic and is_htmx():  # every line's tax inputs change: the editor anew
                response = make_response("", 200)
                response.headers["HX-Refresh"] = "true"
                return response
            return _header_answer(doc, form, currency_changed=doc.currency != currency)
        if _about_the_draft(refusal.error):
            return _stale(refusal.error, document_id)
        doc = load(document_id)
    return _header_answer(doc, form, 422)


def _header_answer(doc: Document, form: HeaderForm, status: int = 200, currency_changed: bool = False):
    """Messages and figures only: the header's inputs keep what the user is typing (a new currency: the exchange
    rate's field too, which names it)."""
    if not is_htmx():
        return _editor_answer(doc, "invoices/_header.html", status, header_form=form)
    ctx = editor_context(doc, header_form=form)
    html = render_template("invoices/_header_errors.html", **ctx)
    if status < 400:
        html += _figures_out_of_band(doc, ctx)
    if status < 400 and doc.kind == "invoice":  # an advance invoice deducts none: the section follows the box
        html += render_template("invoices/_deductions.html", **{**ctx, "oob": True})
    if status < 400 and currency_changed:
        html += render_template("invoices/_exchange_rate.html", **{**ctx, "header_form": None, "oob": True})
    return make_response(html, status)


@bp.post("/<int:document_id>/deductions")
@require_document_permission("edit")
@on_refusal(_stale)
def set_deductions(document_id: int):
    """The advance invoices the final invoice's draft deducts (every box: an unticked one is not deducted)."""
    ids = [int(v) for v in request.form.getlist("advance_id") if v.isdigit() and 0 < int(v) < 2**31]
    doc = drafts.choose_deductions(current_actor(), document_id, sent_version(), ids)
    return _editor_answer(doc, "invoices/_deductions.html")


@bp.post("/<int:document_id>/attributes")
@require_document_permission("edit")
def set_attributes(document_id: int):
    """The draft's custom attributes from the form (every field: an absent checkbox is unticked); back to the
    editor or the document page."""
    from webapp.domain.numbers import as_plain_number
    from webapp.i18n import member_locale

    doc = load(document_id)
    custom: dict = {}
    for field in attributes.fields(doc.org_id):
        name = f"ca_{field.key}"
        if field.type == "multichoice":
            custom[field.key] = request.form.getlist(name)
        elif field.type == "checkbox":
            custom[field.key] = name in request.form
        else:
            raw = clean_line(request.form.get(name, ""))
            if field.type == "number" and raw:  # typed as the member writes numbers ("12,5" in German)
                raw = as_plain_number(raw, member_locale())
            custom[field.key] = raw
    where = "edit" if request.form.get("back") == "edit" else "show"
    back = url_for(f"invoices.{where}", document_id=doc.id)
    with refused() as refusal:
        drafts.change_attributes(current_actor(), document_id, sent_version(), custom)
    if refusal.error is not None and _about_the_draft(refusal.error):  # stale, or issued meanwhile
        if where == "edit":
            return _stale(refusal.error, document_id)
        flash(refusal.error.message, "error")
        return redirect_to(back)
    if is_htmx():  # the region itself, and in the editor the draft's new version out of band
        doc = load(document_id)
        html = render_template("invoices/_attributes.html", doc=doc, back=where, **attributes.page_context(doc),
                               attribute_error=refusal.error.message if refusal.error else "",
                               attribute_saved=refusal.error is None)
        if refusal.error is None and where == "edit":
            html += render_template("invoices/_version.html", doc=doc, oob=True)
        return make_response(html, 422 if refusal.error else 200)
    if refusal.error is not None:
        flash(refusal.error.message, "error")
    else:
        flash(_("The custom fields were saved."), "success")
    return redirect_to(back)


@bp.get("/<int:document_id>/preview")
@require_permission("view")
def preview(document_id: int):
    """htmx: the editor's live preview, the document as its customer will read it (their language, the markup
    of the PDF). Its own request, sent after the editor's changes: every line is read here, never in an edit."""
    doc = load(document_id)
    if not is_htmx():
        return redirect_to(url_for("invoices.show", document_id=doc.id))
    seller, buyer = parties(doc)
    locale = document_locale(doc, current_org())
    # the caption speaks to the member, in their language; the document below it in the customer's
    language_name = Locale.parse(locale).get_display_name(str(get_locale() or "en"))
    caption = _("Preview: what the customer will read (%(language)s)", language=language_name)
    if doc.flow == "purchases":  # the supplier's document as entered, in the member's language
        locale = str(get_locale() or "en")
        caption = _("Preview: the supplier's document as entered")
    with customer_language(locale):
        return render("invoices/_preview.html", doc=doc, seller=seller, buyer=buyer, locale=locale,
                      language_name=language_name, caption=caption)


@bp.get("/<int:document_id>/customers")
@require_document_permission("edit")
def customer_search(document_id: int):
    """htmx: customers to switch the draft to."""
    q, results = customer_matches()
    return render("invoices/_customer_results.html", q=q, results=results, doc=load(document_id))


@bp.post("/<int:document_id>/customer")
@require_document_permission("edit")
@on_refusal(_stale)
def change_customer(document_id: int):
    doc = drafts.change_customer(current_actor(), document_id, sent_version(), id_arg(request.form, "contact_id") or 0)
    return _editor_answer(doc, "invoices/_editor.html")


@bp.post("/<int:document_id>/customer/new")
@require_document_permission("edit")
@on_refusal(_stale)
def new_customer(document_id: int):
    """Add a customer without leaving the editor and make it the draft's customer."""
    form = QuickCustomerForm()
    if not form.validate():
        check_action(current_actor(), document_id, "edit")  # an issued draft: its page, not the form
        return _editor_answer(load(document_id), "invoices/_editor.html", 422, quick_form=form)
    doc = drafts.add_new_customer(current_actor(), document_id, sent_version(), _quick(form))
    flash(_("%(customer)s was added to your customers.", customer=doc.buyer_name), "success")
    return _editor_answer(doc, "invoices/_editor.html")


def _lines_answer(doc: Document, lines=(), moved=(), **headers):
    """An answer about some lines only (never every line of a long draft): the rows of ``lines`` (each a
    (line, extra context) pair) in that order, then the nets of the ``moved`` lines, the totals, the version
    and the issue block out of band."""
    ctx = line_context(doc, [line for line, _ in lines], line_total=drafts.line_count(doc))
    html = "".join(render_template("invoices/_line.html", **{**ctx, "line": line, **extra}) for line, extra in lines)
    response = make_response(html + _figures_out_of_band(doc, ctx, lines=moved))
    response.headers.update(headers)
    return response


@bp.post("/<int:document_id>/quick-entry")
@require_document_permission("edit")
@on_refusal(_stale)
def quick_entry(document_id: int):
    """A purchase typed from paper: net and VAT per rate become its lines (a plain post: the editor anew)."""
    doc = load(document_id)
    forms = quick_forms(doc, request.form)
    if all([f.validate() for f in forms]):  # each row validated: its messages beside its fields
        rows = [inbox_usecases.QuickRowInput(tax_rate_id=f.tax_rate_id.data or None, net=f.net.decimal,
                                             tax=f.tax.decimal, expense_category_id=f.expense_category_id.data or None)
                for f in forms]
        with refused(forms[0] if forms else None, default_field="net") as refusal:
            inbox_usecases.quick_entry(current_actor(), document_id, sent_version(), rows)
            return redirect_to(url_for("invoices.edit", document_id=document_id))
        if _about_the_draft(refusal.error):
            return _stale(refusal.error, document_id)
        doc = load(document_id)
    return render("invoices/edit.html", status=422, **editor_context(doc, quick_forms=forms))


@bp.post("/<int:document_id>/lines")
@require_document_permission("edit")
@on_refusal(_stale)
def add_line(document_id: int):
    """htmx: the new line, appended to the rows (focus in its description), and the figures."""
    product_id = (id_arg(request.form, "product_id") or 0) if request.form.get("product_id") else None
    added = drafts.add_line(current_actor(), document_id, sent_version(), product_id)
    doc, line = added.document, added.line
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id, _anchor=f"line-{line.id}"))
    response = _lines_answer(doc, [(line, {"focus_line": line.id})])
    if line.position == 0:  # the "No lines yet." note goes
        response.set_data(response.get_data(as_text=True) + '<p id="no-lines" hx-swap-oob="delete"></p>')
    return response


@bp.post("/<int:document_id>/lines/<int:line_id>")
@require_document_permission("edit")
@on_refusal(_stale)
def update_line(document_id: int, line_id: int):
    doc = check_action(current_actor(), document_id, "edit")  # an issued one answers with its page
    line = drafts.line_of(doc, line_id)
    form = line_form(line, rates([line.tax_rate_id]), request.form)
    if not form.validate():
        # only the message changes: the inputs keep what the user typed
        return _line_answer(doc, line, form, status=422)
    data = drafts.LineInput(description=form.description.data, quantity=form.quantity.decimal, unit=form.unit.data,
                            unit_price=form.unit_price.decimal, discount_percent=form.discount_percent.decimal,
                            tax_rate_id=form.tax_rate_id.data if form.tax_rate_id.data not in (0, KEEP_TAX) else None,
                            keep_tax=form.tax_rate_id.data == KEEP_TAX,
                            set_category=doc.flow == "purchases",
                            expense_category_id=form.expense_category_id.data or None,
                            tax_code=form.tax_code.data if doc.automatic_tax else None)
    with refused(form, default_field="quantity") as refusal:
        change = drafts.change_line(current_actor(), document_id, line_id, sent_version(), data)
    if refusal.error is not None:
        if _about_the_draft(refusal.error):
            return _stale(refusal.error, document_id)
        doc = load(document_id)
        return _line_answer(doc, drafts.line_of(doc, line_id), form, status=422)
    return _line_answer(doc, line, form, moved=change.moved)


def _line_answer(doc: Document, line: DocumentLine, form: LineForm, moved=(), status: int = 200):
    """A line change answers with the line's net amount and its messages, never with its inputs, which the
    user may be typing into meanwhile (the queue sends the next change after this answer); then the nets of
    the other lines that moved with it (with prices including VAT), the totals, version and issue block."""
    if not is_htmx():
        return _editor_answer(doc, "invoices/_line.html", status, line=line, line_form=form)
    ctx = line_context(doc, [line], line=line, lf=form, oob=True)
    html = render_template("invoices/_line_net.html", **{**ctx, "oob": False})
    html += render_template("invoices/_line_errors.html", **ctx)
    if status < 400:
        html += _figures_out_of_band(doc, ctx, lines=[i for i in moved if i != line.id])
    return make_response(html, status)


def _figures_out_of_band(doc: Document, ctx: dict, lines=None) -> str:
    """The figures a change moved: the nets of ``lines`` (ids; None: every line, as a currency or tax mode
    change moves them all), the totals, the version, the issue block."""
    others = doc.lines if lines is None else [drafts.line_of(doc, i) for i in lines]
    html = "".join(render_template("invoices/_line_net.html", **{**ctx, "line": other, "oob": True})
                   for other in others)
    if doc.automatic_tax:  # any change can move any line's VAT decision (the customer, the date, the threshold)
        moved = getattr(doc, "tax_decisions_moved", None)  # set by the recalculation (services/calculation.py)
        html += "".join(render_template("invoices/_tax_decision.html", **{**ctx, "line": line, "oob": True})
                        for line in doc.lines if moved is None or line.id in moved)
    for partial in ("_totals.html", "_version.html", "_issue.html"):
        html += render_template(f"invoices/{partial}", **{**ctx, "oob": True})
    return html


@bp.post("/<int:document_id>/lines/<int:line_id>/product")
@require_document_permission("edit")
@on_refusal(_stale)
def apply_product(document_id: int, line_id: int):
    change = drafts.apply_product(current_actor(), document_id, line_id, sent_version(),
                                  id_arg(request.form, "product_id") or 0)
    doc, line = change.document, change.line
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id, _anchor=f"line-{line.id}"))
    return _lines_answer(doc, [(line, {})], moved=[i for i in change.moved if i != line.id])


@bp.get("/<int:document_id>/products")
@require_document_permission("edit")
def product_search(document_id: int):
    doc = load(document_id)
    line_id = id_arg(request.args, "line")
    q = clean_line(request.args.get("q", ""))[:100]
    products = []
    if q:
        products = db.session.scalars(scoped(Product).where(Product.archived.is_(False),
                                                            Product.search_text.contains(q.lower(), autoescape=True))
                                      .order_by(Product.sort_name).limit(8)).all()
    return render("invoices/_product_results.html", doc=doc, line_id=line_id, products=products, q=q)


@bp.post("/<int:document_id>/lines/<int:line_id>/delete")
@require_document_permission("edit")
@on_refusal(_stale)
def remove_line(document_id: int, line_id: int):
    """htmx: the line's row goes (an empty answer replaces it); the focus moves to the line that took its place,
    or to "Add line" when it was the last (app.js, on the event named in HX-Trigger-After-Settle)."""
    removed = drafts.remove_line(current_actor(), document_id, line_id, sent_version())
    doc = removed.document
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id))
    following = removed.following
    focus = f"#l{following.id}-description" if following else "#add-line"
    response = _lines_answer(doc, moved=removed.moved,
                             **{"HX-Trigger-After-Settle": json.dumps({"tallybook:focus": focus})})
    if not drafts.line_count(doc):
        note = Markup('<p class="muted" id="no-lines">{}</p>').format(_("No lines yet."))
        response.set_data(note + response.get_data(as_text=True))
    return response


@bp.post("/<int:document_id>/lines/<int:line_id>/move")
@require_document_permission("edit")
@on_refusal(_stale)
def move_line(document_id: int, line_id: int):
    """htmx: the line and the neighbour it swapped places with, in their new order, replace the line's row (the
    neighbour's old row is taken out of band); the keyboard focus stays on the button that was pressed."""
    direction = "up" if request.form.get("direction") == "up" else "down"
    moved = drafts.move_line(current_actor(), document_id, line_id, sent_version(), up=direction == "up")
    doc, line, neighbour = moved.document, moved.line, moved.neighbour
    if not is_htmx():
        return redirect_to(url_for("invoices.edit", document_id=doc.id, _anchor=f"line-{line.id}"))
    rows = [(line, {"focus_move": (line.id, direction)})]
    if neighbour is None:
        return _lines_answer(doc, rows)
    rows = rows + [(neighbour, {})] if direction == "up" else [(neighbour, {})] + rows
    response = _lines_answer(doc, rows)
    response.set_data(f'<div id="line-{neighbour.id}" hx-swap-oob="delete"></div>' + response.get_data(as_text=True))
    return response


@bp.post("/<int:document_id>/adjustments")
@require_document_permission("edit")
@on_refusal(_stale)
def add_adjustment(document_id: int):
    adjustment = drafts.add_adjustment(current_actor(), document_id, sent_version(), request.form.get("kind", ""))
    return _editor_answer(adjustment.document, "invoices/_adjustments.html")


@bp.post("/<int:document_id>/adjustments/<int:adjustment_id>")
@require_document_permission("edit")
@on_refusal(_stale)
def update_adjustment(document_id: int, adjustment_id: int):
    doc = check_action(current_actor(), document_id, "edit")  # an issued one answers with its page
    adj = child(doc.adjustments, adjustment_id, "adjustment")
    form = adjustment_form(adj, rates([adj.tax_rate_id]), request.form)
    if form.validate():
        data = drafts.AdjustmentInput(reason=form.reason.data, amount=form.amount.decimal,
                                      tax_rate_id=form.tax_rate_id.data if form.tax_rate_id.data not in (0, KEEP_TAX)
                                      else None, keep_tax=form.tax_rate_id.data == KEEP_TAX)
        with refused(form, default_field="amount") as refusal:
            drafts.change_adjustment(current_actor(), document_id, adjustment_id, sent_version(), data)
            return _editor_answer(doc, "invoices/_adjustments.html")
        if _about_the_draft(refusal.error):
            return _stale(refusal.error, document_id)
        doc = load(document_id)
    return _editor_answer(doc, "invoices/_adjustments.html", 422, adjustment_forms={adjustment_id: form})


@bp.post("/<int:document_id>/adjustments/<int:adjustment_id>/delete")
@require_document_permission("edit")
@on_refusal(_stale)
def remove_adjustment(document_id: int, adjustment_id: int):
    doc = drafts.remove_adjustment(current_actor(), document_id, adjustment_id, sent_version())
    return _editor_answer(doc, "invoices/_adjustments.html")
