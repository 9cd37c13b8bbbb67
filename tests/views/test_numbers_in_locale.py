"""Numbers in the member's locale (the organization's, ``i18n.member_locale``): typed as the locale writes them
(Babel's parsing, the plain ``1299.00`` too), shown back the same way in every input, and shown by the one money
formatter and the ``number`` filter on every page."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import ContactFieldValue, Document, DocumentAdjustment, DocumentLine, Payment, Product, TaxRate

HX = {"HX-Request": "true"}
NBSP = "\xa0"


@pytest.fixture
def german(owner):
    """The owner of a German organization (DE: locale de_DE, EUR), its details complete."""
    assert owner.org.locale == "de_DE"
    return owner


@pytest.fixture
def english(login_as, f):
    owner = login_as("owner", org=f.organization(country="GB"))
    f.complete_org(owner.org)
    owner.org.locale, owner.org.currency = "en", "EUR"
    db.session.commit()
    return owner


def version_of(response) -> int:
    return int(re.search(r'id="doc-version" name="current_version" value="(\d+)"', response.data.decode()).group(1))


def line_data(line_id, **values):
    base = {"description": "Bread", "quantity": "1", "unit": "piece", "unit_price": "10", "discount_percent": "",
            "tax_rate_id": "0"}
    base.update(values)
    return {f"l{line_id}-{k}": v for k, v in base.items()}


def post_line(member, doc, **values):
    doc = db.session.get(Document, doc.id)
    line = doc.lines[0]
    return member.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers=HX,
                              data={"current_version": doc.version, **line_data(line.id, **values)})


def stored_line(doc) -> DocumentLine:
    db.session.expire_all()
    return db.session.get(Document, doc.id).lines[0]


def input_value(html: str, name: str) -> str:
    return re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html).group(1)


# --- the editor's lines ---------------------------------------------------------------------------------------

def test_a_german_line_takes_89_90_stores_89_90_and_shows_89_90(german, f):
    doc = f.draft(german.org)
    r = post_line(german, doc, quantity="1,5", unit_price="89,90", discount_percent="2,5")
    assert r.status_code == 200, r.data[:500]
    line = stored_line(doc)
    assert (line.quantity, line.unit_price, line.discount_percent) == (Decimal("1.5"), Decimal("89.90"), Decimal("2.5"))
    page = german.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert input_value(page, f"l{line.id}-unit_price") == "89,90"  # an amount: at least 2 decimals
    assert input_value(page, f"l{line.id}-quantity") == "1,5"  # a quantity: no trailing zeros
    assert input_value(page, f"l{line.id}-discount_percent") == "2,5"


def test_a_german_line_shows_a_whole_quantity_and_a_price_without_grouping(german, f):
    doc = f.draft(german.org, lines=[("Bike", "2", "1299")])
    page = german.client.get(f"/invoices/{doc.id}/edit").data.decode()
    line = doc.lines[0]
    assert input_value(page, f"l{line.id}-quantity") == "2"
    assert input_value(page, f"l{line.id}-unit_price") == "1299,00"  # no thousands separator in an input


@pytest.mark.parametrize("typed,expected,shown", [("1.299,00", "1299.00", "1299,00"), ("1299,00", "1299.00", "1299,00"),
                                                  ("1299.00", "1299.00", "1299,00"), ("1.299.000", "1299000", "1299000,00")])
def test_a_german_line_takes_the_locales_form_and_the_plain_form(german, f, typed, expected, shown):
    doc = f.draft(german.org)
    r = post_line(german, doc, unit_price=typed)
    assert r.status_code == 200, r.data[:500]
    line = stored_line(doc)
    assert line.unit_price == Decimal(expected)
    page = german.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert input_value(page, f"l{line.id}-unit_price") == shown  # shown back in the locale, whichever form was typed


@pytest.mark.parametrize("typed,message", [
    ("1,2,3", "1,2,3 is not a number."),
    ("1.299", "1.299 can be read two ways: write 1299 or 1,299."),  # never guessed: 1299 or 1.299
    ("1,299.00", "Write the number as 1.299,00 or 1299.00."),
])
def test_a_german_line_refuses_what_is_no_number_or_two_with_a_message(german, f, typed, message):
    doc = f.draft(german.org, lines=[("Widget", "2", "10.00")])
    version = doc.version
    r = post_line(german, doc, unit_price=typed)
    assert r.status_code == 422
    html = r.data.decode()
    assert message in html and "Not saved." in html
    line = stored_line(doc)
    assert line.unit_price == Decimal("10.00") and line.document.version == version


def test_an_english_line_takes_1_299_00_and_shows_it_in_english(english, f):
    doc = f.draft(english.org)
    r = post_line(english, doc, quantity="1,000.5", unit_price="1,299.00")
    assert r.status_code == 200, r.data[:500]
    line = stored_line(doc)
    assert (line.quantity, line.unit_price) == (Decimal("1000.5"), Decimal("1299.00"))
    page = english.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert input_value(page, f"l{line.id}-unit_price") == "1299.00"
    assert input_value(page, f"l{line.id}-quantity") == "1000.5"


def test_the_totals_state_the_vat_rate_in_the_locale(german, f):
    reduced = TaxRate(org_id=german.org.id, name="Reduced", percent=Decimal("5.5"), category="S")
    db.session.add(reduced)
    db.session.commit()
    doc = f.draft(german.org)
    r = post_line(german, doc, quantity="2", unit_price="10", tax_rate_id=str(reduced.id))
    assert r.status_code == 200
    assert f"VAT 5,5 % (S) on 20,00{NBSP}€" in r.data.decode()  # the totals, out of band
    page = german.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert f"VAT 5,5 % (S) on 20,00{NBSP}€" in page and "5.5 %" not in page
    assert ">Reduced (5,5 %, S)</option>" in page  # the line's tax choice


def test_an_adjustment_amount_is_typed_and_shown_in_the_locale(german, f):
    doc = f.draft(german.org)
    r = german.client.post(f"/invoices/{doc.id}/adjustments", headers=HX,
                           data={"current_version": doc.version, "kind": "charge"})
    adj_id = int(re.search(r'id="adjustment-(\d+)"', r.data.decode()).group(1))
    r = german.client.post(f"/invoices/{doc.id}/adjustments/{adj_id}", headers=HX, data={
        "current_version": version_of(r), f"a{adj_id}-reason": "Versand", f"a{adj_id}-amount": "1.015,5",
        f"a{adj_id}-tax_rate_id": "0"})
    assert r.status_code == 200, r.data[:500]
    assert db.session.get(DocumentAdjustment, adj_id).amount == Decimal("1015.5")
    assert input_value(r.data.decode(), f"a{adj_id}-amount") == "1015,50"


def test_the_header_discount_is_shown_in_the_locale(german, f):
    doc = f.draft(german.org)
    r = german.client.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": doc.version, "currency": "EUR", "payment_terms": "14", "discount_percent": "2,5"})
    assert r.status_code == 200, r.data[:500]
    db.session.expire_all()
    assert db.session.get(Document, doc.id).discount_percent == Decimal("2.5")
    page = german.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert input_value(page, "discount_percent") == "2,5"


# --- payments and credit notes ----------------------------------------------------------------------------------

def issued_invoice(f, org, price="1000.00"):
    return f.issued(org, contact_=f.contact(org, "Kunde AG", email="k@example.com", locale="en"),
                    lines=[("Work", "1", price)])


def test_the_payment_form_shows_and_takes_amounts_in_the_locale(german, f):
    doc = issued_invoice(f, german.org)  # 1,000.00 + 19 % VAT
    form = german.client.get(f"/invoices/{doc.id}/payments/new").data.decode()
    assert input_value(form, "amount") == "1190,00"
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', form).group(1)
    r = german.client.post(f"/invoices/{doc.id}/payments/new", data={
        "kind": "payment", "amount": "1.000,50", "paid_on": "2026-01-15", "method": "bank_transfer", "key": key})
    assert r.status_code == 303, r.data[:500]
    assert db.session.scalar(select(Payment.amount)) == 100050
    page = german.client.get(f"/invoices/{doc.id}").data.decode()
    assert f"1.000,50{NBSP}€" in page and "15.01.2026" in page  # the payment's amount and date, in the locale


def test_a_payment_in_two_readings_is_refused_beside_the_field(german, f):
    doc = issued_invoice(f, german.org)
    form = german.client.get(f"/invoices/{doc.id}/payments/new").data.decode()
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', form).group(1)
    r = german.client.post(f"/invoices/{doc.id}/payments/new", data={
        "kind": "payment", "amount": "1.000", "paid_on": "2026-01-15", "method": "bank_transfer", "key": key})
    assert r.status_code == 422 and "1.000 can be read two ways: write 1000 or 1." in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_credit_quantities_and_rates_in_the_locale(german, f):
    doc = f.issued(german.org, contact_=f.contact(german.org, "Kunde AG", locale="en"),
                   lines=[("Cake", "2.5", "10.00")])
    page = german.client.get(f"/invoices/{doc.id}/credit").data.decode()
    assert re.search(r">2,5 [^<]*</td>", page)  # the invoiced quantity
    assert "19 % (S)" in page
    line = doc.lines[0]
    r = german.client.post(f"/invoices/{doc.id}/credit", data={"mode": "lines", f"q{line.id}": "1,5"})
    assert r.status_code == 303, r.data[:500]
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.lines[0].quantity == Decimal("-1.5")


# --- the catalog ----------------------------------------------------------------------------------------------

def test_the_product_list_shows_1_299_00_euros(german, f):
    f.product(german.org, "Trekking bike", "1299.00")
    f.product(german.org, "Spoke", "0.0125")
    listing = german.client.get("/catalog/products").data.decode()
    assert f"1.299,00{NBSP}€" in listing and f"0,0125{NBSP}€" in listing
    assert "1299.00 EUR" not in listing


def test_a_product_price_is_typed_and_shown_in_the_locale(german, f):
    r = german.client.post("/catalog/products/new", data={"name": "Trekking bike", "unit": "piece",
                                                          "unit_price": "1.299,00", "tax_rate_id": "0"})
    assert r.status_code == 303, r.data[:500]
    product = db.session.scalar(select(Product))
    assert product.unit_price == Decimal("1299.00")
    form = german.client.get(f"/catalog/products/{product.id}").data.decode()
    assert input_value(form, "unit_price") == "1299,00"


def test_a_tax_rate_is_typed_listed_and_edited_in_the_locale(german):
    r = german.client.post("/catalog/tax-rates/new", data={"name": "Reduced", "percent": "5,5", "category": "S"})
    assert r.status_code == 303, r.data[:500]
    rate = db.session.scalar(select(TaxRate).where(TaxRate.name == "Reduced"))
    assert rate.percent == Decimal("5.5")
    assert ">5,5 %</td>" in german.client.get("/catalog/tax-rates").data.decode()
    form = german.client.get(f"/catalog/tax-rates/{rate.id}").data.decode()
    assert input_value(form, "percent") == "5,5"


# --- customers' custom number fields ------------------------------------------------------------------------

def test_a_custom_number_field_is_typed_and_shown_in_the_locale(german, f):
    f.custom_field(german.org, "size", "number")
    contact = f.contact(german.org, "Kunde AG")
    r = german.client.post(f"/customers/{contact.id}/edit", data={
        "company_name": "Kunde AG", "country": "DE", "is_customer": "y", "locale": "", "currency": "",
        "cf_size": "1.250,75"})
    assert r.status_code == 303, r.data[:500]
    assert db.session.scalar(select(ContactFieldValue.value_number)) == Decimal("1250.75")
    form = german.client.get(f"/customers/{contact.id}/edit").data.decode()
    assert input_value(form, "cf_size") == "1250,75"
    assert "1.250,75" in german.client.get(f"/customers/{contact.id}").data.decode()
