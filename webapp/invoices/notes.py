"""Internal notes on a document and their files."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _, ngettext

from webapp.forms import clean_text
from webapp.htmx import redirect_to
from webapp.invoices import bp
from webapp.invoices.common import load, show_page
from webapp.services import notes as note_files
from webapp.tenancy import current_actor, require_permission
from webapp.usecases import NotFound, notes
from webapp.web.actions import refused
from webapp.web.files import stored_file


def uploads() -> list[notes.NoteFile]:
    """The files of the form (``files``, several; ``file`` from an older page), empty parts left out."""
    parts = [u for name in ("files", "file") for u in request.files.getlist(name) if u is not None and u.filename]
    return [notes.NoteFile(filename=u.filename, data=u.read(note_files.MAX_FILE_BYTES + 1))
            for u in parts[:note_files.MAX_FILES + 1]]  # one more than allowed: the limit is told, not cut


def _refusal_text(refusal: refused, files: list[notes.NoteFile]) -> str:
    """The refusal's message, with the name of the file it is about (``files.<i>``)."""
    field = refusal.error.field or ""
    if field.startswith("files.") and field[6:].isdigit() and int(field[6:]) < len(files):
        return f"{files[int(field[6:])].filename}: {refusal.error.message}"
    return refusal.error.message


@bp.post("/<int:document_id>/notes")
@require_permission("add_notes")
def add_note(document_id: int):
    files = uploads()
    body = clean_text(request.form.get("body", ""))
    with refused() as refusal:
        note = notes.add_note(current_actor(), document_id, notes.NoteInput(body=body, files=files))
        flash(ngettext("The note was added with %(num)d file.", "The note was added with %(num)d files.",
                       len(note.files)) if note.files else _("The note was added."), "success")
        return redirect_to(url_for("invoices.show", document_id=document_id, _anchor="notes"))
    # the page again, with the message next to the form and what was typed still in it
    return show_page(document_id, status=422, note_draft=body, note_error=_refusal_text(refusal, files))


@bp.post("/<int:document_id>/notes/<int:note_id>/files")
@require_permission("add_notes")
def add_note_files(document_id: int, note_id: int):
    files = uploads()
    with refused() as refusal:
        added = len(files)
        notes.add_note_files(current_actor(), document_id, note_id, files)
        flash(ngettext("%(num)d file was added to the note.", "%(num)d files were added to the note.", added),
              "success")
        return redirect_to(url_for("invoices.show", document_id=document_id, _anchor=f"note-{note_id}"))
    return show_page(document_id, status=422, note_file_error=(note_id, _refusal_text(refusal, files)))


def _download(document_id: int, note_id: int, file_id: int | None):
    doc = load(document_id)
    try:
        file = notes.note_file(current_actor(), doc.id, note_id, file_id)
    except NotFound:
        abort(404)
    return stored_file(note_files.file_path(file), file.file_name, file.file_mime)


@bp.get("/<int:document_id>/notes/<int:note_id>/files/<int:file_id>")
@require_permission("view")
def note_file(document_id: int, note_id: int, file_id: int):
    return _download(document_id, note_id, file_id)


@bp.get("/<int:document_id>/notes/<int:note_id>/file")
@require_permission("view")
def note_first_file(document_id: int, note_id: int):
    """The URL of a note's file from when a note held one: its first file."""
    return _download(document_id, note_id, None)
