"""The purchases inbox in Chromium: files dropped on the drop zone upload at once and each says what became of it;
the draft shows the supplier's file, the rules' verdict and where the calculator differs; a line of a foreign rate
keeps its VAT when edited; the purchase is booked and lands in the purchases list. At 1280 and 375 px."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Document

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"


def log_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def drop(page, selector, files):
    """Drop ``files`` (name, bytes, type) on ``selector`` as a user dragging them from the desktop would."""
    payload = [{"name": n, "data": list(d), "type": t} for n, d, t in files]
    page.evaluate("""([selector, files]) => {
        const transfer = new DataTransfer();
        for (const f of files) { transfer.items.add(new File([new Uint8Array(f.data)], f.name, {type: f.type})); }
        const zone = document.querySelector(selector);
        zone.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: transfer}));
        zone.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: transfer}));
    }""", [selector, payload])


def test_dropped_files_become_purchase_drafts_that_book(page, f):
    user = f.user("berta@example.com")
    org = f.complete_org(f.organization(owner=user, name="Berta Bistro"))
    org.locale = "en_GB"
    db.session.commit()
    log_in(page, "berta@example.com")
    page.goto("/purchases/inbox")
    page.evaluate("window.__marker = 'same page'")
    drop(page, "[data-dropzone]", [
        ("koksmaat.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes(), "application/xml"),
        ("notes.txt", b"not an invoice", "text/plain")])
    results = page.locator("#inbox-results")
    expect(results).to_contain_text("koksmaat.xml: a purchase draft from De Koksmaat, €250.33.")
    expect(results).to_contain_text("notes.txt: This file is neither an e-invoice (XML) nor a PDF.")
    assert page.evaluate("window.__marker") == "same page"  # htmx: no page load
    screenshot(page, "purchases-inbox-results")

    results.get_by_role("link", name="Open the draft").click()
    expect(page.locator("h1")).to_contain_text("Draft purchase")
    expect(page.locator("#supplier-file")).to_contain_text("koksmaat.xml")
    expect(page.locator("#supplier-file-passed")).to_contain_text("passes the official rules (EN 16931 1.3.16)")
    differences = page.locator("#calculation-differences")
    expect(differences).to_contain_text("Line 20")
    expect(differences).to_contain_text("-€109.98")
    expect(page.locator("#invoice-totals")).to_contain_text("€250.33")
    screenshot(page, "purchase-draft-from-einvoice")

    doc = db.session.query(Document).filter_by(org_id=org.id, flow="purchases").one()
    page.goto(f"/invoices/{doc.id}/edit")
    tax = page.locator(f"#l{doc.lines[0].id}-tax_rate_id")
    expect(tax).to_have_value("-1")  # the supplier's 6 %, which the organization has no rate of
    page.locator(f"#l{doc.lines[0].id}-quantity").fill("3")
    page.locator(f"#l{doc.lines[0].id}-quantity").press("Tab")
    expect(page.locator(f"#line-net-{doc.lines[0].id}")).to_have_text("€29.85")
    page.get_by_label("Supplier's invoice number").fill("12115118-A")
    page.get_by_label("Supplier's invoice number").press("Tab")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Book").click()
    expect(page.locator("h1")).to_contain_text("Purchase PUR-")
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert (doc.status, doc.supplier_number, doc.lines[0].tax_category, str(doc.lines[0].tax_percent)) == (
        "issued", "12115118-A", "S", "6.0000")
    assert doc.gross_total == 25033  # the supplier's figures stand
    page.goto("/purchases/")
    expect(page.locator(f"#invoice-{doc.id}")).to_contain_text(doc.number)
    expect(page.locator(f"#invoice-{doc.id}")).to_contain_text("12115118-A")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/invoices/{doc.id}")
    expect(page.locator("#supplier-file")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "purchase-booked-phone")
    assert not page.console_errors
