"""Settings > API in a browser on a 375 px phone: the tokens' cards, making a token (htmx), the box that shows it
once (nothing cut off: the curl example wraps), the token working against the API, gone on a reload, revoked."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_phone_layout import PHONE, fits, log_in

pytestmark = pytest.mark.browser


def test_make_see_once_use_and_revoke_a_token_on_a_phone(page, f):
    owner = f.user("api-phone@example.com", name="Ines Rad")
    org = f.complete_org(f.organization(owner=owner, name="Speichenwerk Fahrräder"))
    f.contact(org, "Radsport Müller GmbH")
    f.api_token(org, name="Online-Shop (Produktionssystem, Warenwirtschaft)")
    page.set_viewport_size({"width": PHONE, "height": 800})
    log_in(page, owner.email)

    page.goto("/settings/api")
    fits(page)
    page.get_by_label("Name", exact=True).fill("Buchhaltungsexport")
    page.locator("#token-role input[value=bookkeeper]").check()
    page.get_by_role("button", name="Make token").click()
    box = page.locator("#new-token")
    expect(box).to_contain_text("Copy it now: it is not shown again.")
    token = page.locator("#new-token-value").input_value()
    assert token.startswith("tb_")
    expect(box.locator("pre")).to_contain_text(f"Authorization: Bearer {token}")
    fits(page)  # the box, the curl example and the cards of both tokens lie within the screen
    screenshot(page, f"phone-api-tokens-{PHONE}")

    answer = page.request.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and [c["company"] for c in answer.json()["data"]] == ["Radsport Müller GmbH"]

    page.reload()
    expect(page.locator("#token-list")).to_contain_text("Buchhaltungsexport")
    expect(page.locator("#new-token")).to_have_count(0)
    assert token not in page.content()

    row = page.locator("#token-list tbody tr", has_text="Buchhaltungsexport")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#token-list tbody tr", has_text="Buchhaltungsexport")).to_contain_text("revoked")
    fits(page)
    assert page.request.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status == 401
    assert page.console_errors == []
