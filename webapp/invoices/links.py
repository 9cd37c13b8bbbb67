"""The customer's link of an issued document: make a new one, revoke it."""
from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _

from webapp.htmx import redirect_to
from webapp.invoices import bp
from webapp.tenancy import current_actor, require_permission
from webapp.usecases import links
from webapp.web.actions import refused


@bp.post("/<int:document_id>/link")
@require_permission("issue_documents")
def renew_link(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        links.renew_link(current_actor(), document_id)
    flash(_("A new customer link was made; the old one no longer works."), "success")
    return redirect_to(url_for("invoices.show", document_id=document_id))


@bp.post("/<int:document_id>/link/revoke")
@require_permission("issue_documents")
def revoke_link(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        links.revoke_link(current_actor(), document_id)
    flash(_("The customer link no longer works."), "success")
    return redirect_to(url_for("invoices.show", document_id=document_id))
