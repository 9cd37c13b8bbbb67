"""Typing into the customer search narrows the list without a page load; a reload shows the same result."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_onboarding import sign_up

pytestmark = pytest.mark.browser

CUSTOMERS = ["Café Morgenrot", "Bäckerei Morgenstern", "Hotel Alpenblick", "Trattoria Da Luigi"]


def test_live_search_narrows_the_list_and_survives_reload(page):
    sign_up(page, "Sara Search", "sara@example.com", "Search Shop", "DE")
    for name in CUSTOMERS:
        page.goto("/customers/new")
        page.get_by_label("Company").fill(name)
        page.get_by_role("button", name="Add customer").click()
        expect(page.locator("#messages")).to_contain_text(f"{name} was added.")
    page.goto("/customers/")
    rows = page.locator("#customer-list tbody tr")
    expect(rows).to_have_count(4)
    page.evaluate("window.__marker = 'same page'")  # gone if the browser loads a new page
    page.get_by_label("Search customers").press_sequentially("MORGEN", delay=40)
    expect(rows).to_have_count(2)
    expect(page.locator("#customer-list")).to_contain_text("Café Morgenrot")
    expect(page.locator("#customer-list")).not_to_contain_text("Hotel Alpenblick")
    assert page.evaluate("window.__marker") == "same page"
    expect(page).to_have_url("/customers/?q=MORGEN")
    screenshot(page, "customers-search")
    page.reload()
    expect(page.get_by_label("Search customers")).to_have_value("MORGEN")
    expect(rows).to_have_count(2)
    assert page.evaluate("window.__marker") is None
    page.get_by_label("Search customers").fill("")
    expect(rows).to_have_count(4)
    page.go_back()
    expect(page.get_by_label("Search customers")).to_have_value("MORGEN")
    expect(rows).to_have_count(2)
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "customers-375")
    assert page.console_errors == []


def test_form_warns_about_a_duplicate_email_and_shows_shipping_only_when_asked(page):
    sign_up(page, "Dora Dup", "dora@example.com", "Dup Shop", "DE")
    page.goto("/customers/new")
    page.get_by_label("Company").fill("First GmbH")
    page.get_by_label("E-mail").fill("orders@first.example")
    page.get_by_role("button", name="Add customer").click()
    page.goto("/customers/new")
    expect(page.locator("#shipping_street")).to_be_hidden()
    page.get_by_label("Ship to a different address").check()
    expect(page.locator("#shipping_street")).to_be_visible()
    page.get_by_label("Company").fill("Second GmbH")
    page.get_by_label("E-mail").fill("ORDERS@first.example")
    expect(page.locator("#email-warning")).to_contain_text("Another customer uses this e-mail: First GmbH")
    screenshot(page, "customer-duplicate-warning")
    assert page.console_errors == []
