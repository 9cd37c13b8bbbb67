"""Sending an issued document: the dialog (to, cc, subject, message, attach the PDF) with a preview."""
from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _

from webapp.domain.placeholders import PLACEHOLDERS
from webapp.htmx import redirect_to, render
from webapp.invoices import bp
from webapp.invoices.common import load
from webapp.invoices.forms import SendForm
from webapp.services import einvoice_xml, mail
from webapp.services import pdf as pdf_service
from webapp.services import sending as messages
from webapp.tenancy import current_actor, current_org, require_permission
from webapp.usecases import sending
from webapp.usecases.documents import check_action
from webapp.web.actions import refused


@bp.route("/<int:document_id>/send", methods=["GET", "POST"])
@require_permission("view")
def send(document_id: int):
    with refused(redirect=url_for("invoices.show", document_id=document_id)):
        doc = check_action(current_actor(), document_id, "send")
    org = current_org()
    form = SendForm(obj=messages.compose(doc, org), formdata=None) if request.method == "GET" else SendForm()
    if request.method == "POST" and form.validate():
        draft = sending.Draft(to=form.to.data, cc=form.cc.data, subject=form.subject.data, body=form.body.data,
                              attach_pdf=form.attach_pdf.data, key=form.key.data)
        with refused(form, default_field="key"):
            doc, message = sending.send(current_actor(), document_id, draft)
            flash(_("%(number)s is on its way to %(recipients)s. The activity list below shows when it has been "
                    "delivered.", number=doc.number, recipients=", ".join(message.recipients)), "success")
            return redirect_to(url_for("invoices.show", document_id=doc.id))
        doc = load(document_id)
    subject, body = messages.preview(doc, org, form.subject.data or "", form.body.data or "")
    return render("invoices/send.html", "invoices/_send_form.html",
                  status=422 if form.errors else 200, doc=doc, form=form, placeholders=PLACEHOLDERS,
                  attachment=pdf_service.filename(doc), has_link=doc.public_token is not None,
                  xml_attachment=einvoice_xml.filename(doc, xml) if (xml := mail.einvoice_attachment(doc)) else None,
                  preview_subject=subject, preview_body=body)
