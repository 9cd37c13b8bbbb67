"""Send an issued invoice from the browser; the customer opens the e-mail's link and downloads the PDF."""
import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from tests.smtp import configure, free_port, start_server
from webapp.extensions import db
from webapp.models import Document
from webapp.services import mail

pytestmark = pytest.mark.browser


def test_send_an_invoice_and_the_customer_opens_it_from_the_email(app, page, browser, live_server, f, monkeypatch,
                                                                 tmp_path):
    user = f.user("ines@example.com")
    org = f.complete_org(f.organization(owner=user, name="Ines Bakery"))
    org.bic = "COBADEFFXXX"
    db.session.commit()
    customer = f.contact(org, "Café Morgenrot", email="kasse@morgenrot.example", locale="de_DE",
                         street="Lindenweg 4", postal_code="80331", city="München")
    doc = f.issued(org, contact_=customer, lines=[("Sourdough loaf", "40", "4.80"), ("Croissant", "60", "1.20")])

    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("ines@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Invoices").first).to_be_visible()
    page.goto(f"/invoices/{doc.id}")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_label("To", exact=True)).to_have_value("kasse@morgenrot.example")
    expect(page.get_by_label("Subject")).to_have_value("Rechnung {number} von {company}")
    expect(page.locator("#send-preview")).to_contain_text(f"Rechnung {doc.number} von Ines Bakery")
    expect(page.locator("#send-preview")).to_contain_text("Guten Tag Café Morgenrot")
    page.get_by_label("Cc", exact=True).fill("not an address")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#cc-error")).to_contain_text("not a valid e-mail address")
    expect(page.get_by_label("Message")).to_contain_text("Guten Tag {customer_name}")  # nothing lost
    page.get_by_label("Cc", exact=True).fill("")
    screenshot(page, "send-dialog")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text("is on its way to kasse@morgenrot.example")
    expect(page.locator("#timeline")).to_contain_text("with the PDF attached")
    expect(page.locator("#timeline .delivery")).to_have_text("queued")

    port = free_port()
    configure(app, monkeypatch, port)
    controller, inbox = start_server(port)
    try:
        with app.test_request_context():
            assert len(mail.deliver_due().sent) == 1
    finally:
        controller.stop()
    page.reload()
    expect(page.locator("#timeline .delivery")).to_contain_text("delivered")

    received = email.message_from_bytes(inbox.messages[0].as_bytes(), policy=policy.default)
    link = re.search(r"https://tallybook\.test(/p/\S+)", received.get_body(("plain",)).get_content()).group(1)
    stored = db.session.get(Document, doc.id).pdf

    customer_context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 800},
                                           accept_downloads=True)
    customer_page = customer_context.new_page()
    customer_page.goto(link)
    expect(customer_page.get_by_role("heading", level=1)).to_contain_text(f"Rechnung {doc.number}")
    expect(customer_page.locator("#payment-status")).to_contain_text("Offener Betrag: 314,16")
    expect(customer_page.get_by_text("Per Überweisung bezahlen")).to_be_visible()
    expect(customer_page.get_by_alt_text("EPC-QR-Code für Ihre Banking-App")).to_be_visible()
    screenshot(customer_page, "customer-page-mobile")
    with customer_page.expect_download() as download_info:
        customer_page.get_by_role("button", name="PDF herunterladen").click()
    download = download_info.value
    assert download.suggested_filename == f"{doc.number}.pdf"
    saved = tmp_path / "invoice.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == stored
    customer_context.close()

    page.reload()
    expect(page.locator("#customer-link")).to_contain_text("First opened")
    expect(page.locator("#timeline")).to_contain_text(f"Café Morgenrot opened {doc.number}")
    screenshot(page, "invoice-after-sending")
    assert page.console_errors == []
