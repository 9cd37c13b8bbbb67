"""Corrections: a credit note for an invoice, cancel, change the recipient, reactivate a cancelled invoice."""
from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _

from webapp.domain.numbers import parse_decimal
from webapp.extensions import db
from webapp.forms import as_choices, clean_line
from webapp.htmx import redirect_to, render
from webapp.i18n import format_number, member_locale
from webapp.invoices import bp
from webapp.invoices.common import load
from webapp.invoices.forms import CancelForm, CreditForm, RecipientForm
from webapp.models import Contact, Document
from webapp.services import ledger
from webapp.tenancy import current_actor, require_permission, scoped
from webapp.usecases import corrections
from webapp.usecases.documents import check_action
from webapp.web.actions import refused


def _page(document_id: int) -> str:
    return url_for("invoices.show", document_id=document_id)


def _groups(doc: Document) -> list[tuple[str, str]]:
    locale = member_locale()
    return [(f"{g['category']}|{g['rate']}", f"{format_number(g['rate'], locale)} % ({g['category']})")
            for g in doc.tax_breakdown]


def _credit_input(doc: Document, form: CreditForm, typed: dict[int, str]) -> corrections.CreditInput | None:
    """The form as the use case's input; None (with the form's errors) when a quantity is not a number."""
    quantities = {}
    if form.mode.data == "lines":
        for line in doc.lines:
            typed[line.id] = raw = clean_line(request.form.get(f"q{line.id}", ""))
            if raw:
                try:
                    quantities[line.id] = parse_decimal(raw, 4, allow_negative=False, locale=member_locale())
                except ValueError as exc:
                    form.form_errors.append(_("Line %(number)s: %(error)s", number=line.position + 1, error=str(exc)))
    if form.form_errors:
        return None
    category, _sep, rate = (form.group.data or "").partition("|")
    return corrections.CreditInput(mode=form.mode.data, reason=form.reason.data, quantities=quantities,
                                   amount=form.amount.decimal, group=(category, rate))


@bp.route("/<int:document_id>/credit", methods=["GET", "POST"])
@require_permission("correct_documents")
def credit(document_id: int):
    with refused(redirect=_page(document_id)):
        doc = check_action(current_actor(), document_id, "credit")
    form = CreditForm() if request.method == "POST" else CreditForm(formdata=None)
    form.group.choices = as_choices(_groups(doc))
    typed: dict[int, str] = {}
    if request.method == "POST" and form.validate():
        data = _credit_input(doc, form, typed)
        if data is not None:
            with refused(form):
                note = corrections.create_credit_note(current_actor(), document_id, data)
                flash(_("A draft credit note for %(number)s was made. Check it and issue it.", number=doc.number), "success")
                return redirect_to(url_for("invoices.show", document_id=note.id))
            doc = load(document_id)
    return render("invoices/credit.html", status=422 if form.errors or form.form_errors else 200, doc=doc,
                  form=form, remaining=ledger.remaining_quantities(doc), typed=typed,
                  creditable=ledger.creditable(doc))


@bp.post("/<int:document_id>/cancel")
@require_permission("correct_documents")
def cancel(document_id: int):
    number = load(document_id).number
    form = CancelForm()
    if not form.validate():
        flash(" ".join(map(str, form.reason.errors)), "error")
        return redirect_to(_page(document_id))
    with refused(redirect=_page(document_id)):
        note = corrections.cancel(current_actor(), document_id, form.reason.data)
    flash(_("%(number)s is cancelled by credit note %(note)s.", number=number, note=note.number), "success")
    return redirect_to(_page(document_id))


@bp.route("/<int:document_id>/change-recipient", methods=["GET", "POST"])
@require_permission("correct_documents")
def change_recipient(document_id: int):
    with refused(redirect=_page(document_id)):
        doc = check_action(current_actor(), document_id, "change_recipient")
    form = RecipientForm() if request.method == "POST" else RecipientForm(formdata=None)
    if request.method == "POST" and form.validate():
        with refused(redirect=_page(document_id)):
            note, copy = corrections.change_recipient(current_actor(), document_id, form.contact_id.data,
                                                      form.reason.data)
        flash(_("%(number)s is cancelled by %(note)s; here is the new draft for %(customer)s.",
                number=note.related.number, note=note.number, customer=copy.buyer_name), "success")
        return redirect_to(url_for("invoices.edit", document_id=copy.id))
    customers = db.session.scalars(scoped(Contact).where(Contact.archived.is_(False), Contact.id != doc.contact_id)
                                   .order_by(Contact.sort_name).limit(500)).all()
    return render("invoices/change_recipient.html", status=422 if form.errors else 200, doc=doc, form=form,
                  customers=customers)


@bp.post("/<int:document_id>/reactivate")
@require_permission("correct_documents")
def reactivate(document_id: int):
    with refused(redirect=_page(document_id)):
        copy = corrections.reactivate(current_actor(), document_id)
    flash(_("A new draft was made from the cancelled invoice; the original stays cancelled."), "success")
    return redirect_to(url_for("invoices.edit", document_id=copy.id))
