"""Automatic VAT in the live editor: switching it on, each line's decision under it, a tax code changed on a line
moves its rate, its explanation and the totals without a page load; a rate chosen by hand says so."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_the_editor_shows_each_lines_vat_decision_live(page, f):
    user = f.user("vera@example.com")
    org = f.complete_org(f.organization(owner=user, name="Vera Verlag"))
    org.locale = "en_GB"
    customer = f.contact(org, person="Camille Martin", country="FR")
    customer.is_business = False
    db.session.commit()
    doc = f.draft(org, customer, lines=(("Printed guide", "1", "100.00"),))

    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("vera@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/invoices/{doc.id}/edit")
    decision = page.locator(f"#tax-decision-{doc.lines[0].id}")
    expect(decision).to_be_empty()
    page.get_by_label("Automatic VAT").check()  # every line's inputs change: the editor comes anew
    expect(page.get_by_label("Tax code of line 1")).to_be_visible()
    # a service by default (the organization's default tax code): taxed where the seller is, in Germany
    expect(decision).to_contain_text("S 19 % · Germany")
    expect(decision).to_contain_text("taxed where the seller is established")
    page.evaluate("window.__marker = 'same page'")

    page.get_by_label("Tax code of line 1").select_option("P20000000")  # printed books: a distance sale
    expect(decision).to_contain_text("S 7 % · Germany")
    expect(decision).to_contain_text("within EUR 10,000")
    expect(page.locator("#total-gross")).to_have_text("€107.00")
    page.get_by_label("Tax code of line 1").select_option("D10000000")  # e-service, below the threshold too
    expect(decision).to_contain_text("S 19 % · Germany")
    expect(page.locator("#total-gross")).to_have_text("€119.00")

    page.get_by_label("Tax rate").select_option(label="Reduced 7 % (7 %, S)")  # set by hand
    expect(decision).to_contain_text("Rate set by hand: S 7 % (the rules give S 19 %)")
    expect(page.locator("#total-gross")).to_have_text("€107.00")
    expect(page.locator("#preview-document")).to_contain_text("€107.00")  # the customer's preview follows
    assert page.evaluate("window.__marker") == "same page"
    screenshot(page, "automatic-vat-editor")
