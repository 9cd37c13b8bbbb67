"""Build an invoice in the live editor: three lines (one from a product), totals after each change, issue it."""
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import TaxRate

pytestmark = pytest.mark.browser


def test_build_and_issue_an_invoice(page, f):
    user = f.user("ines@example.com")
    org = f.complete_org(f.organization(owner=user, name="Ines Bakery"))
    org.locale = "en_GB"
    db.session.commit()
    seven = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    f.product(org, "Sourdough loaf", "4.80", unit="piece", tax_rate_id=seven.id)
    f.contact(org, "Café Morgenrot")

    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("ines@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Invoices").first.click()
    page.get_by_role("button", name="New invoice").click()
    page.get_by_label("Find a customer").press_sequentially("morgen", delay=30)
    page.get_by_role("button", name="Café Morgenrot").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft invoice")
    page.evaluate("window.__marker = 'same page'")
    gross = page.locator("#total-gross")

    # line 1: from the product catalog
    page.get_by_role("button", name="+ Add line").click()
    expect(page.locator("#invoice-lines div.line:not(.line-head)")).to_have_count(1)
    expect(page.get_by_label("Description of line 1")).to_be_focused()  # a new line takes the focus
    page.get_by_label("Find a product for line 1").press_sequentially("sour", delay=30)
    page.get_by_role("button", name=re.compile("Sourdough loaf")).click()
    expect(page.get_by_label("Description of line 1")).to_have_value("Sourdough loaf")
    expect(gross).to_have_text("€5.14")  # 4.80 + 7 %
    line1 = page.locator("#invoice-lines div.line:not(.line-head)").nth(0)
    line1.get_by_label("Quantity").fill("10")
    line1.get_by_label("Quantity").press("Tab")
    expect(gross).to_have_text("€51.36")  # 48.00 + 3.36

    # line 2: typed by hand, 19 %
    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_label("Description of line 2")).to_be_focused()
    line2 = page.locator("#invoice-lines div.line:not(.line-head)").nth(1)
    line2.get_by_label("Description of line 2").fill("Catering service")
    line2.get_by_label("Quantity").fill("3")
    line2.get_by_label("Unit price").fill("45")
    line2.get_by_label("Unit price").press("Tab")
    expect(gross).to_have_text("€212.01")  # 51.36 + 135.00 + 25.65

    # line 3: with a discount
    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_label("Description of line 3")).to_be_focused()
    line3 = page.locator("#invoice-lines div.line:not(.line-head)").nth(2)
    line3.get_by_label("Description of line 3").fill("Delivery")
    line3.get_by_label("Unit price").fill("20")
    line3.get_by_label("Discount percent").fill("50")
    line3.get_by_label("Discount percent").press("Tab")
    expect(gross).to_have_text("€223.91")  # + 10.00 + 1.90
    expect(page.locator("#invoice-totals")).to_contain_text("VAT 7 % (S)")
    expect(page.locator("#invoice-totals")).to_contain_text("VAT 19 % (S)")
    # keyboard: moving a line keeps the focus on the pressed button, at the line's new place
    page.get_by_role("button", name="Move line 3 up").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move line 2 up")).to_be_focused()
    expect(page.get_by_label("Description of line 2")).to_have_value("Delivery")
    expect(gross).to_have_text("€223.91")
    assert page.evaluate("window.__marker") == "same page"  # every update without a page load
    screenshot(page, "invoice-editor")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Issue invoice").click()
    number = f"INV-{date.today().year}-0001"
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#messages")).to_contain_text(f"Invoice {number} is issued.")
    expect(page.locator("#invoice-totals")).to_contain_text("€223.91")
    screenshot(page, "invoice-issued")
    assert page.console_errors == []
