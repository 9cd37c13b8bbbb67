"""Invoice PDFs: what they say, and that user text can never make the renderer fetch or embed anything."""
import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import TaxRate
from webapp.services import documents
from webapp.services.pdf import render_document_pdf


def pdf_text(data: bytes) -> str:
    """The PDF's text with all runs of white space made single spaces (lines wrap where the layout wants)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture
def org(f):
    return f.complete_org(f.organization(country="DE"))


def test_issued_invoice_pdf_shows_number_lines_breakdown_totals_iban_and_notes(app, org, f):
    customer = f.contact(org, "Kunde AG", street="Weg 2", city="Wien", country="AT", vat_id="ATU13585627")
    doc = f.draft(org, customer, lines=[("Consulting", "3", "100.00"), ("Travel", "1", "50.00")])
    reverse = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.category == "AE"))
    for line in doc.lines:
        documents.update_line(doc, line, {}, rate=reverse, set_rate=True)
    owner = next(m.user for m in org.memberships if m.role == "owner")
    number = documents.issue(org, owner, doc)
    db.session.commit()
    with app.test_request_context():
        text = pdf_text(render_document_pdf(doc, org))
    for expected in (number, "Consulting", "Travel", "Kunde AG", "ATU13585627", "350,00", "DE89 3704 0044 0532 0130 00",
                     "Reverse charge", "Article 196", doc.issue_date.isoformat(), doc.due_date.isoformat(), "Page 1 of 1"):
        assert expected in text, expected
    assert "DRAFT" not in text


def test_draft_pdf_carries_a_watermark(app, org, f):
    doc = f.draft(org)
    with app.test_request_context():
        assert "DRAFT" in pdf_text(render_document_pdf(doc, org))


def test_download_route_names_the_file_by_number(org, f, login_as):
    owner = login_as("owner", org=org)
    doc = f.issued(org)
    r = owner.client.get(f"/invoices/{doc.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["Content-Disposition"] == f'attachment; filename="{doc.number}.pdf"'
    other = login_as("owner")
    assert other.client.get(f"/invoices/{doc.id}/pdf").status_code == 404


class Canary(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        Canary.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_user_text_never_fetches_or_embeds_anything(app, org, f):
    server = HTTPServer(("127.0.0.1", 0), Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    payloads = [f'<img src="http://127.0.0.1:{port}/img">', f'<style>@import "http://127.0.0.1:{port}/css";</style>',
                '<link rel="attachment" href="file:///etc/passwd">', "<script>alert(1)</script>",
                f'<svg><image href="http://127.0.0.1:{port}/svg"/></svg>']
    try:
        org.legal_name = payloads[0] + " GmbH"
        org.footer_text = payloads[1]
        db.session.commit()
        customer = f.contact(org, payloads[2])
        doc = f.draft(org, customer, lines=[(p, "1", "1") for p in payloads])
        documents.update_header(doc, {"notes": payloads[3] + payloads[4]})
        db.session.commit()
        with app.test_request_context():
            data = render_document_pdf(doc, org)
    finally:
        server.shutdown()
    assert Canary.hits == []
    reader = PdfReader(io.BytesIO(data))
    assert not reader.attachments
    assert b"root:" not in data
    text = pdf_text(data)
    assert "<script>alert(1)</script>" in text.replace(" ", "")  # shown literally, as text


def test_the_fetcher_refuses_the_network_and_files_outside_static(app):
    from pathlib import Path

    from webapp.services.pdf import StaticOnlyFetcher

    fetcher = StaticOnlyFetcher(Path(app.static_folder))
    for url in ("http://127.0.0.1:1/x", "https://example.com/a.png", "file:///etc/passwd",
                f"file://{Path(app.static_folder).resolve()}/../README.md", "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    response = fetcher.fetch(f"file://{Path(app.static_folder).resolve()}/pdf/invoice.css")
    assert b"@page" in response.read()


def test_the_stored_pdf_stays_byte_identical_whatever_changes_later(org, f, login_as, app):
    import hashlib
    from io import BytesIO

    from PIL import Image

    owner = login_as("owner", org=org)
    customer = f.contact(org, "Kunde AG", street="Weg 2", city="Wien", country="AT")
    doc = f.issued(org, contact_=customer)
    first = owner.client.get(f"/invoices/{doc.id}/pdf").data
    assert hashlib.sha256(first).hexdigest() == db.session.get(type(doc), doc.id).pdf_sha256
    buf = BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 255)).save(buf, "PNG")
    org.name, org.legal_name, org.footer_text = "Renamed", "Renamed GmbH", "A new footer"
    org.logo, org.logo_mime = buf.getvalue(), "image/png"
    customer.street, customer.city = "Neue Gasse 9", "Graz"
    db.session.commit()
    again = owner.client.get(f"/invoices/{doc.id}/pdf").data
    assert again == first
    assert "Weg 2" in pdf_text(again) and "Renamed" not in pdf_text(again)
