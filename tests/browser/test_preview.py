"""The editor's live preview (issue 13, item 16): beside the form on wide screens, a tab on phones; the document
itself (the PDF's markup, in the customer's language), reloaded on its own request after each change."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_layout import log_in
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(f):
    user = f.user("preview@example.com")
    org = f.complete_org(f.organization(owner=user, name="Radhaus Berlin"))
    org.locale = "en_GB"
    customer = f.contact(org, "Vélo Lyon SARL", country="FR")
    customer.locale = "fr_FR"
    db.session.commit()
    return f.draft(org, customer, lines=[("Fahrradschloss", "2", "10.00")])  # 20.00 + 19 % = 23.80


def test_the_preview_sits_beside_the_form_and_follows_each_change(page, draft):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "preview@example.com")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/preview" in r.url else None)
    page.goto(f"/invoices/{draft.id}/edit")
    preview = page.locator("#live-preview")
    expect(preview).to_contain_text("Total TTC")  # the customer's language
    expect(preview.locator("#preview-totals")).to_contain_text("23,80")
    form_box, preview_box = page.locator("#editor-pane").bounding_box(), preview.bounding_box()
    assert preview_box["x"] >= form_box["x"] + form_box["width"] - 1  # beside, not below
    expect(page.get_by_role("tab", name="Preview")).to_be_hidden()
    loads = len(requests)

    page.get_by_label("Unit price").fill("12.50")
    page.get_by_label("Unit price").press("Tab")
    expect(page.locator("#total-gross")).to_have_text("€29.75")  # the edit's own answer
    expect(preview.locator("#preview-totals")).to_contain_text("29,75")  # then the preview
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Quantity").press("Tab")
    expect(preview.locator("#preview-totals")).to_contain_text("44,63")
    assert 1 <= len(requests) - loads <= 2  # debounced: one reload per pause, not one per keystroke
    screenshot(page, "editor-preview-1280")
    assert page.console_errors == []


def test_on_a_phone_the_preview_is_a_tab(page, draft):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "preview@example.com")
    page.goto(f"/invoices/{draft.id}/edit")
    expect(page.get_by_label("Unit price")).to_be_visible()
    expect(page.locator("#live-preview")).to_be_hidden()
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#live-preview")).to_be_visible()
    expect(page.locator("#live-preview")).to_contain_text("Fahrradschloss")
    expect(page.get_by_label("Unit price")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(page, "editor-preview-tab-375")
    page.get_by_role("tab", name="Edit").click()
    expect(page.get_by_label("Unit price")).to_be_visible()
    assert page.console_errors == []
