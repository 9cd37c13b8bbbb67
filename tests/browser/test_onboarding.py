"""A newcomer signs up, logs out, logs in, completes the company details and sees them on the dashboard."""
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def sign_up(page, name: str, email: str, business: str, country: str) -> None:
    page.goto("/auth/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("a-strong-password")
    page.get_by_label("Business name").fill(business)
    page.get_by_label("Country").select_option(country)
    page.get_by_role("button", name="Create my account").click()


def test_signup_logout_login_and_company_details(page):
    sign_up(page, "Clara Schmidt", "clara@example.com", "Schmidt Design", "DE")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schmidt Design")
    expect(page.locator("#first-steps")).to_contain_text("Complete your company details")
    expect(page.locator("#first-steps")).to_contain_text("Missing: street, postal code, city")

    page.locator("#account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("You are logged out.")

    page.get_by_label("E-mail").fill("clara@example.com")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-error")).to_have_text("E-mail or password is wrong.")
    page.get_by_label("Password").fill("a-strong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schmidt Design")

    page.get_by_role("link", name="Complete your company details").click()
    page.get_by_label("Legal name").fill("Schmidt Design GmbH")
    page.get_by_label("Street and number").fill("Torstraße 5")
    page.get_by_label("Postal code").fill("10119")
    page.get_by_label("City", exact=True).fill("Berlin")
    page.get_by_label("VAT ID").fill("DE136695977")  # a typo first
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Save company details").click()
    expect(page.locator("#vat_id-error")).to_contain_text("is not a valid VAT ID for DE")
    expect(page.get_by_label("Street and number")).to_have_value("Torstraße 5")  # nothing typed is lost
    screenshot(page, "settings-vat-error")
    page.get_by_label("VAT ID").fill("DE136695976")
    page.get_by_role("button", name="Save company details").click()
    expect(page.locator("#messages")).to_contain_text("Company details saved.")

    page.get_by_role("link", name="Dashboard").click()
    card = page.locator("#company-card")
    expect(card).to_contain_text("Schmidt Design GmbH")
    expect(card).to_contain_text("Torstraße 5")
    expect(card).to_contain_text("10119 Berlin")
    expect(card).to_contain_text("DE136695976")
    expect(card).to_contain_text("DE89 3704 0044 0532 0130 00")
    expect(page.locator("#first-steps li").first).to_have_class("done")
    screenshot(page, "dashboard-desktop")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "dashboard-375")
    assert page.console_errors == []


def test_number_format_preview_updates_as_you_type(page, live_server):
    sign_up(page, "Nils", "nils@example.com", "Nils Numbers", "AT")
    page.goto("/settings/numbering")
    year = date.today().year
    preview = page.locator("#preview-invoice")
    expect(preview).to_contain_text(f"INV-{year}-0001")
    field = page.locator("#invoice_format")
    field.fill("RE/{YY}/{SEQ:5}")
    expect(preview).to_contain_text(f"RE/{year % 100:02d}/00001")
    field.fill("RE/{WHAT}/{SEQ:5}")
    expect(preview).to_contain_text("Unknown token {WHAT}")
    field.fill("RE-{SEQ:3}")
    expect(preview).to_contain_text("must contain {YYYY} or {YY}")
    page.locator("#invoice_reset").uncheck()
    expect(preview).to_contain_text("RE-001")
    screenshot(page, "numbering-preview")
    page.get_by_role("button", name="Save number formats").click()
    expect(page.locator("#messages")).to_contain_text("Number formats saved.")
    expect(page.locator("#invoice_format")).to_have_value("RE-{SEQ:3}")
    assert page.console_errors == []
