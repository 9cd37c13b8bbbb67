"""Internal notes with files: type from the bytes, 10 MB each, 10 per note, stored outside static/, members only."""
import io
from pathlib import Path

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import DocumentNote, DocumentNoteFile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 10


def upload(client, doc_id, data: bytes, name: str, body: str = "See attached"):
    return client.post(f"/invoices/{doc_id}/notes", data={"body": body, "files": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_only_a_real_pdf_png_or_jpeg_up_to_10_mb_is_kept(app, owner, f):
    doc = f.issued(owner.org)
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024 + 512 * 1024)  # 10.5 MB
    r = upload(owner.client, doc.id, big, "big.pdf", body="Too big, kept")
    assert "big.pdf: The file is larger than 10 MB." in r.data.decode() and "Too big, kept" in r.data.decode()
    r = upload(owner.client, doc.id, b"<html><script>alert(1)</script></html>", "invoice.pdf")
    assert "Only PDF, PNG and JPEG" in r.data.decode()
    assert count(DocumentNote) == 0 and count(DocumentNoteFile) == 0
    r = upload(owner.client, doc.id, PDF, "../../etc/Delivery note.pdf")
    assert "The note was added with 1 file." in r.data.decode()
    note = db.session.scalar(select(DocumentNote))
    [file] = note.files
    assert (file.file_mime, file.file_size, file.file_name, file.position) == (
        "application/pdf", len(PDF), "Delivery note.pdf", 0)
    stored = Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / file.file_key
    assert stored.read_bytes() == PDF and Path(app.static_folder) not in stored.parents
    r = owner.client.get(f"/invoices/{doc.id}/notes/{note.id}/files/{file.id}")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and "Delivery note.pdf" in r.headers["Content-Disposition"]
    old_url = owner.client.get(f"/invoices/{doc.id}/notes/{note.id}/file")  # a note's one file, before several
    assert old_url.status_code == 200 and old_url.data == PDF
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "See attached" in page and "Delivery note.pdf" in page
    assert f'/invoices/{doc.id}/notes/{note.id}/files/{file.id}' in page


def test_one_note_with_several_files_then_more_added_to_it(app, owner, f):
    doc = f.issued(owner.org)
    r = owner.client.post(f"/invoices/{doc.id}/notes", content_type="multipart/form-data", follow_redirects=True,
                          data={"body": "Delivery", "files": [(io.BytesIO(PDF + b" " * 2000), "receipt.pdf"),
                                                              (io.BytesIO(PNG + b"x" * 5000), "signature.png")]})
    assert "The note was added with 2 files." in r.data.decode()
    note = db.session.scalar(select(DocumentNote))
    assert count(DocumentNote) == 1 and [(x.file_name, x.position) for x in note.files] == [
        ("receipt.pdf", 0), ("signature.png", 1)]
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    for file in note.files:
        assert f"/invoices/{doc.id}/notes/{note.id}/files/{file.id}" in page
    assert "(2,0 KB)" in page and "(4,9 KB)" in page  # each file with its size (the organization speaks German)
    # more files to the same note: all or none, at most 10 in the note
    r = owner.client.post(f"/invoices/{doc.id}/notes/{note.id}/files", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(PNG), "ok.png"), (io.BytesIO(b"GIF89a"), "x.gif")]})
    assert r.status_code == 422 and "x.gif: Only PDF, PNG and JPEG" in r.data.decode()
    assert count(DocumentNoteFile) == 2
    r = owner.client.post(f"/invoices/{doc.id}/notes/{note.id}/files", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(PDF), "photo.pdf")]}, follow_redirects=True)
    assert "1 file was added to the note." in r.data.decode()
    db.session.expire_all()
    assert [x.file_name for x in db.session.get(DocumentNote, note.id).files] == [
        "receipt.pdf", "signature.png", "photo.pdf"]
    eight = [(io.BytesIO(PNG), f"p{i}.png") for i in range(8)]
    r = owner.client.post(f"/invoices/{doc.id}/notes/{note.id}/files", content_type="multipart/form-data",
                          data={"files": eight})
    assert r.status_code == 422 and "A note holds at most 10 files." in r.data.decode()
    assert count(DocumentNoteFile) == 3
    r = owner.client.post(f"/invoices/{doc.id}/notes/{note.id}/files", data={})
    assert r.status_code == 422 and "Choose at least one file." in r.data.decode()
    other = f.issued(owner.org)  # the note belongs to another document: no such note there
    r = owner.client.post(f"/invoices/{other.id}/notes/{note.id}/files", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(PDF), "a.pdf")]})
    assert r.status_code == 404 and count(DocumentNoteFile) == 3
    assert owner.client.get(f"/invoices/{other.id}/notes/{note.id}/files/{note.files[0].id}").status_code == 404


def test_png_and_jpeg_and_a_text_only_note(owner, f):
    doc = f.draft(owner.org)
    assert "with 1 file" in upload(owner.client, doc.id, PNG, "a.png").data.decode()
    assert "with 1 file" in upload(owner.client, doc.id, b"\xff\xd8\xff\xe0" + b"x" * 10, "b.jpeg").data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": "Called the customer"}, follow_redirects=True)
    assert "The note was added." in r.data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": "  "}, follow_redirects=True)
    assert "Write a note or choose a file" in r.data.decode()
    notes = db.session.scalars(select(DocumentNote).order_by(DocumentNote.id)).all()
    assert [[x.file_name for x in n.files] for n in notes] == [["a.png"], ["b.jpg"], []]


def test_attachments_are_for_members_of_the_organization_only(app, owner, f, login_as):
    doc = f.issued(owner.org)
    upload(owner.client, doc.id, PDF, "secret.pdf")
    note = db.session.scalar(select(DocumentNote))
    url = f"/invoices/{doc.id}/notes/{note.id}/files/{note.files[0].id}"
    bookkeeper = login_as("bookkeeper", org=owner.org)
    assert bookkeeper.client.get(url).status_code == 200
    stranger = login_as("owner")
    assert stranger.client.get(url).status_code == 404
    assert stranger.client.get(f"/invoices/{doc.id}/notes/{note.id}/file").status_code == 404
    assert stranger.client.post(f"/invoices/{doc.id}/notes", data={"body": "x"}).status_code == 404
    assert app.test_client().get(url).status_code in (302, 303)  # to the log-in page
    assert count(DocumentNote) == 1
    # the customer's page never shows internal notes
    assert "secret.pdf" not in app.test_client().get(f"/p/{doc.public_token}").data.decode()


def test_deleting_a_draft_removes_its_files(app, owner, f):
    doc = f.draft(owner.org)
    owner.client.post(f"/invoices/{doc.id}/notes", content_type="multipart/form-data", data={
        "body": "", "files": [(io.BytesIO(PDF), "draft.pdf"), (io.BytesIO(PNG), "draft.png")]})
    keys = [x.file_key for x in db.session.scalar(select(DocumentNote)).files]
    stored = [Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / key for key in keys]
    assert len(stored) == 2 and all(p.exists() for p in stored)
    owner.client.post(f"/invoices/{doc.id}/delete", data={"version": doc.version})
    assert not any(p.exists() for p in stored)
    assert count(DocumentNote) == 0 and count(DocumentNoteFile) == 0


def test_a_refused_note_keeps_every_word_typed_and_file_names_keep_their_letters(owner, f):
    doc = f.issued(owner.org)
    long_note = "Lieferung prüfen — Paket beschädigt, Kunde ruft morgen zurück. " * 70  # ~4,500 characters
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": long_note, "files": (io.BytesIO(b"GIF89a"), "x.gif")},
                          content_type="multipart/form-data")
    html = r.data.decode()
    assert r.status_code == 422 and "Only PDF, PNG and JPEG" in html and long_note.strip()[:200] in html
    other = f.issued(owner.org)
    assert "Lieferung prüfen" not in owner.client.get(f"/invoices/{other.id}").data.decode()
    upload(owner.client, doc.id, PDF, "../<img src=x onerror=alert(1)>Rechnung März 请.pdf")
    [file] = db.session.scalar(select(DocumentNote)).files
    assert file.file_name == "img src_x onerror_alert_1_Rechnung März 请.pdf"
    download = owner.client.get(f"/invoices/{doc.id}/notes/{file.note_id}/files/{file.id}")
    assert download.data == PDF and "filename*=UTF-8''" in download.headers["Content-Disposition"]
