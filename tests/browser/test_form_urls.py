"""The address bar matches the page shown around the htmx forms of an invoice (payment, send): while the form is
shown with its errors (422) the address is the form's own, which renders the same form on reload; after a
successful submit the browser is on the invoice page, at the invoice page's address, and a reload stays there
(nothing is sent twice). The payment goes through the overpayment confirmation on the way."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import screenshot
from tests.browser.test_payments_quotes import log_in
from webapp.extensions import db
from webapp.models import OutboxMessage, Payment

pytestmark = pytest.mark.browser


def shop(f, email):
    owner = f.user(email)
    org = f.complete_org(f.organization(owner=owner, name="Radhaus Ines"))
    org.locale = "en_GB"
    db.session.commit()
    return org, f.issued(org, contact_=f.contact(org, "Café Morgenrot", email="kasse@morgenrot.example"),
                         lines=[("Service", "1", "100.00")])  # 119.00


def payment_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_after_a_payment_the_address_is_the_invoice_page_and_a_reload_stays_there(page, live_server, f):
    org, doc = shop(f, "owner-urls@example.com")
    invoice_url, form_url = f"{live_server}/invoices/{doc.id}", f"{live_server}/invoices/{doc.id}/payments/new"
    log_in(page, "owner-urls@example.com")
    page.goto(invoice_url)
    page.get_by_role("button", name="Record payment or refund").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record a payment for")
    assert page.url == form_url

    # more than is due: refused (422) with the difference, the form stays at its own address
    page.get_by_label("Amount").fill("217.27")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#payment-form")).to_contain_text(
        "This is €98.27 more than the €119.00 due; tick 'Record the overpayment' to record it.")
    expect(page.get_by_label("Record the overpayment")).not_to_be_checked()
    assert page.url == form_url and payment_rows() == 0
    screenshot(page, "payment-overpayment-confirmation")
    page.reload()  # the same form again, nothing recorded
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record a payment for")
    expect(page.get_by_label("Amount")).to_have_value("119.00")
    assert page.url == form_url and payment_rows() == 0

    page.get_by_label("Amount").fill("217.27")
    page.get_by_role("button", name="Record").click()
    page.get_by_label("Record the overpayment").check()
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#messages")).to_contain_text("The payment of €217.27 was recorded.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(doc.number)
    assert re.fullmatch(re.escape(invoice_url) + r"(#payments)?", page.url), page.url
    expect(page.locator("#payment-state")).to_have_text("Overpaid")
    expect(page.locator("#balance-paid")).to_have_text("€217.27")
    expect(page.locator("#amount-due")).to_have_text("€98.27")
    assert payment_rows() == 1

    page.reload()  # the invoice page again: the form is not opened (or sent) a second time
    expect(page.get_by_role("heading", level=1)).to_contain_text(doc.number)
    expect(page.locator("#payment-form")).to_have_count(0)
    assert re.fullmatch(re.escape(invoice_url) + r"(#payments)?", page.url), page.url
    assert payment_rows() == 1
    assert page.console_errors == []


def test_after_sending_the_address_is_the_invoice_page(page, live_server, f):
    org, doc = shop(f, "owner-send-urls@example.com")
    invoice_url, form_url = f"{live_server}/invoices/{doc.id}", f"{live_server}/invoices/{doc.id}/send"
    log_in(page, "owner-send-urls@example.com")
    page.goto(invoice_url)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Send {doc.number}")
    assert page.url == form_url
    page.get_by_label("To", exact=True).fill("not an address")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#send-form")).to_contain_text("Nothing was sent")
    assert page.url == form_url
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Send {doc.number}")
    assert page.url == form_url

    page.get_by_label("To", exact=True).fill("kasse@morgenrot.example")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("is on its way to kasse@morgenrot.example")
    assert page.url == invoice_url
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(doc.number)
    assert page.url == invoice_url
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert page.console_errors == []
