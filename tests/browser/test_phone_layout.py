"""Issue 13, item 6: every page on a 375 px phone. Nothing is wider than the screen or cut off inside a scrolling
box: tables that do not fit become stacked cards (a document's lines, the lists), and the menu collapses behind
a menu button (a <details>, so it works without JavaScript). At 1280 px the tables and the menu stay as they are.
Screenshots at 375 and 1280 px, in English and German (tests/browser/screenshots/phone-*.png)."""
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import TaxRate
from webapp.services import corrections, drafts, issuing, payments

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 375, 1280

# Text, fields and pictures that stick out of the screen or are cut off by a box that scrolls sideways
# (.table-wrap): the box fits the screen, so the document is not wider, but what is beyond its edge is hidden.
CUT_OFF = """() => {
  const width = document.documentElement.clientWidth, found = [];
  const scrollers = [...document.querySelectorAll('body *')].filter(el => getComputedStyle(el).overflowX !== 'visible');
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
      || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON', 'IMG'].includes(el.tagName);
    if (!own || el.closest('.visually-hidden')) continue;
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;  // e.g. a closed <details>
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let cut = r.right > width + 0.5 || r.left < -0.5;
    for (const box of scrollers) {
      if (box !== el && box.contains(el)) {
        const b = box.getBoundingClientRect();
        if (r.right > b.right + 0.5 || r.left < b.left - 0.5) cut = true;
      }
    }
    if (cut) found.push(el.tagName + ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '" ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return found;
}"""

WORDS = {
    "en_GB": {"net": "Net amount", "vat": "VAT", "qty": "Qty × Unit price", "total": "Total"},
    "de_DE": {"net": "Nettobetrag", "vat": "USt.", "qty": "Menge × Einzelpreis", "total": "Gesamtbetrag"},
}


def log_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def fits(page, width=PHONE):
    """The page is no wider than the screen and nothing on it is cut off."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert page.evaluate(CUT_OFF) == [], page.url


def within(locator, width=PHONE):
    """Each element is shown and lies within the screen's width."""
    assert locator.count() > 0
    for i in range(locator.count()):
        el = locator.nth(i)
        expect(el).to_be_visible()
        box = el.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (el.inner_text(), box)


@pytest.fixture(params=["en_GB", "de_DE"])
def shop(request, f):
    """A bike shop with a bit of everything: customers (a custom field), products, a draft, an invoice with four
    lines, a discount, a charge, a payment and a voided one, a quote, a credit note, a bookkeeper, e-mail."""
    locale = request.param
    lang = locale[:2]
    owner = f.user(f"phone-{lang}@example.com", name="Ines Rad")
    org = f.complete_org(f.organization(owner=owner, name=f"Speichenwerk {lang.upper()}"))
    org.legal_name, org.locale = "Speichenwerk Fahrräder GmbH", locale
    db.session.commit()
    f.member(org, "bookkeeper", f.user(f"books-{lang}@example.com", name="Bea Buchhalter"))
    f.custom_field(org, "tier", label="Customer tier")
    customer = f.contact(org, "Radsport Müller GmbH", person="Jonas Müller",
                         email="buchhaltung@radsport-mueller.example", phone="+49 89 555 0101", street="Weg 2",
                         postal_code="80331", city="München", locale=locale, vat_id="DE136695976")
    other = f.contact(org, "Velo Club Kreuzberg e.V.", email="kasse@veloclub-kreuzberg.example", city="Berlin",
                      locale=locale)
    f.product(org, "Rennrad Carbon X", "1299.00", sku="RC-X-2026")
    f.product(org, "Helm Aero", "89.90", sku="HA-01")
    lines = [("Rennrad Carbon X, Rahmengröße 56, Shimano 105 Di2", "1", "1299.00"), ("Helm Aero", "2", "89.90"),
             ("Trinkflasche 750 ml", "4", "7.50"), ("Inspektion nach 500 km", "1", "49.00")]
    invoice = f.draft(org, customer, lines=lines)
    drafts.update_header(invoice, {"discount_percent": Decimal("5")})
    charge = drafts.add_adjustment(org, invoice, "charge")
    rate = db.session.get(TaxRate, invoice.lines[0].tax_rate_id)
    drafts.update_adjustment(invoice, charge, "Versand (DHL)", Decimal("15.00"), rate)
    db.session.commit()
    issuing.issue(org, owner, invoice)
    db.session.commit()
    payments.record(org, owner, invoice, payments.PaymentInput(
        amount=50000, paid_on=date.today() - timedelta(days=3), method="bank_transfer",
        reference="SEPA-2026-0412-RADSPORT", key=f"phone-{lang}-1"))
    voided = payments.record(org, owner, invoice, payments.PaymentInput(
        amount=10000, paid_on=date.today() - timedelta(days=2), method="card", key=f"phone-{lang}-2"))
    payments.void(org, owner, invoice, voided, "Doppelt gebucht")
    db.session.commit()
    credited = f.issued(org, contact_=other, lines=[("Reparatur Schaltwerk", "1", "120.00")])
    credit_note = corrections.full_credit_note(org, owner, credited, "Kulanz")
    db.session.commit()
    issuing.issue(org, owner, credit_note)
    db.session.commit()
    quote = drafts.new_draft(org, owner, customer, kind="quote")
    for description, quantity, price in lines[:2]:
        line = drafts.add_line(org, quote)
        drafts.update_line(quote, line, {"description": description, "quantity": Decimal(quantity),
                                         "unit_price": Decimal(price)})
    db.session.commit()
    issuing.issue(org, owner, quote)
    db.session.commit()
    draft = f.draft(org, other, lines=[("Laufradsatz Aero 50 mm", "1", "849.00")])
    f.outbox_message(org, to="buchhaltung@radsport-mueller.example", subject=f"Rechnung {invoice.number}")
    return SimpleNamespace(org=org, owner=owner, lang=lang, words=WORDS[locale], invoice=invoice, quote=quote,
                           credit_note=credit_note, draft=draft, customer=customer)


def member_pages(s):
    i, d = s.invoice.id, s.draft.id
    return {
        "dashboard": "/", "invoices": "/invoices/", "quotes": "/invoices/?kind=quote",
        "credit-notes": "/invoices/?kind=credit_note", "payments": "/payments/", "customers": "/customers/",
        "customer": f"/customers/{s.customer.id}", "customer-new": "/customers/new", "customer-fields": "/customers/fields",
        "products": "/catalog/products", "product-new": "/catalog/products/new", "tax-rates": "/catalog/tax-rates",
        "invoice-issued": f"/invoices/{i}", "invoice-draft": f"/invoices/{d}", "quote": f"/invoices/{s.quote.id}",
        "credit-note": f"/invoices/{s.credit_note.id}", "editor": f"/invoices/{d}/edit",
        "payment-form": f"/invoices/{i}/payments/new", "send-form": f"/invoices/{i}/send",
        "credit-form": f"/invoices/{i}/credit", "settings": "/settings/", "numbering": "/settings/numbering",
        "members": "/settings/members", "invoice-email": "/settings/invoice-email", "outbox": "/settings/mail",
        "audit": "/settings/audit", "password": "/auth/password",
    }


def test_every_page_fits_a_phone(page, shop):
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto("/auth/login")
    fits(page)
    screenshot(page, f"phone-login-{PHONE}")
    log_in(page, shop.owner.email)
    for name, url in member_pages(shop).items():
        assert page.goto(url).status == 200, url
        fits(page)
        if name in ("dashboard", "invoice-issued", "customer", "payments", "products", "members", "outbox", "audit"):
            screenshot(page, f"phone-{name}-{shop.lang}-{PHONE}")
    assert page.console_errors == []


def test_the_customer_sees_every_line_figure_and_the_total_on_a_phone(page, shop):
    """The customer's page of an invoice and a quote: each line's quantity, unit price, VAT and amount, with their
    labels, and the total lie within the screen (they were cut off at the edge of the lines' scrolling box)."""
    for doc, kind in ((shop.invoice, "invoice"), (shop.quote, "quote")):
        for width in (DESKTOP, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"/p/{doc.public_token}")
            rows = page.locator("table.lines tbody tr")
            expect(rows).to_have_count(len(doc.lines))
            if width == PHONE:
                fits(page)
                expect(page.locator("table.lines thead")).to_be_hidden()  # a card per line, each figure labelled
                for column in ("desc", "qty", "price", "vat", "net"):
                    within(rows.locator(f"td.{column}"))
                first = rows.first
                assert first.locator("td.desc").bounding_box()["y"] < first.locator("td.qty").bounding_box()["y"]
                labels = first.evaluate("""row => [...row.querySelectorAll('td')].map(
                    td => getComputedStyle(td, '::before').content)""")
                for word in (shop.words["qty"], shop.words["vat"], shop.words["net"]):
                    assert f'"{word}"' in labels, labels
            else:  # the table with its header, as on paper
                expect(page.locator("table.lines thead")).to_be_visible()
                assert rows.first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
            within(page.locator("table.totals tr.grand td"), width)
            expect(page.locator("table.totals tr.grand")).to_contain_text(shop.words["total"])
            screenshot(page, f"phone-public-{kind}-{shop.lang}-{width}")
    assert page.console_errors == []


def test_the_lists_show_number_customer_total_amount_due_and_status_on_a_phone(page, shop):
    page.set_viewport_size({"width": PHONE, "height": 800})
    log_in(page, shop.owner.email)
    for kind, query in (("invoice", ""), ("quote", "?kind=quote"), ("credit_note", "?kind=credit_note")):
        page.goto(f"/invoices/{query}")
        fits(page)
        rows = page.locator("#invoice-list tbody tr")
        for n in (1, 2, 5, 7):  # number, customer, total, status
            within(rows.locator(f"td:nth-child({n})"))
        if kind == "invoice":
            issued = page.locator(f"#invoice-{shop.invoice.id}")
            within(issued.locator("td:nth-child(6)"))  # the amount due of an issued invoice
            expect(issued.locator("td:nth-child(6)")).to_contain_text("278,94" if shop.lang == "de" else "278.94")
        screenshot(page, f"phone-list-{kind}-{shop.lang}-{PHONE}")
    page.goto("/payments/")
    fits(page)
    within(page.locator("#payment-list tbody tr td:nth-child(7)"))  # the amounts
    page.goto("/customers/")
    fits(page)
    within(page.locator("#customer-list tbody tr td:nth-child(2)"))  # the e-mail addresses
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    page.goto("/invoices/")
    expect(page.locator("#invoice-list thead")).to_be_visible()  # a table on a wide screen
    screenshot(page, f"phone-list-invoice-{shop.lang}-{DESKTOP}")
    assert page.console_errors == []


@pytest.mark.parametrize("javascript", [True, False])
def test_the_menu_collapses_behind_a_button_on_a_phone(browser, live_server, f, javascript):
    owner = f.user(f"menu-{javascript}@example.com")
    f.complete_org(f.organization(owner=owner, name="Menu Shop"))
    context = browser.new_context(base_url=live_server, viewport={"width": PHONE, "height": 800},
                                  java_script_enabled=javascript)
    page = context.new_page()
    log_in(page, owner.email)
    menu = page.locator("#nav-menu")
    button = menu.locator("> summary")
    invoices = page.locator(".topbar").get_by_role("link", name="Invoices", exact=True)
    expect(button).to_be_visible()
    expect(invoices).to_be_hidden()
    assert page.locator(".topbar nav").bounding_box()["height"] < 80  # the brand and the button, one row
    fits(page)
    screenshot(page, f"phone-menu-closed-{javascript}-{PHONE}")
    button.click()
    expect(invoices).to_be_visible()
    expect(page.locator("#account-menu summary")).to_be_visible()
    fits(page)
    screenshot(page, f"phone-menu-open-{javascript}-{PHONE}")
    invoices.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    expect(invoices).to_be_hidden()  # a new page starts with the menu closed

    page.set_viewport_size({"width": DESKTOP, "height": 800})
    expect(button).to_be_hidden()
    for name in ("Dashboard", "Invoices", "Credit notes", "Payments", "Quotes", "Customers", "Products", "Settings"):
        expect(page.locator(".topbar").get_by_role("link", name=name, exact=True)).to_be_visible()
    assert page.locator(".topbar nav").bounding_box()["height"] < 80  # one row
    screenshot(page, f"phone-menu-{javascript}-{DESKTOP}")
    context.close()


def test_the_editor_labels_each_line_field_on_a_phone_and_previews_lines_as_cards(page, shop):
    page.set_viewport_size({"width": PHONE, "height": 800})
    log_in(page, shop.owner.email)
    page.goto(f"/invoices/{shop.draft.id}/edit")
    line = page.locator("#line-rows > .line").first
    for label in ("Qty", "Unit price", "Tax"):
        expect(line.locator(".cell-label", has_text=label).first).to_be_visible()
    within(line.locator("input:not([type=hidden]), select, textarea"))
    fits(page)
    screenshot(page, f"phone-editor-{shop.lang}-{PHONE}")
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#live-preview table.lines tbody")).to_be_visible()
    expect(page.locator("#live-preview table.lines thead")).to_be_hidden()  # the document's lines as cards
    within(page.locator("#live-preview table.lines td.net"))
    fits(page)
    screenshot(page, f"phone-editor-preview-{shop.lang}-{PHONE}")
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto(f"/invoices/{shop.draft.id}/edit")
    expect(page.locator("#live-preview table.lines thead")).to_be_visible()  # the preview beside, as on paper
    fits(page, DESKTOP)
    screenshot(page, f"phone-editor-{shop.lang}-{DESKTOP}")
    assert page.console_errors == []


def test_wide_pages_keep_their_tables(page, shop):
    """At 1280 px the lists and the document are tables with their headers, and still fit."""
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    log_in(page, shop.owner.email)
    for name, url in member_pages(shop).items():
        page.goto(url)
        fits(page, DESKTOP)
        if name in ("invoices", "invoice-issued", "customer", "payments", "members"):
            screenshot(page, f"phone-{name}-{shop.lang}-{DESKTOP}")
    page.goto(f"/invoices/{shop.invoice.id}")
    expect(page.locator("table.lines thead")).to_be_visible()
    expect(page.locator("table.payments thead")).to_be_visible()
