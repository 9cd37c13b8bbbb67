"""PDF rendering: WeasyPrint (what Tallybook uses) next to headless Chromium for the same HTML.

Renders a one-page invoice and a 500-line invoice. Chromium is timed two ways: a new
``/usr/bin/chromium --headless --print-to-pdf`` process per document (how a page-per-call setup
runs it) and a warm browser kept open (Playwright ``page.pdf``). Database-independent: runs once.
"""
from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import build

from pypdf import PdfReader  # noqa: E402

from webapp.extensions import db  # noqa: E402
from webapp.models import Document, Organization, User  # noqa: E402
from webapp.services import documents, pdf  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CASES = (("one page (3 lines)", 3, 15), ("500 lines", 500, 5))  # name, lines, runs


def make_invoice(org_id: int, user_id: int, lines: int) -> int:
    from decimal import Decimal

    org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
    org.legal_name, org.street, org.postal_code, org.city = "Bench GmbH", "Hauptstr. 1", "10115", "Berlin"
    org.vat_id, org.iban, org.bic = "DE136695976", "DE89370400440532013000", "COBADEFFXXX"
    from webapp.services import contacts
    from webapp.models import Contact

    customer = Contact(org_id=org.id)
    contacts.apply(customer, {"company_name": "Kunde AG", "street": "Weg 2", "postal_code": "1010",
                              "city": "Wien", "country": "AT", "locale": "de_AT"}, {}, [])
    db.session.add(customer)
    db.session.flush()
    doc = documents.new_draft(org, user, customer)
    for i in range(lines):
        line = documents.add_line(org, doc)
        documents.update_line(doc, line, {"description": f"Position {i + 1}: consulting and implementation",
                                          "quantity": Decimal(i % 7 + 1), "unit_price": Decimal("12.34")})
    documents.issue(org, user, doc)
    db.session.commit()
    return doc.id


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def chromium_html(html: str, static: Path) -> str:
    """The same HTML with the stylesheet WeasyPrint is given linked in."""
    css = (static / pdf.STYLESHEET).resolve().as_uri()
    return html.replace("<head>", f'<head><link rel="stylesheet" href="{css}">', 1)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app, org_id, user_id = build(f"sqlite:///{tmp}/bench.sqlite")
        have_chromium = os.path.exists(CHROMIUM)
        rows = []
        with app.test_request_context():
            static = Path(app.static_folder)
            playwright = browser = None
            if have_chromium:
                from playwright.sync_api import sync_playwright

                playwright = sync_playwright().start()
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                for name, lines, runs in CASES:
                    doc = db.session.get(Document, make_invoice(org_id, user_id, lines))
                    org = db.session.get(Organization, org_id)
                    html = pdf.render_document_html(doc, org)
                    data = pdf.render_html_pdf(html)
                    pages = len(PdfReader(io.BytesIO(data)).pages)
                    weasy = median_ms(lambda: pdf.render_html_pdf(pdf.render_document_html(doc, org)), runs)
                    cold = warm = None
                    chrome_pages = "–"
                    if have_chromium:
                        source = Path(tmp) / f"invoice-{lines}.html"
                        source.write_text(chromium_html(html, static))
                        out = Path(tmp) / f"chromium-{lines}.pdf"

                        def cold_run():
                            subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                                            "--no-pdf-header-footer", f"--print-to-pdf={out}", source.as_uri()],
                                           check=True, capture_output=True, timeout=120)

                        cold = median_ms(cold_run, runs)
                        chrome_pages = len(PdfReader(str(out)).pages)
                        page = browser.new_page()

                        def warm_run():
                            page.goto(source.as_uri())
                            page.pdf(format="A4", prefer_css_page_size=True)

                        warm = median_ms(warm_run, runs)
                        page.close()
                    rows.append((name, pages, len(data), weasy, cold, warm, chrome_pages))
            finally:
                if browser is not None:
                    browser.close()
                    playwright.stop()

    def fmt(v):
        return f"{v:.0f}" if v is not None else "– (no /usr/bin/chromium)"

    print("\n## PDF rendering (median ms; the same HTML for both engines)\n")
    print("| invoice | pages | PDF bytes | WeasyPrint ms | Chromium --print-to-pdf (new process) ms | "
          "Chromium warm (page.pdf) ms | Chromium pages |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, pages, size, weasy, cold, warm, chrome_pages in rows:
        print(f"| {name} | {pages} | {size:,} | {weasy:.0f} | {fmt(cold)} | {fmt(warm)} | {chrome_pages} |")
    if shutil.which("nproc"):
        print(f"\n{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
              f"WeasyPrint includes rendering the template (about 3 ms).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
