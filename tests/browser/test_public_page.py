"""The customer's page in a browser: the seller's logo loads under the page's CSP (img-src 'self'), a paid invoice
shows its paid banner and no payment details, at 1280 and 375 px, in English and German."""
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from webapp.extensions import db
from webapp.models import TaxRate
from webapp.models.types import utcnow
from webapp.services import drafts, issuing, payments

pytestmark = pytest.mark.browser


def bike_shop(f):
    from PIL import Image, ImageDraw

    org = f.complete_org(f.organization(name="Speichenwerk"))
    org.legal_name = "Speichenwerk Fahrräder GmbH"
    image = Image.new("RGB", (360, 96), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((0, 0, 96, 96), fill=(20, 110, 70))
    buf = BytesIO()
    image.save(buf, "PNG")
    org.logo, org.logo_mime, org.logo_updated_at = buf.getvalue(), "image/png", utcnow()
    db.session.commit()
    return org


def invoice(f, org, locale):
    customer = f.contact(org, "Radsport Müller GmbH", street="Weg 2", postal_code="80331", city="München",
                         locale=locale)
    doc = f.draft(org, customer, lines=[("Rennrad Carbon X", "1", "1299.00"), ("Helm Aero", "2", "89.90"),
                                        ("Trinkflasche", "4", "7.50"), ("Inspektion", "1", "49.00")])
    drafts.update_header(doc, {"discount_percent": Decimal("5")})
    charge = drafts.add_adjustment(org, doc, "charge")
    drafts.update_adjustment(doc, charge, "Versand (DHL)", Decimal("15.00"), db.session.get(TaxRate, doc.lines[0].tax_rate_id))
    db.session.commit()
    owner = next(m.user for m in org.memberships if m.role == "owner")
    issuing.issue(org, owner, doc)
    db.session.commit()
    return doc, owner


def logo_loaded(page) -> bool:
    return page.locator(".public-brand img.logo").evaluate("img => img.complete && img.naturalWidth === 360")


@pytest.mark.parametrize("locale, paid_on_label", [("en_GB", "Paid on"), ("de_DE", "Bezahlt am")])
def test_the_customer_sees_the_logo_and_then_that_the_invoice_is_paid(page, f, locale, paid_on_label):
    org = bike_shop(f)
    doc, owner = invoice(f, org, locale)
    lang = locale[:2]
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/p/{doc.public_token}")
        expect(page.locator(".public-brand img.logo")).to_be_visible()
        assert logo_loaded(page)
        expect(page.locator("article.pay")).to_be_visible()
        screenshot(page, f"public-unpaid-{lang}-{width}")

    payments.record(org, owner, doc, payments.PaymentInput(amount=doc.amount_due, paid_on=date.today() - timedelta(days=2),
                                                           key=f"browser-paid-{doc.id}"))
    db.session.commit()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/p/{doc.public_token}")
        expect(page.locator("#payment-status.paid-banner")).to_contain_text(paid_on_label)
        expect(page.locator("article.pay")).to_have_count(0)
        expect(page.locator("img.qr-code")).to_have_count(0)
        assert logo_loaded(page)
        # nothing of the banner or the logo sticks out of the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"public-paid-{lang}-{width}")
    assert page.console_errors == []

