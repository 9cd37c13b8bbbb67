"""Internal notes with attachments: type from the bytes, 10 MB, stored outside static/, members only."""
import io
from pathlib import Path

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import DocumentNote

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, doc_id, data: bytes, name: str, body: str = "See attached"):
    return client.post(f"/invoices/{doc_id}/notes", data={"body": body, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_only_a_real_pdf_png_or_jpeg_up_to_10_mb_is_kept(app, owner, f):
    doc = f.issued(owner.org)
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024 + 512 * 1024)  # 10.5 MB
    r = upload(owner.client, doc.id, big, "big.pdf", body="Too big, kept")
    assert "at most 10 MB" in r.data.decode() and "Too big, kept" in r.data.decode()
    r = upload(owner.client, doc.id, b"<html><script>alert(1)</script></html>", "invoice.pdf")
    assert "Only PDF, PNG and JPEG" in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(DocumentNote)) == 0
    r = upload(owner.client, doc.id, PDF, "../../etc/Delivery note.pdf")
    assert "is attached" in r.data.decode()
    note = db.session.scalar(select(DocumentNote))
    assert note.file_mime == "application/pdf" and note.file_size == len(PDF)
    assert note.file_name == "Delivery note.pdf"
    stored = Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / note.file_key
    assert stored.read_bytes() == PDF and Path(app.static_folder) not in stored.parents
    r = owner.client.get(f"/invoices/{doc.id}/notes/{note.id}/file")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and "Delivery note.pdf" in r.headers["Content-Disposition"]
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "See attached" in page and "Delivery note.pdf" in page


def test_png_and_jpeg_and_a_text_only_note(owner, f):
    doc = f.draft(owner.org)
    assert "is attached" in upload(owner.client, doc.id, b"\x89PNG\r\n\x1a\n" + b"x" * 10, "a.png").data.decode()
    assert "is attached" in upload(owner.client, doc.id, b"\xff\xd8\xff\xe0" + b"x" * 10, "b.jpeg").data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": "Called the customer"}, follow_redirects=True)
    assert "The note was added." in r.data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": "  "}, follow_redirects=True)
    assert "Write a note or choose a file" in r.data.decode()
    names = [n.file_name for n in db.session.scalars(select(DocumentNote).order_by(DocumentNote.id))]
    assert names == ["a.png", "b.jpg", ""]


def test_attachments_are_for_members_of_the_organization_only(app, owner, f, login_as):
    doc = f.issued(owner.org)
    upload(owner.client, doc.id, PDF, "secret.pdf")
    note = db.session.scalar(select(DocumentNote))
    url = f"/invoices/{doc.id}/notes/{note.id}/file"
    bookkeeper = login_as("bookkeeper", org=owner.org)
    assert bookkeeper.client.get(url).status_code == 200
    stranger = login_as("owner")
    assert stranger.client.get(url).status_code == 404
    assert stranger.client.post(f"/invoices/{doc.id}/notes", data={"body": "x"}).status_code == 404
    assert app.test_client().get(url).status_code in (302, 303)  # to the log-in page
    assert db.session.scalar(select(func.count()).select_from(DocumentNote)) == 1
    # the customer's page never shows internal notes
    assert "secret.pdf" not in app.test_client().get(f"/p/{doc.public_token}").data.decode()


def test_deleting_a_draft_removes_its_files(app, owner, f):
    doc = f.draft(owner.org)
    upload(owner.client, doc.id, PDF, "draft.pdf")
    note = db.session.scalar(select(DocumentNote))
    stored = Path(app.config["ATTACHMENT_DIR"]) / str(owner.org.id) / note.file_key
    assert stored.exists()
    owner.client.post(f"/invoices/{doc.id}/delete", data={"version": doc.version})
    assert not stored.exists() and db.session.scalar(select(func.count()).select_from(DocumentNote)) == 0


def test_a_refused_note_keeps_every_word_typed_and_file_names_keep_their_letters(owner, f):
    doc = f.issued(owner.org)
    long_note = "Lieferung prüfen — Paket beschädigt, Kunde ruft morgen zurück. " * 70  # ~4,500 characters
    r = owner.client.post(f"/invoices/{doc.id}/notes", data={"body": long_note, "file": (io.BytesIO(b"GIF89a"), "x.gif")},
                          content_type="multipart/form-data")
    html = r.data.decode()
    assert r.status_code == 422 and "Only PDF, PNG and JPEG" in html and long_note.strip()[:200] in html
    other = f.issued(owner.org)
    assert "Lieferung prüfen" not in owner.client.get(f"/invoices/{other.id}").data.decode()
    r = upload(owner.client, doc.id, PDF, "../<img src=x onerror=alert(1)>Rechnung März 请.pdf")
    note = db.session.scalar(select(DocumentNote))
    assert note.file_name == "img src_x onerror_alert_1_Rechnung März 请.pdf"
    download = owner.client.get(f"/invoices/{doc.id}/notes/{note.id}/file")
    assert download.data == PDF and "filename*=UTF-8''" in download.headers["Content-Disposition"]
