"""/api/docs in a browser: the vendored Swagger UI renders the OpenAPI document under the app's CSP as it is (no
violation, no console error), an operation opens with its parameters, and "Try it out" with a token from
Authorize reaches the API (connect-src 'self'); at 1280 and 375 px."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
# every CSP violation, whatever the console makes of it (the fixture's console listener sees its errors too)
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));
"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False, caret="initial")


def test_the_reference_renders_under_the_csp_and_tries_a_request_with_a_token(page, f):
    org = f.complete_org(f.organization(name="Docs Shop"))
    f.contact(org, "Radsport Müller GmbH")
    _, token = factories.api_token(org, "owner")
    page.add_init_script(WATCH_CSP)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/api/docs")
    expect(page).to_have_title("Tallybook API")
    listing = page.locator("#operations-Customers-list_customers")  # the readable operationId names the block
    expect(listing.get_by_text("List customers")).to_be_visible()
    expect(page.get_by_role("link", name="OpenAPI document (JSON)")).to_have_attribute("href", "/api/v1/openapi.json")
    expect(page.get_by_role("link", name="Back to Tallybook")).to_have_attribute("href", "/")
    shot(page, "api-docs-1280")

    listing.get_by_text("List customers").click()
    expect(listing.locator(".parameters .parameter__name", has_text="filter[email]")).to_be_visible()
    expect(listing.locator(".parameters .parameter__name", has_text="starting_after")).to_be_visible()
    # the error answers are documented as problem details
    expect(listing.locator(".responses-table").get_by_text("application/problem+json").first).to_be_attached()

    page.get_by_role("button", name="Authorize").first.click()
    bearer = page.locator(".modal-ux .auth-container").filter(has=page.locator("#auth-bearer-value"))
    bearer.locator("#auth-bearer-value").fill(token)
    bearer.get_by_role("button", name="Apply credentials").click()
    expect(page.locator(".modal-ux").get_by_role("button", name="Remove authorization")).to_have_count(1)
    page.locator(".modal-ux").get_by_role("button", name="Close").first.click()
    expect(page.locator(".modal-ux")).to_have_count(0)
    listing.get_by_role("button", name="Try it out").click()
    listing.get_by_role("button", name="Execute").click()
    live = listing.locator(".live-responses-table")
    expect(live.locator(".response-col_status").nth(1)).to_have_text("200")
    expect(live.get_by_text("Radsport Müller GmbH").first).to_be_visible()
    shot(page, "api-docs-1280-open")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/api/docs")
    expect(page.locator("#operations-Customers-list_customers").get_by_text("List customers")).to_be_visible()
    # nothing wider than the phone's screen: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "api-docs-375")
    page.locator("#operations-Customers-list_customers").get_by_text("List customers").click()
    expect(page.locator("#operations-Customers-list_customers .parameter__name", has_text="filter[email]")
           ).to_be_visible()
    shot(page, "api-docs-375-open")

    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_the_header_speaks_the_readers_language(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    try:
        page = context.new_page()
        page.goto("/api/docs")
        expect(page.get_by_role("link", name="Zurück zu Tallybook")).to_be_visible()
        expect(page.locator("#operations-Customers-list_customers")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == "de"
    finally:
        context.close()
