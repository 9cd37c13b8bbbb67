"""The bookkeeper's payments list in a browser: reached from the menu, filtered without a reload while the
address follows the filter (a reload shows the same list), a customer chosen by typing part of the name."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_payments_quotes import log_in
from webapp.extensions import db
from webapp.services import payments

pytestmark = pytest.mark.browser


def test_the_bookkeeper_filters_the_payments_without_a_reload(page, live_server, f):
    owner = f.user("owner-list@example.com")
    org = f.complete_org(f.organization(owner=owner, name="Radhaus Ines"))
    org.locale = "en_GB"
    db.session.commit()
    f.member(org, "bookkeeper", f.user("books-list@example.com"))
    anna, bert = f.contact(org, "Anna Bakery"), f.contact(org, "Bert Bikes")
    a, b = f.issued(org, contact_=anna, lines=[("Bread", "1", "100.00")]), f.issued(org, contact_=bert, lines=[
        ("Bike", "1", "1000.00")])
    for n, (doc, amount, method, days) in enumerate([(a, 5000, "bank_transfer", 6), (b, 100000, "card", 4),
                                                     (b, -20000, "card", 2), (a, 1000, "cash", 1)]):
        payments.record(org, owner, doc, payments.PaymentInput(amount=amount, paid_on=date.today() - timedelta(days),
                                                               method=method, key=f"list-{n}"))
    db.session.commit()

    log_in(page, "books-list@example.com")
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    assert page.url == f"{live_server}/payments/"
    expect(page.locator("#payment-list tbody tr[id^=payment-]")).to_have_count(4)
    expect(page.locator("#sums-EUR")).to_contain_text("€1,060.00")
    screenshot(page, "payments-list")
    page.evaluate("window.__stayed = true")  # gone if the page were loaded again

    page.get_by_label("Method").select_option("card")
    expect(page.locator("#payment-list tbody tr[id^=payment-]")).to_have_count(2)
    expect(page).to_have_url(f"{live_server}/payments/?method=card")
    expect(page.locator("#sums-EUR")).to_contain_text("€800.00")  # 1,000 in, 200 refunded
    assert page.evaluate("window.__stayed") is True

    page.get_by_label("Find a customer").fill("bert")
    expect(page.locator("#customer-matches")).to_contain_text("Bert Bikes")
    page.locator("#customer-matches").get_by_role("button", name="Bert Bikes").click()
    expect(page.get_by_text("Customer: Bert Bikes")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/payments/?method=card&customer={bert.id}")
    expect(page.locator("#payment-list tbody tr[id^=payment-]")).to_have_count(2)

    page.reload()  # the address shows what the list shows
    expect(page.locator("#payment-list tbody tr[id^=payment-]")).to_have_count(2)
    expect(page.get_by_label("Method")).to_have_value("card")
    page.locator("#payment-list tbody tr[id^=payment-]").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(b.number)
    assert page.console_errors == []
