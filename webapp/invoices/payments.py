"""Payments on an invoice: the payment form, voiding a payment, marking the invoice as paid."""
from __future__ import annotations

import secrets
from datetime import date

from flask import flash, request, url_for
from flask_babel import gettext as _

from webapp.domain.money import from_minor
from webapp.i18n import format_money, member_locale
from webapp.htmx import redirect_to, render
from webapp.invoices import bp
from webapp.invoices.common import load
from webapp.invoices.forms import MarkPaidForm, PaymentForm, VoidForm
from webapp.tenancy import current_actor, require_permission
from webapp.usecases import payments
from webapp.web.actions import refused


def _page(document_id: int) -> str:
    return url_for("invoices.show", document_id=document_id)


@bp.route("/<int:document_id>/payments/new", methods=["GET", "POST"])
@require_permission("record_payments")
def new_payment(document_id: int):
    with refused(redirect=_page(document_id)):
        offer = payments.payment_form(current_actor(), document_id)
    doc = offer.document
    if request.method == "GET":
        due = doc.amount_due
        kind = "refund" if due < 0 or "payment" not in offer.kinds else "payment"
        form = PaymentForm(formdata=None, data={
            "kind": kind, "amount": from_minor(abs(due), doc.currency) if due else None,
            "paid_on": date.today(), "method": "bank_transfer", "key": secrets.token_urlsafe(16)})
    else:
        form = PaymentForm()
        if form.validate():
            data = payments.PaymentInput(amount=form.amount.decimal, refund=form.kind.data == "refund",
                                         paid_on=form.paid_on.data, method=form.method.data,
                                         reference=form.reference.data, note=form.note.data, key=form.key.data,
                                         allow_overpayment=form.allow_overpayment.data)
            actor = current_actor()
            with refused(form, default_field="key"):
                doc, payment = payments.record_payment(actor, document_id, data)
                amount = format_money(abs(payment.amount), doc.currency, member_locale())
                flash(_("The refund of %(amount)s was recorded.", amount=amount) if payment.amount < 0
                      else _("The payment of %(amount)s was recorded.", amount=amount), "success")
                return redirect_to(url_for("invoices.show", document_id=doc.id, _anchor="payments"))
            doc = load(document_id)
    form.kind.choices = [choice for choice in form.kind.choices if choice.value in offer.kinds]  # what may be recorded
    return render("invoices/payment.html", "invoices/_payment_form.html", status=422 if form.errors else 200,
                  doc=doc, form=form)


@bp.post("/<int:document_id>/payments/<int:payment_id>/void")
@require_permission("void_payments")
def void_payment(document_id: int, payment_id: int):
    form = VoidForm()
    if not form.validate():
        load(document_id)  # 404 for other organizations' documents
        flash(" ".join(map(str, form.reason.errors)), "error")
        return redirect_to(_page(document_id))
    with refused(redirect=url_for("invoices.show", document_id=document_id, _anchor="payments")):
        payments.void_payment(current_actor(), document_id, payment_id, form.reason.data)
    flash(_("The payment was voided; it stays listed and no longer counts."), "success")
    return redirect_to(url_for("invoices.show", document_id=document_id, _anchor="payments"))


@bp.post("/<int:document_id>/mark-paid")
@require_permission("record_payments")
def mark_paid(document_id: int):
    load(document_id)  # 404 for other organizations' documents
    form = MarkPaidForm()
    if not form.validate():
        flash(" ".join(map(str, form.key.errors)) or _("The form has expired; reload the page."), "error")
        return redirect_to(_page(document_id))
    with refused(redirect=url_for("invoices.show", document_id=document_id, _anchor="payments")):
        done = payments.mark_paid(current_actor(), document_id, payments.MarkPaid(
            key=form.key.data, send_confirmation=form.send_confirmation.data))
    to = done.confirmation_to
    number = done.document.number
    if to:
        message = _("%(number)s is marked as paid. A confirmation goes to %(address)s.", number=number, address=to)
    elif form.send_confirmation.data:
        message = _("%(number)s is marked as paid. (The customer has no e-mail address: no confirmation was sent.)",
                    number=number)
    else:
        message = _("%(number)s is marked as paid.", number=number)
    flash(message, "success")
    return redirect_to(url_for("invoices.show", document_id=document_id, _anchor="payments"))
