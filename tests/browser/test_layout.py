"""Layout that only a browser shows: what fits, what overlaps."""
import pytest

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_editor_line_fields_keep_room_for_the_search_icon_and_the_select_arrow(page, f):
    """Issue 13: at 1280 px the product search icon covered its placeholder and the tax select's text ran
    under its arrow (the compact line fields' padding overrode Pico's room for them)."""
    user = f.user("layout@example.com")
    org = f.complete_org(f.organization(owner=user, name="Layout Shop"))
    draft = f.draft(org, f.contact(org, "Café Morgenrot"))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "layout@example.com")
    page.goto(f"/invoices/{draft.id}/edit")
    search = page.locator(".product-search").first
    room = search.evaluate("""el => {
        const s = getComputedStyle(el);
        const iconEnd = parseFloat(s.backgroundPositionX) + parseFloat(s.backgroundSize);
        return {padding: parseFloat(s.paddingLeft), iconEnd: iconEnd};
    }""")
    assert room["padding"] >= room["iconEnd"] + 4, room  # the placeholder starts after the icon
    select = page.locator("#invoice-lines .line select[aria-label='Tax rate']").first
    arrow = select.evaluate("el => parseFloat(getComputedStyle(el).paddingRight)")
    assert arrow >= 24, arrow  # the text stops before the arrow (Pico's arrow is about 1 rem wide)
    screenshot(page, "editor-line-fields-1280")
