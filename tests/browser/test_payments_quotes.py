"""A bookkeeper records a partial payment and marks the invoice paid; a customer accepts a quote on its
page and the owner converts it into an invoice."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Document
from webapp.services import drafts, issuing

pytestmark = pytest.mark.browser


def log_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Invoices").first).to_be_visible()


def test_bookkeeper_records_a_partial_payment_then_marks_the_invoice_paid(page, f):
    owner = f.user("owner-pay@example.com")
    org = f.complete_org(f.organization(owner=owner, name="Ines Bakery"))
    org.locale = "en_GB"
    db.session.commit()
    bookkeeper = f.user("books@example.com")
    f.member(org, "bookkeeper", bookkeeper)
    doc = f.issued(org, contact_=f.contact(org, "Café Morgenrot", email="kasse@morgenrot.example"),
                   lines=[("Sourdough loaf", "25", "4.00")])  # 100.00 + 19 % = 119.00

    log_in(page, "books@example.com")
    page.goto(f"/invoices/{doc.id}")
    expect(page.locator("#payment-state")).to_have_text("Unpaid")
    expect(page.locator("#amount-due")).to_have_text("€119.00")
    page.get_by_role("button", name="Record payment or refund").click()
    expect(page.get_by_label("Amount")).to_have_value("119.00")
    page.get_by_label("Amount").fill("50")
    page.get_by_label("Method").select_option("card")
    page.get_by_label("Reference").fill("ch_3NqL1")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#messages")).to_contain_text("The payment of €50.00 was recorded.")
    expect(page.locator("#payment-state")).to_have_text("Partially paid")
    expect(page.locator("#amount-due")).to_have_text("€69.00")
    screenshot(page, "invoice-partially-paid")
    page.get_by_label("E-mail the customer a payment confirmation").check()
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator("#messages")).to_contain_text("is marked as paid. A confirmation goes to kasse@morgenrot.example")
    expect(page.locator("#payment-state")).to_have_text("Paid")
    expect(page.locator("#amount-due")).to_have_text("€0.00")
    expect(page.locator("#timeline")).to_contain_text("recorded a payment of €69.00")
    screenshot(page, "invoice-paid")
    assert page.console_errors == []


def test_customer_accepts_a_quote_and_the_owner_converts_it(page, browser, live_server, f):
    owner = f.user("owner-quote@example.com")
    org = f.complete_org(f.organization(owner=owner, name="Ines Bakery"))
    customer = f.contact(org, "Hotel Alpenblick", email="office@alpenblick.example", locale="de_AT")
    quote = drafts.new_draft(org, owner, customer, kind="quote")
    line = drafts.add_line(org, quote)
    drafts.update_line(quote, line, {"description": "Wedding cake, three tiers", "quantity": Decimal(1),
                                        "unit_price": Decimal("280")})
    db.session.commit()
    issuing.issue(org, owner, quote)
    db.session.commit()

    customer_context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 800})
    customer_page = customer_context.new_page()
    customer_page.goto(f"/p/{quote.public_token}")
    expect(customer_page.get_by_role("heading", level=1)).to_contain_text(f"Angebot {quote.number}")
    expect(customer_page.locator("#public-state")).to_have_text("Wartet auf Ihre Antwort")
    screenshot(customer_page, "quote-customer-page-mobile")
    customer_page.get_by_role("button", name="Angebot annehmen").click()
    # it asks once more, with the number and the amount (a step of its own: no JavaScript needed)
    expect(customer_page.locator("#quote-answer")).to_contain_text(f"Angebot {quote.number} über € 333,20 annehmen?")
    expect(customer_page).to_have_url(re.compile(r"\?answer=accept$"))
    screenshot(customer_page, "quote-customer-confirm-mobile")
    customer_page.get_by_role("button", name="Ja, annehmen").click()
    expect(customer_page.locator("#quote-answer")).to_contain_text("Sie haben dieses Angebot angenommen")
    expect(customer_page.locator("#public-state")).to_have_text("Angenommen")
    customer_context.close()

    log_in(page, "owner-quote@example.com")
    page.goto(f"/invoices/{quote.id}")
    expect(page.locator("#timeline")).to_contain_text("Hotel Alpenblick (on the quote's page) accepted quote")
    page.get_by_role("button", name="Convert into an invoice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft invoice")
    expect(page.locator("#total-gross")).to_contain_text("333,20")  # 280 + 19 %
    invoice = db.session.scalar(select(Document).where(Document.kind == "invoice"))
    assert invoice.related_id == quote.id
    page.goto(f"/invoices/{quote.id}")
    expect(page.locator("#related-documents")).to_contain_text("Invoice")
    screenshot(page, "quote-accepted-converted")
    assert page.console_errors == []
