"""Build an invoice in the live editor: three lines (one from a product), totals after each change, issue it."""
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Document, TaxRate

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


def _log_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Invoices").first).to_be_visible()


def _a_draft_in_the_editor(page, f, email):
    user = f.user(email)
    org = f.complete_org(f.organization(owner=user, name="Ines Bakery"))
    org.locale = "en_GB"
    db.session.commit()
    doc = f.draft(org, f.contact(org, "Café Morgenrot"), lines=[("Sourdough loaf", "10", "4.00")])  # 40.00 + 19 %
    _log_in(page, email)
    page.goto(f"/invoices/{doc.id}/edit")
    expect(page.locator("#total-gross")).to_have_text("€47.60")
    return doc


def test_issue_right_after_typing_a_price_issues_the_typed_price(page, f):
    """Typing a price and clicking Issue at once: the edit's request is still in flight when the issue is sent.
    The issue waits for it and issues the typed price, on the invoice's own page and URL."""
    doc = _a_draft_in_the_editor(page, f, "race@example.com")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    held = []  # the line's edit is held in the network until the click on Issue is done: the race, every time

    def hold(route):
        held.append(route)
        page.evaluate("document.body.dataset.editHeld = 'yes'")  # for a bounded wait on the page's side

    page.route(re.compile(r"/invoices/\d+/lines/\d+$"), hold)
    page.get_by_label("Notes").fill("Thank you for your order!")
    page.get_by_label("Unit price").fill("5")  # typed, not blurred (the note's change is sent now)
    page.get_by_role("button", name="Issue invoice").click()  # the blur sends the price, the click the issue
    expect(page.locator("body")).to_have_attribute("data-edit-held", "yes")
    expect(page.locator("#total-gross")).to_have_text("€47.60")  # the price's answer has not come yet
    assert len(held) == 1
    held[0].continue_()
    number = f"INV-{date.today().year}-0001"
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page).to_have_url(re.compile(rf"/invoices/{doc.id}$"))
    expect(page.locator("#messages")).to_contain_text(f"Invoice {number} is issued.")
    expect(page.locator("#invoice-totals")).to_contain_text("€59.50")  # 10 x 5.00 + 19 %
    assert dialogs and dialogs[0].startswith("Issue this invoice?")  # asked once, and accepted
    db.session.expire_all()
    issued = db.session.get(Document, doc.id)
    assert (issued.number, issued.gross_total, issued.notes) == (number, 5950, "Thank you for your order!")
    assert page.console_errors == []


def test_declining_the_confirmation_issues_nothing(page, f):
    doc = _a_draft_in_the_editor(page, f, "decline@example.com")
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.get_by_label("Unit price").fill("5")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("#total-gross")).to_have_text("€59.50")  # the edit is saved, the issue not sent
    page.get_by_label("Unit price").fill("6")
    page.get_by_label("Unit price").press("Tab")
    expect(page.locator("#total-gross")).to_have_text("€71.40")  # the editor goes on working
    db.session.expire_all()
    assert db.session.get(Document, doc.id).is_draft
    expect(page).to_have_url(re.compile(rf"/invoices/{doc.id}/edit$"))
    assert page.console_errors == []


def test_issue_after_a_change_in_another_session_is_refused_on_the_editor(page, browser, live_server, f):
    """A real conflict: another session changed the draft after this page was loaded. The issue is refused with
    the reason, and the address bar shows the editor's URL (a reload opens the editor, not the issue form)."""
    doc = _a_draft_in_the_editor(page, f, "conflict@example.com")
    other_context = browser.new_context(base_url=live_server)
    other = other_context.new_page()
    _log_in(other, "conflict@example.com")
    other.goto(f"/invoices/{doc.id}/edit")
    other.get_by_label("Unit price").fill("7")
    other.get_by_label("Unit price").press("Tab")
    expect(other.locator("#total-gross")).to_have_text("€83.30")
    other_context.close()

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("#messages")).to_contain_text("This draft was changed elsewhere (in another tab or by someone else)")
    expect(page).to_have_url(re.compile(rf"/invoices/{doc.id}/edit$"))
    expect(page.locator("#total-gross")).to_have_text("€83.30")  # the current state, not this page's
    screenshot(page, "invoice-editor-issue-conflict")
    db.session.expire_all()
    assert db.session.get(Document, doc.id).is_draft
    assert page.console_errors == []


def test_typing_then_issuing_after_a_change_in_another_session_is_refused(page, browser, live_server, f):
    """The same conflict while an edit of this page is in flight: the edit is refused as stale, the issue not
    sent; the editor shows the current state and the reason, on its own URL."""
    doc = _a_draft_in_the_editor(page, f, "conflict2@example.com")
    other_context = browser.new_context(base_url=live_server)
    other = other_context.new_page()
    _log_in(other, "conflict2@example.com")
    other.goto(f"/invoices/{doc.id}/edit")
    other.get_by_label("Quantity").fill("2")
    other.get_by_label("Quantity").press("Tab")
    expect(other.locator("#total-gross")).to_have_text("€9.52")
    other_context.close()

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Unit price").fill("5")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("#invoice-editor")).to_contain_text("Someone else changed this draft")
    expect(page).to_have_url(re.compile(rf"/invoices/{doc.id}/edit$"))
    expect(page.locator("#total-gross")).to_have_text("€9.52")
    db.session.expire_all()
    stored = db.session.get(Document, doc.id)
    assert stored.is_draft and stored.gross_total == 952
    assert [e for e in page.console_errors if "Response Status Error Code 409" not in e] == []  # htmx reports the 409


def test_issue_right_after_a_refused_edit_is_not_sent(page, f):
    """The edit in flight is refused (not a number): the draft as stored is not what the screen shows, so the
    queued issue is not sent; once the field is corrected, Issue works."""
    doc = _a_draft_in_the_editor(page, f, "refused@example.com")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Unit price").fill("five")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("#invoice-lines .line-error")).to_contain_text("Not saved.")
    expect(page.locator("#issue-unsaved")).to_be_visible()
    # caret="initial": hiding the caret leaves a style that htmx's settling copies later (a CSP report)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "invoice-editor-issue-after-refused-edit.png"), full_page=True,
                    caret="initial")
    db.session.expire_all()
    assert db.session.get(Document, doc.id).is_draft
    page.get_by_label("Unit price").fill("5")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{doc.id}$"))
    expect(page.locator("#invoice-totals")).to_contain_text("€59.50")
    assert page.console_errors == []
