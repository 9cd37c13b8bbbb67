"""The exchange rate of a document in another currency than the organization's (EN 16931 BT-6 / BT-111) on the
screens: the editor's field (only in another currency, naming both currencies), its htmx change, refusals with the
field named and nothing stored, the old currency's rate dropped with the currency; issuing freezes the VAT total in
the organization's currency, which the PDF prints under the totals (pdftotext, English and German); an issued
document's rate and figure never change (the ORM guard, the CHECK constraint); credit notes and copies carry the
rate. SQLite and PostgreSQL."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests import einvoice_docs as E
from tests.einvoice.test_pdf_figures import loose, pdf_text
from webapp.extensions import db
from webapp.i18n import format_money
from webapp.models import Document
from webapp.models.document import ImmutableDocumentError
from webapp.services import corrections, drafts, issuing

HX = {"HX-Request": "true"}
DE = {"Accept-Language": "de"}
RATE = Decimal("1.1712")


@pytest.fixture
def seller(login_as):
    owner = login_as("owner")
    E.ready(owner.org)
    assert owner.org.currency == "EUR"
    return owner


def gbp_draft(f, org, locale: str = "", **values):
    """A draft in GBP (its customer's currency) with two lines at 19 %: 3 x 333.33 and 7 x 12.99 GBP."""
    customer = E.customer(org, "", buyer_reference="", currency="GBP", locale=locale, **values)
    return f.draft(org, customer, lines=(("Consulting", "3", "333.33"), ("Books", "7", "12.99")))


def version_of(response) -> int:
    return int(re.search(r'id="doc-version" name="current_version" value="(\d+)"', response.data.decode()).group(1))


def header_data(doc, **values) -> dict:
    return {"current_version": doc.version, "currency": doc.currency, "payment_terms": "14", **values}


def reload(doc) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def eur_cents(tax_minor: int, rate: Decimal) -> int:
    """The VAT in euro cents, rounded half-up (as EN 16931 rounds)."""
    return int((Decimal(tax_minor) * rate).quantize(Decimal(1), "ROUND_HALF_UP"))


# --- the editor --------------------------------------------------------------------------------------------

def test_the_field_shows_only_for_another_currency_and_names_both(seller, f):
    doc = gbp_draft(f, seller.org)
    page = seller.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert 'name="exchange_rate"' in page and "Exchange rate: 1 GBP = … EUR" in page
    assert "VAT law may require the VAT amount in EUR too" in page
    german = seller.client.get(f"/invoices/{doc.id}/edit", headers=DE).data.decode()
    assert "Wechselkurs: 1 GBP = … EUR" in german and "Das Umsatzsteuerrecht kann den Steuerbetrag" in german
    french = seller.client.get(f"/invoices/{doc.id}/edit", headers={"Accept-Language": "fr"}).data.decode()
    assert "Taux de change : 1 GBP = … EUR" in french
    euro = f.draft(seller.org, E.customer(seller.org, ""))
    page = seller.client.get(f"/invoices/{euro.id}/edit").data.decode()
    assert 'name="exchange_rate"' not in page and 'id="exchange-rate"' in page  # the place the field comes to


def test_an_htmx_change_stores_the_rate_and_the_totals_show_the_vat_in_euro(seller, f):
    doc = gbp_draft(f, seller.org)
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(doc, exchange_rate="1.1712"))
    assert r.status_code == 200, r.data.decode()
    html = r.data.decode()
    assert 'id="header-errors"' in html and 'name="exchange_rate"' not in html  # the input keeps what was typed
    doc = reload(doc)
    assert doc.exchange_rate == RATE and doc.tax_total == 20727  # 19 % of 1,090.92 GBP
    # the totals, out of band, with the numbers in the member's locale (the organization's: de_DE)
    euro = format_money(eur_cents(doc.tax_total, RATE), "EUR", "de_DE")
    assert euro == "242,75\xa0€"
    assert f"VAT total in EUR: {euro} (exchange rate 1 GBP = 1,1712 EUR)" in html
    # the live preview is the document in the customer's language (the organization's: German)
    preview = seller.client.get(f"/invoices/{doc.id}/preview", headers=HX).data.decode()
    assert f"Umsatzsteuer gesamt in EUR: {euro} (Wechselkurs 1 GBP = 1,1712 EUR)" in preview
    # the member's locale: a German member types the rate with a comma
    r = seller.client.post(f"/invoices/{doc.id}/header", headers={**HX, **DE},
                           data=header_data(doc, exchange_rate="1,1713"))  # the German way of 1.1713
    assert r.status_code == 200 and reload(doc).exchange_rate == Decimal("1.1713")
    assert "Umsatzsteuer gesamt in EUR:" in r.data.decode() and "(Wechselkurs 1 GBP = 1,1713 EUR)" in r.data.decode()
    # emptied: no rate
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(reload(doc), exchange_rate=""))
    assert r.status_code == 200 and reload(doc).exchange_rate is None
    assert "VAT total in EUR" not in r.data.decode()


@pytest.mark.parametrize("typed, message", [  # the member reads numbers in de_DE, the organization's locale
    ("0", "Enter an exchange rate above 0 and below 1.000.000."),
    ("1000000", "Enter an exchange rate above 0 and below 1.000.000."),
    ("-1.2", "Enter a number that is not negative."),
    ("1.1234567", "Use at most 6 decimal places."),
    ("abc", "abc is not a number."),
])
def test_a_bad_rate_is_refused_beside_the_field_and_nothing_changes(seller, f, typed, message):
    doc = gbp_draft(f, seller.org)
    drafts.update_header(doc, {"exchange_rate": RATE})
    db.session.commit()
    version = reload(doc).version
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX,
                           data=header_data(doc, exchange_rate=typed, notes="Changed"))
    assert r.status_code == 422
    assert f"Exchange rate: {message}" in r.data.decode() and "Not saved." in r.data.decode()
    doc = reload(doc)
    assert (doc.exchange_rate, doc.notes, doc.version) == (RATE, "", version)


def test_a_bad_rate_reads_in_german(seller, f):
    doc = gbp_draft(f, seller.org)
    r = seller.client.post(f"/invoices/{doc.id}/header", headers={**HX, **DE}, data=header_data(doc, exchange_rate="0"))
    assert r.status_code == 422
    assert "Wechselkurs: Geben Sie einen Wechselkurs über 0 und unter 1.000.000 ein." in r.data.decode()
    assert reload(doc).exchange_rate is None


def test_a_new_currency_drops_the_old_ones_rate_and_brings_its_field(seller, f):
    doc = gbp_draft(f, seller.org)
    drafts.update_header(doc, {"exchange_rate": RATE})
    db.session.commit()
    # the form still carries the GBP rate: it is not the dollar's
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX,
                           data=header_data(doc, currency="USD", exchange_rate="1.1712"))
    assert r.status_code == 200
    html = r.data.decode()
    field = re.search(r'<div id="exchange-rate" hx-swap-oob="true">.*?</div>\s*</div>', html, re.S).group(0)
    assert "Exchange rate: 1 USD = … EUR" in field and re.search(r'name="exchange_rate"[^>]*value=""', field)
    doc = reload(doc)
    assert (doc.currency, doc.exchange_rate) == ("USD", None)
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX,
                           data=header_data(doc, currency="USD", exchange_rate="1.08"))
    assert 'hx-swap-oob="true">' in r.data.decode() and 'id="exchange-rate" hx-swap-oob' not in r.data.decode()
    assert reload(doc).exchange_rate == Decimal("1.08")
    # back in the organization's currency: no field, no rate
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX,
                           data=header_data(reload(doc), currency="EUR", exchange_rate="1.08"))
    assert r.status_code == 200
    assert re.search(r'<div id="exchange-rate" hx-swap-oob="true">\s*</div>', r.data.decode())
    assert (reload(doc).currency, reload(doc).exchange_rate) == ("EUR", None)
    # another customer in another currency: its rate is not the old one
    drafts.update_header(doc := reload(doc), {"currency": "GBP", "exchange_rate": RATE})
    db.session.commit()
    drafts.set_contact(doc, E.customer(seller.org, "", name="Yankee Inc", currency="USD"))
    db.session.commit()
    assert (reload(doc).currency, reload(doc).exchange_rate) == ("USD", None)


def test_without_javascript_the_rate_posts_and_comes_back_to_the_editor(seller, f):
    doc = gbp_draft(f, seller.org)
    r = seller.client.post(f"/invoices/{doc.id}/header", data=header_data(doc, exchange_rate="1.1712"))
    assert r.status_code == 303 and reload(doc).exchange_rate == RATE
    page = seller.client.get(r.headers["Location"]).data.decode()
    assert re.search(r'name="exchange_rate"[^>]*value="1.1712"', page)
    r = seller.client.post(f"/invoices/{doc.id}/header", data=header_data(reload(doc), exchange_rate="0"))
    assert r.status_code == 422 and 'id="exchange_rate-error"' in r.data.decode()
    assert reload(doc).exchange_rate == RATE


# --- issuing, the PDF, immutability ------------------------------------------------------------------------

def test_issuing_freezes_the_vat_in_euro_and_the_pdf_prints_it(seller, f):
    doc = gbp_draft(f, seller.org, locale="en_GB")  # the PDF speaks the customer's language
    drafts.update_header(doc, {"exchange_rate": RATE})
    db.session.commit()
    r = seller.client.post(f"/invoices/{doc.id}/issue", data={"current_version": reload(doc).version})
    assert r.status_code == 303, r.data.decode()
    doc = reload(doc)
    assert doc.status == "issued"
    assert (doc.exchange_rate, doc.tax_total_accounting, doc.accounting_currency) == (
        RATE, eur_cents(doc.tax_total, RATE), "EUR") == (RATE, 24275, "EUR")
    text_ = pdf_text(doc.pdf)
    assert re.search(loose("VAT total in EUR: €242.75 (exchange rate 1 GBP = 1.1712 EUR)", across_lines=True), text_)
    page = seller.client.get(f"/invoices/{doc.id}").data.decode()
    # the page shows the document, in the member's language and numbers (the organization's de_DE)
    assert "VAT total in EUR: 242,75\xa0€ (exchange rate 1 GBP = 1,1712 EUR)" in page
    public = seller.client.get(f"/p/{doc.public_token}").data.decode()
    assert "VAT total in EUR: €242.75 (exchange rate 1 GBP = 1.1712 EUR)" in public  # the customer's link too
    # the organization's currency changes later: the issued figure keeps the currency it was frozen in
    seller.org.currency = "CHF"
    db.session.commit()
    assert reload(doc).accounting_vat("CHF") == (24275, "EUR")


@pytest.mark.parametrize("locale, line", [
    ("de_DE", "Umsatzsteuer gesamt in EUR: 242,75 € (Wechselkurs 1 GBP = 1,1712 EUR)"),
    ("fr_FR", "Total TVA en EUR : 242,75 € (taux de change 1 GBP = 1,1712 EUR)")])
def test_the_pdf_says_it_in_the_customers_language(seller, f, locale, line):
    doc = gbp_draft(f, seller.org, locale=locale)
    drafts.update_header(doc, {"exchange_rate": RATE})
    issuing.issue(seller.org, seller.user, doc)
    db.session.commit()
    text_ = re.sub(r"[\xa0\u202f]", " ", pdf_text(reload(doc).pdf))
    assert re.search(loose(line, across_lines=True), text_), text_


def test_without_a_rate_nothing_is_frozen_or_printed(seller, f):
    doc = gbp_draft(f, seller.org)
    issuing.issue(seller.org, seller.user, doc)
    db.session.commit()
    doc = reload(doc)
    assert (doc.exchange_rate, doc.tax_total_accounting, doc.accounting_currency) == (None, None, None)
    assert "VAT total in" not in pdf_text(doc.pdf)


def test_an_issued_documents_rate_and_figure_never_change(seller, f):
    doc = gbp_draft(f, seller.org)
    drafts.update_header(doc, {"exchange_rate": RATE})
    issuing.issue(seller.org, seller.user, doc)
    db.session.commit()
    for name, value in (("exchange_rate", Decimal("1.2")), ("exchange_rate", None), ("tax_total_accounting", 1),
                        ("accounting_currency", "CHF")):
        doc = reload(doc)
        setattr(doc, name, value)
        with pytest.raises(ImmutableDocumentError, match=name):
            db.session.flush()
        db.session.rollback()
    doc = reload(doc)
    assert (doc.exchange_rate, doc.tax_total_accounting, doc.accounting_currency) == (RATE, 24275, "EUR")
    # the editor's header route for it answers with the invoice page, nothing changed
    r = seller.client.post(f"/invoices/{doc.id}/header", headers=HX, data=header_data(doc, exchange_rate="2"))
    assert r.headers.get("HX-Redirect") == f"/invoices/{doc.id}" and reload(doc).exchange_rate == RATE


def test_the_database_refuses_a_rate_that_is_not_above_zero(seller, f):
    doc = gbp_draft(f, seller.org)
    for value in (0, -1):
        with pytest.raises(IntegrityError, match="ck_document_exchange_rate"):
            db.session.execute(text("UPDATE document SET exchange_rate = :v WHERE id = :id"), {"v": value, "id": doc.id})
            db.session.flush()
        db.session.rollback()
    assert reload(doc).exchange_rate is None


# --- credit notes and copies -------------------------------------------------------------------------------

def test_a_credit_note_converts_at_the_invoices_rate(seller, f):
    invoice = gbp_draft(f, seller.org)
    drafts.update_header(invoice, {"exchange_rate": RATE})
    issuing.issue(seller.org, seller.user, invoice)
    db.session.commit()
    note = corrections.lines_credit_note(seller.org, seller.user, invoice, {invoice.lines[1].id: Decimal(7)})
    db.session.commit()
    assert note.exchange_rate == RATE  # a draft credit note is not edited: it keeps it
    issuing.issue(seller.org, seller.user, note := reload(note))
    db.session.commit()
    note = reload(note)
    assert note.tax_total == -1728 and note.tax_total_accounting == eur_cents(-1728, RATE) == -2024
    assert note.accounting_currency == "EUR"


def test_a_copy_carries_the_rate(seller, f):
    doc = gbp_draft(f, seller.org)
    drafts.update_header(doc, {"exchange_rate": RATE})
    issuing.issue(seller.org, seller.user, doc)
    db.session.commit()
    copy = drafts.duplicate(seller.org, seller.user, reload(doc))
    db.session.commit()
    copy = reload(copy)
    assert (copy.currency, copy.exchange_rate, copy.tax_total_accounting) == ("GBP", RATE, None)
    cancelled = corrections.cancel(seller.org, seller.user, reload(doc))
    db.session.commit()
    assert cancelled.exchange_rate == RATE and cancelled.tax_total_accounting == -24275
