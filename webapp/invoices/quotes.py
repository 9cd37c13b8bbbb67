"""Quotes: a member records the customer's decision; an accepted quote converts into an invoice draft."""
from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _

from webapp.htmx import redirect_to
from webapp.invoices import bp
from webapp.tenancy import current_actor, require_permission
from webapp.usecases import quotes
from webapp.web.actions import refused


def _decide(document_id: int, action: str):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        quotes.decide(current_actor(), document_id, action)
    flash(_("The quote is accepted.") if action == "accept" else _("The quote is declined."), "success")
    return redirect_to(url_for("invoices.show", document_id=document_id))


@bp.post("/<int:document_id>/accept")
@require_permission("issue_documents")
def accept(document_id: int):
    return _decide(document_id, "accept")


@bp.post("/<int:document_id>/decline")
@require_permission("issue_documents")
def decline(document_id: int):
    return _decide(document_id, "decline")


@bp.post("/<int:document_id>/convert")
@require_permission("edit_drafts")
def convert(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        invoice = quotes.convert(current_actor(), document_id)
    flash(_("The quote became this invoice draft."), "success")
    return redirect_to(url_for("invoices.edit", document_id=invoice.id))
