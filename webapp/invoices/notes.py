"""Internal notes on a document and their attachments."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.forms import clean_text
from webapp.htmx import redirect_to
from webapp.invoices import bp
from webapp.invoices.common import load, show_page
from webapp.models import DocumentNote
from webapp.services import notes as note_files
from webapp.tenancy import current_actor, require_permission, scoped
from webapp.usecases import notes
from webapp.web.actions import refused
from webapp.web.files import stored_file


@bp.post("/<int:document_id>/notes")
@require_permission("add_notes")
def add_note(document_id: int):
    upload = request.files.get("file")
    data = upload.read(note_files.MAX_FILE_BYTES + 1) if upload is not None and upload.filename else None
    body = clean_text(request.form.get("body", ""))
    with refused() as refusal:
        note = notes.add_note(current_actor(), document_id, notes.NoteInput(
            body=body, filename=upload.filename if data else "", data=data))
        flash(_("The note was added. %(file)s is attached.", file=note.file_name) if note.file_name
              else _("The note was added."), "success")
        return redirect_to(url_for("invoices.show", document_id=document_id, _anchor="notes"))
    # the page again, with the message next to the form and what was typed still in it
    return show_page(document_id, status=422, note_draft=body, note_error=refusal.error.message)


@bp.get("/<int:document_id>/notes/<int:note_id>/file")
@require_permission("view")
def note_file(document_id: int, note_id: int):
    doc = load(document_id)
    note = db.session.scalar(scoped(DocumentNote).where(DocumentNote.id == note_id, DocumentNote.document_id == doc.id))
    path = note_files.file_path(note) if note is not None else None
    if path is None:
        abort(404)
    return stored_file(path, note.file_name, note.file_mime)
