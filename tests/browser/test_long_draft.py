"""The editor on a longer draft: adding, removing and moving a line answer with those lines only (issue 13,
item 15), and the browser still shows what the full editor would: the labels that number the lines, the
first and last move buttons, where the keyboard focus goes, and the totals."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_layout import log_in
from webapp.extensions import db
from webapp.models import Document

pytestmark = pytest.mark.browser


def descriptions(page) -> list[str]:
    return page.locator("#line-rows textarea").evaluate_all("els => els.map(e => e.value)")


def test_add_remove_and_move_lines_keep_numbers_focus_and_totals(page, f):
    user = f.user("long@example.com")
    org = f.complete_org(f.organization(owner=user, name="Long Draft Shop"))
    org.locale = "en_GB"
    db.session.commit()
    doc = f.draft(org, f.contact(org, "Café Morgenrot"), lines=[(f"Item {i}", "1", "10.00") for i in range(1, 13)])
    log_in(page, "long@example.com")
    page.goto(f"/invoices/{doc.id}/edit")
    expect(page.locator("#total-gross")).to_have_text("€142.80")  # 12 x 10.00 + 19 %
    page.evaluate("window.__marker = 'same page'")

    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_label("Description of line 13")).to_be_focused()
    page.get_by_label("Description of line 13").fill("Item 13")
    page.get_by_label("Description of line 13").press("Tab")
    expect(page.get_by_role("button", name="Move line 12 down")).to_be_enabled()  # no longer the last
    expect(page.get_by_role("button", name="Move line 13 down")).to_be_disabled()

    page.get_by_role("button", name="Remove line 5").click()
    expect(page.get_by_label("Description of line 5")).to_have_value("Item 6")
    expect(page.get_by_label("Description of line 5")).to_be_focused()  # the line that took its place
    expect(page.locator("#line-rows > .line")).to_have_count(12)
    expect(page.get_by_label("Description of line 13")).to_have_count(0)
    expect(page.locator("#total-gross")).to_have_text("€130.90")  # 11 x 10.00, and the new line at 0.00

    page.get_by_role("button", name="Move line 1 down").click()
    expect(page.get_by_role("button", name="Move line 2 down")).to_be_focused()  # on the line's new place
    assert descriptions(page)[:3] == ["Item 2", "Item 1", "Item 3"]
    expect(page.get_by_role("button", name="Move line 1 up")).to_be_disabled()
    expect(page.get_by_role("button", name="Move line 2 up")).to_be_enabled()

    page.get_by_role("button", name="Remove line 12").click()  # the last: the focus goes to "Add line"
    expect(page.locator("#add-line")).to_be_focused()
    expect(page.get_by_role("button", name="Move line 11 down")).to_be_disabled()
    screenshot(page, "editor-long-draft-after-changes")

    assert page.evaluate("window.__marker") == "same page"  # every change was an htmx request
    db.session.expire_all()
    stored = db.session.get(Document, doc.id)
    assert [line.description for line in stored.lines] == descriptions(page)
    assert [line.position for line in stored.lines] == list(range(11))
    assert stored.gross_total == 13090
    page.reload()  # the full editor renders the same
    assert descriptions(page) == [line.description for line in stored.lines]
    expect(page.locator("#total-gross")).to_have_text("€130.90")
    assert not [e for e in page.console_errors if not re.search(r"status of 4\d\d", e)]
