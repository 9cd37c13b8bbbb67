from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Product, TaxRate
from webapp.models.types import utcnow


def rates_of(org_id):
    return db.session.scalars(select(TaxRate).where(TaxRate.org_id == org_id).order_by(TaxRate.id)).all()


@pytest.mark.parametrize("country,expected", [
    ("DE", {("S", "19"), ("S", "7"), ("Z", "0")}),
    ("AT", {("S", "20"), ("S", "13"), ("S", "10")}),
    ("FR", {("S", "20"), ("S", "10"), ("S", "5.5"), ("S", "2.1")}),
    ("NL", {("S", "21"), ("S", "9")}),
    ("BE", {("S", "21"), ("S", "12"), ("S", "6")}),
    ("IT", {("S", "22"), ("S", "10"), ("S", "5"), ("S", "4")}),
    ("ES", {("S", "21"), ("S", "10"), ("S", "4")}),
    ("GB", {("S", "20"), ("S", "5"), ("Z", "0")}),
    ("US", {("O", "0")}),
])
def test_new_organization_starts_with_its_countrys_rates(f, country, expected):
    org = f.organization(country=country)
    rates = rates_of(org.id)
    got = {(r.category, f"{r.percent.normalize():f}") for r in rates}
    assert expected <= got
    assert ("AE", "0") in got  # reverse charge everywhere
    assert (("K", "0") in got) == (country not in {"GB", "US"})  # intra-EU supply only in the EU
    assert sum(r.is_default for r in rates) == 1
    reverse = next(r for r in rates if r.category == "AE")
    assert "Article 196" in reverse.exemption_note


def test_create_custom_rate_and_default_is_unique(login_as):
    owner = login_as("owner")
    r = owner.client.post("/catalog/tax-rates/new", data={"name": "NYC sales tax", "percent": "8,875", "category": "S",
                                                          "is_default": "y"})
    assert r.status_code == 303
    rates = rates_of(owner.org.id)
    nyc = next(r for r in rates if r.name == "NYC sales tax")
    assert nyc.percent == Decimal("8.875") and nyc.is_default
    assert [r.name for r in rates if r.is_default] == ["NYC sales tax"]
    assert "8,875 %" in owner.client.get("/catalog/tax-rates").data.decode()  # in the German organization's locale


@pytest.mark.parametrize("data,field,message", [
    ({"percent": "19.12345"}, "percent", "at most 4 decimal places"),
    ({"percent": "abc"}, "percent", "abc is not a number"),
    ({"percent": "-1"}, "percent", "not negative"),
    ({"percent": "120"}, "percent", "above 100 %"),
    ({"percent": "7", "category": "AE", "exemption_note": "x"}, "percent", "always has a rate of 0 %"),
    ({"percent": "0", "category": "AE", "exemption_note": ""}, "exemption_note", "Write the legal note"),
    ({"category": "Q"}, "category", "Not a valid choice"),
    ({"percent": "0", "category": "O", "exemption_note": ""}, "exemption_note", "Write the legal note"),
    ({"percent": "19", "category": "S", "exemption_note": "Exempt!"}, "exemption_note", "carries no exemption note"),
    ({"percent": "0", "category": "Z", "exemption_note": "Exempt!"}, "exemption_note", "carries no exemption note"),
    ({"name": ""}, "name", "Enter a name."),
])
def test_bad_tax_rates_are_refused(login_as, data, field, message):
    owner = login_as("owner")
    before = len(rates_of(owner.org.id))
    r = owner.client.post("/catalog/tax-rates/new", data={"name": "X", "percent": "5", "category": "S", **data})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find(f'id="{field}-error"')
    assert at > 0 and message in html[at:at + 300]
    assert len(rates_of(owner.org.id)) == before


@pytest.mark.parametrize("data,note", [
    ({"name": "IGIC general", "percent": "7", "category": "L"}, ""),
    ({"name": "IGIC reducido", "percent": "3", "category": "L"}, ""),
    ({"name": "IPSI 0,5 %", "percent": "0,5", "category": "M"}, ""),
    ({"name": "IPSI 0 %", "percent": "0", "category": "M"}, ""),
    ({"name": "Split payment 22 %", "percent": "22", "category": "B",
      "exemption_note": "Scissione dei pagamenti, art. 17-ter DPR 633/1972"},
     "Scissione dei pagamenti, art. 17-ter DPR 633/1972"),
    ({"name": "Split payment 10 %", "percent": "10", "category": "B"}, ""),
])
def test_canary_islands_ceuta_melilla_and_split_payment_rates_are_created(login_as, data, note):
    owner = login_as("owner")
    form = owner.client.get("/catalog/tax-rates/new").data.decode()
    for value, label in (("L", "Canary Islands tax (IGIC)"), ("M", "Ceuta and Melilla tax (IPSI)"),
                         ("B", "Transferred VAT (split payment)")):
        assert f'<option value="{value}">{value} – ' in form
    assert owner.client.post("/catalog/tax-rates/new", data=data).status_code == 303
    rate = next(r for r in rates_of(owner.org.id) if r.name == data["name"])
    assert (rate.category, rate.percent, rate.exemption_note) == (
        data["category"], Decimal(data["percent"].replace(",", ".")), note)


def test_the_new_categories_show_their_names_in_the_readers_language(login_as):
    owner = login_as("owner")
    german = owner.client.get("/catalog/tax-rates/new", headers={"Accept-Language": "de"}).data.decode()
    assert "L – Steuer der Kanarischen Inseln (IGIC)" in german and "B – Übertragene Mehrwertsteuer" in german
    french = owner.client.get("/catalog/tax-rates/new", headers={"Accept-Language": "fr"}).data.decode()
    assert "M – Impôt de Ceuta et Melilla (IPSI)" in french and "B – TVA transférée (split payment)" in french


@pytest.mark.parametrize("data,field,message", [
    ({"percent": "0", "category": "L"}, "percent", "needs a rate above 0 %"),
    ({"percent": "7", "category": "L", "exemption_note": "Exento"}, "exemption_note", "IGIC) carries no exemption note"),
    ({"percent": "4", "category": "M", "exemption_note": "Exento"}, "exemption_note", "IPSI) carries no exemption note"),
    ({"percent": "0", "category": "B"}, "percent", "needs the Italian VAT rate"),
    ({"percent": "120", "category": "M"}, "percent", "above 100 %"),
])
def test_wrong_igic_ipsi_and_split_payment_rates_are_refused(login_as, data, field, message):
    owner = login_as("owner")
    before = len(rates_of(owner.org.id))
    r = owner.client.post("/catalog/tax-rates/new", data={"name": "X", **data})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find(f'id="{field}-error"')
    assert at > 0 and message in html[at:at + 300]
    assert len(rates_of(owner.org.id)) == before


def test_a_rate_used_by_an_issued_document_can_only_be_archived(login_as):
    owner = login_as("owner")
    rate = next(r for r in rates_of(owner.org.id) if r.percent == Decimal("19"))
    rate.first_used_at = utcnow()  # what issuing a document does
    db.session.commit()
    r = owner.client.post(f"/catalog/tax-rates/{rate.id}", data={"name": rate.name, "percent": "20", "category": "S",
                                                                 "is_default": "y"})
    assert r.status_code == 422 and "cannot be changed" in r.data.decode()
    r = owner.client.post(f"/catalog/tax-rates/{rate.id}/delete")
    assert r.status_code == 422 and "can be archived, not deleted" in r.data.decode()
    db.session.expire_all()
    assert db.session.get(TaxRate, rate.id).percent == Decimal("19")
    assert owner.client.post(f"/catalog/tax-rates/{rate.id}/archive").status_code == 303
    db.session.expire_all()
    archived = db.session.get(TaxRate, rate.id)
    assert archived.archived and not archived.is_default


def test_unused_rate_can_be_edited_and_deleted(login_as):
    owner = login_as("owner")
    rate_id = next(r.id for r in rates_of(owner.org.id) if r.percent == Decimal("7"))
    r = owner.client.post(f"/catalog/tax-rates/{rate_id}", data={"name": "Reduced", "percent": "7.5", "category": "S"})
    assert r.status_code == 303
    assert db.session.get(TaxRate, rate_id).percent == Decimal("7.5")
    assert owner.client.post(f"/catalog/tax-rates/{rate_id}/delete").status_code == 303
    assert db.session.get(TaxRate, rate_id) is None


def test_staff_cannot_manage_tax_rates(login_as):
    staff = login_as("staff")
    assert staff.client.get("/catalog/tax-rates").status_code == 200
    assert staff.client.post("/catalog/tax-rates/new", data={"name": "X", "percent": "5", "category": "S"}).status_code == 403


PRODUCT = {"name": "Sourdough loaf", "description": "1 kg", "sku": "BR-1", "unit": "piece", "unit_price": "4.8000",
           "tax_rate_id": "0"}


def test_create_product_with_exact_price(login_as):
    owner = login_as("owner")
    seven = next(r for r in rates_of(owner.org.id) if r.percent == Decimal("7"))
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, "unit_price": "0,0125", "tax_rate_id": str(seven.id),
                                                         "unit": "kg"})
    assert r.status_code == 303
    product = db.session.scalar(select(Product))
    assert product.unit_price == Decimal("0.0125") and product.tax_rate_id == seven.id and product.unit == "kg"
    listing = owner.client.get("/catalog/products?q=SOURDOUGH").data.decode()
    assert "Sourdough loaf" in listing and "0,0125\xa0€" in listing  # the German organization's locale
    assert "Sourdough" not in owner.client.get("/catalog/products?q=croissant").data.decode()


@pytest.mark.parametrize("change,field,message", [
    ({"unit_price": "4.80001"}, "unit_price", "at most 4 decimal places"),
    ({"unit_price": "four"}, "unit_price", "four is not a number"),
    ({"unit_price": ""}, "unit_price", "Enter the unit price."),
    ({"unit_price": "1e3"}, "unit_price", "not a number"),
    ({"unit_price": "-5"}, "unit_price", "not negative"),
    ({"name": ""}, "name", "Enter a name."),
    ({"unit": "parsec"}, "unit", "Not a valid choice"),
    ({"tax_rate_id": "999999"}, "tax_rate_id", "Not a valid choice"),
])
def test_bad_products_are_refused(login_as, change, field, message):
    owner = login_as("owner")
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, **change})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find(f'id="{field}-error"')
    assert at > 0 and message in html[at:at + 300], html[at:at + 300]
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_tax_rate_of_another_organization_cannot_be_chosen(login_as, f):
    owner = login_as("owner")
    other = f.organization()
    foreign = rates_of(other.id)[0]
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, "tax_rate_id": str(foreign.id)})
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_archive_and_edit_product(login_as, f):
    owner = login_as("owner")
    product_id = f.product(owner.org, "Croissant", "1.35").id
    r = owner.client.post(f"/catalog/products/{product_id}", data={**PRODUCT, "name": "Butter croissant",
                                                                   "unit_price": "1.45"})
    assert r.status_code == 303
    assert db.session.get(Product, product_id).unit_price == Decimal("1.45")
    assert owner.client.post(f"/catalog/products/{product_id}/archive").status_code == 303
    assert f'id="product-{product_id}"' not in owner.client.get("/catalog/products").data.decode()
    assert f'id="product-{product_id}"' in owner.client.get("/catalog/products?status=archived").data.decode()


def test_product_pages_push_their_full_address(login_as, f):
    owner = login_as("owner")
    for i in range(55):
        f.product(owner.org, f"Item {i:02d}")
    r = owner.client.get("/catalog/products?page=2&q=item", headers={"HX-Request": "true"})
    html = r.data.decode().strip()
    assert html.startswith('<section id="product-list"') and "Item 54" in html and "Item 00" not in html
    assert r.headers["HX-Push-Url"] == "/catalog/products?q=item&page=2"


@pytest.mark.parametrize("language,texts", [
    ("de", ["<h1>Neues Produkt</h1>", "Nichts wurde gespeichert: Bitte korrigieren Sie die markierten Felder.",
            "Geben Sie einen Namen ein.", "Geben Sie den Einzelpreis ein.", "Einzelpreis", "Der Preis enthält USt.",
            ">Produkt speichern</button>", ">Abbrechen</a>", ">Stk.</option>", ">Kein Standardsatz</option>"]),
    ("fr", ["<h1>Nouveau produit</h1>", "Rien n’a été enregistré : veuillez corriger les champs signalés.",
            "Saisissez un nom.", "Saisissez le prix unitaire.", "Prix unitaire", "Le prix est TTC",
            ">Enregistrer le produit</button>", ">Annuler</a>", ">Pas de taux par défaut</option>"]),
])
def test_the_product_form_with_a_validation_error_in_german_and_french(login_as, language, texts):
    owner = login_as("owner")
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, "name": "", "unit_price": ""},
                          headers={"Accept-Language": language})
    assert r.status_code == 422
    html = r.data.decode()
    for text in texts:
        assert text in html, text
    assert "Enter a name." not in html and "Save product" not in html


def test_catalog_flash_in_german(login_as):
    owner = login_as("owner")
    r = owner.client.post("/catalog/products/new", data=PRODUCT, headers={"Accept-Language": "de"},
                          follow_redirects=True)
    html = r.data.decode()
    assert "Sourdough loaf wurde gespeichert." in html and "<h1>Produkte</h1>" in html and "1–1 von 1 Produkt" in html
