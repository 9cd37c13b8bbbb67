"""Issuing a draft, deleting one, duplicating any document."""
from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError
from webapp.htmx import redirect_to
from webapp.invoices import bp
from webapp.invoices.common import load, sent_version
from webapp.tenancy import current_actor, require_permission
from webapp.usecases import drafts, issuing
from webapp.web.actions import on_refusal, refused


def _not_issued(error: ActionError, document_id: int):
    """Issuing was refused: the reason, on the editor (the draft as stored) or on the document's page, always
    by a redirect, so the address bar shows that page and a reload does not post the issue again."""
    if error.code == "already_done":
        flash(error.message, "info")
        return redirect_to(url_for("invoices.show", document_id=document_id))
    flash(error.message, "error")
    doc = load(document_id)
    editable = doc.is_draft and doc.kind != "credit_note"
    return redirect_to(url_for("invoices.edit" if editable else "invoices.show", document_id=doc.id))


def _issued(doc) -> str:
    if doc.kind == status_table.QUOTE:
        return _("Quote %(number)s is issued.", number=doc.number)
    if doc.kind == status_table.CREDIT_NOTE:
        return _("Credit note %(number)s is issued.", number=doc.number)
    return _("Invoice %(number)s is issued.", number=doc.number)


def _duplicated(original) -> str:
    if original.kind == status_table.QUOTE:
        return _("A new draft was made from this quote.")
    if original.kind == status_table.CREDIT_NOTE:
        return _("A new draft was made from this credit note.")
    return _("A new draft was made from this invoice.")


@bp.post("/<int:document_id>/issue")
@require_permission("view")
@on_refusal(_not_issued)
def issue(document_id: int):
    doc = issuing.issue(current_actor(), document_id, sent_version())
    flash(_issued(doc), "success")
    return redirect_to(url_for("invoices.show", document_id=doc.id))


@bp.post("/<int:document_id>/delete")
@require_permission("view")
def delete(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        drafts.delete_draft(current_actor(), document_id, sent_version())
    flash(_("The draft was deleted."), "success")
    return redirect_to(url_for("invoices.index"))


@bp.post("/<int:document_id>/duplicate")
@require_permission("edit_drafts")
def duplicate(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        copy = drafts.duplicate(current_actor(), document_id)
    flash(_duplicated(copy.related), "success")
    return redirect_to(url_for("invoices.edit", document_id=copy.id))
