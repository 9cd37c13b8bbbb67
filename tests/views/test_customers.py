from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Contact, ContactFieldValue, CustomField


def names(response) -> list[str]:
    html = response.data.decode()
    import re
    return re.findall(r'<a href="/customers/\d+">([^<]+)</a>', html)


def count(model=Contact) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shop(login_as, f):
    owner = login_as("owner")
    tier = f.custom_field(owner.org, "tier", "choice", ["gold", "silver", "bronze"])
    size = f.custom_field(owner.org, "size", "number")
    since = f.custom_field(owner.org, "since", "date")
    vip = f.custom_field(owner.org, "vip", "checkbox")
    tags = f.custom_field(owner.org, "tags", "multichoice", ["retail", "wholesale", "online"])
    f.contact(owner.org, "Café Morgenrot", "Jonas Weber", "jonas@morgenrot.example", phone="+49 30 1234",
              custom={"tier": "gold", "size": Decimal("12"), "since": date(2020, 5, 1), "vip": True,
                      "tags": ["retail", "online"]})
    f.contact(owner.org, "Bäckerei Morgenstern", "", "info@morgenstern.example",
              custom={"tier": "silver", "size": Decimal("3.5"), "since": date(2023, 1, 15), "tags": ["wholesale"]})
    f.contact(owner.org, "", "Anna Schmidt", "ANNA@example.com", phone="0170 999",
              custom={"tier": "bronze", "size": Decimal("40")})
    f.contact(owner.org, "Old Customer Ltd", "", "old@example.com", archived=True)
    owner.fields = {"tier": tier, "size": size, "since": since, "vip": vip, "tags": tags}
    return owner


def test_search_partial_text_case_insensitive_and_across_fields(shop):
    c = shop.client
    assert names(c.get("/customers/?q=MORGEN")) == ["Bäckerei Morgenstern", "Café Morgenrot"]
    assert names(c.get("/customers/?q=weber")) == ["Café Morgenrot"]  # person name
    assert names(c.get("/customers/?q=anna@EXAMPLE")) == ["Anna Schmidt"]  # e-mail, stored lower-case
    assert names(c.get("/customers/?q=0170")) == ["Anna Schmidt"]  # phone
    assert names(c.get("/customers/?q=100%25")) == []  # LIKE wildcards are literal
    assert names(c.get("/customers/?q=_")) == []
    assert names(c.get("/customers/?q=old")) == []  # archived are hidden
    assert names(c.get("/customers/?q=old&status=archived")) == ["Old Customer Ltd"]
    assert len(names(c.get("/customers/?status=all"))) == 4


def test_exact_email_filter(shop):
    c = shop.client
    assert names(c.get("/customers/?email=anna@example.com")) == ["Anna Schmidt"]
    assert names(c.get("/customers/?email=ANNA@example.com")) == ["Anna Schmidt"]
    assert names(c.get("/customers/?email=anna@example")) == []  # exact, not partial


@pytest.mark.parametrize("query,expected", [
    ("cf_tier=gold", ["Café Morgenrot"]),
    ("cf_tier=gold&cfop_tier=ne", ["Anna Schmidt", "Bäckerei Morgenstern"]),
    ("cf_tier=gold,bronze&cfop_tier=in", ["Anna Schmidt", "Café Morgenrot"]),
    ("cf_size=10&cfop_size=gt", ["Anna Schmidt", "Café Morgenrot"]),
    ("cf_size=12&cfop_size=lt", ["Bäckerei Morgenstern"]),
    ("cf_size=3.5", ["Bäckerei Morgenstern"]),
    ("cf_size=3.5,40&cfop_size=in", ["Anna Schmidt", "Bäckerei Morgenstern"]),
    ("cf_since=2021-01-01&cfop_since=lt", ["Café Morgenrot"]),
    ("cf_since=2021-01-01&cfop_since=gt", ["Bäckerei Morgenstern"]),
    ("cf_vip=yes", ["Café Morgenrot"]),
    ("cf_vip=no", ["Anna Schmidt", "Bäckerei Morgenstern"]),
    ("cf_tags=online", ["Café Morgenrot"]),
    ("cf_tags=retail&cfop_tags=ne", ["Anna Schmidt", "Bäckerei Morgenstern"]),
    ("cf_tags=wholesale,online&cfop_tags=in", ["Bäckerei Morgenstern", "Café Morgenrot"]),
    ("cf_tier=gold&q=morgen", ["Café Morgenrot"]),
])
def test_custom_field_filters(shop, query, expected):
    assert names(shop.client.get(f"/customers/?{query}")) == expected


@pytest.mark.parametrize("query,message", [
    ("cf_nope=1", "There is no custom field"),
    ("cf_size=ten", "ten is not a number"),
    ("cf_since=yesterday&cfop_since=lt", "yesterday is not a date"),
    ("cf_tier=platinum", "platinum is not one of the options"),
    ("cf_vip=maybe", "Use yes or no"),
    ("cf_vip=yes&cfop_vip=lt", "is not a filter for this field"),
])
def test_bad_filters_get_a_message(shop, query, message):
    r = shop.client.get(f"/customers/?{query}")
    assert r.status_code == 422 and message in r.data.decode()


def test_pagination_and_sorting(login_as, f):
    owner = login_as("owner")
    for i in range(60):
        f.contact(owner.org, f"Customer {i:02d}")
    c = owner.client
    first = c.get("/customers/")
    assert names(first) == [f"Customer {i:02d}" for i in range(25)]
    assert "1–25 of 60 customers" in first.data.decode() and "Page 1 of 3" in first.data.decode()
    third = c.get("/customers/?page=3")
    assert names(third) == [f"Customer {i:02d}" for i in range(50, 60)]
    assert names(c.get("/customers/?page=99")) == names(third)  # past the end: the last page
    assert names(c.get("/customers/?page=2&per_page=50")) == [f"Customer {i:02d}" for i in range(50, 60)]
    assert names(c.get("/customers/?sort=-name"))[0] == "Customer 59"
    assert names(c.get("/customers/?per_page=7"))[-1] == "Customer 24"  # unknown size: the default 25
    page2 = c.get("/customers/?page=2&q=customer").data.decode()
    assert 'href="/customers/?q=customer&amp;page=3"' in page2 and 'href="/customers/?q=customer"' in page2
    partial = c.get("/customers/?page=2&q=customer&status=active", headers={"HX-Request": "true"})
    assert partial.headers["HX-Push-Url"] == "/customers/?q=customer&page=2"


def test_list_as_htmx_partial_and_full_page(shop):
    partial = shop.client.get("/customers/?q=morgen", headers={"HX-Request": "true"})
    html = partial.data.decode().strip()
    assert html.startswith('<section id="customer-list"') and "<html" not in html
    assert "HX-Request" in partial.headers["Vary"]
    full = shop.client.get("/customers/?q=morgen", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert full.data.decode().startswith("<!doctype html>")
    assert 'value="morgen"' in full.data.decode()  # the search box keeps the search after reload


GOOD = {"company_name": "Neue Kunde GmbH", "person_name": "Eva Neu", "email": "eva@neu.example", "phone": "+49 1",
        "country": "DE", "vat_id": "DE136695976", "street": "Weg 1", "postal_code": "10115", "city": "Berlin",
        "is_customer": "y", "locale": "", "currency": ""}


def test_create_customer_with_custom_values(shop):
    data = {**GOOD, "cf_tier": "silver", "cf_size": "7,25", "cf_since": "2024-02-29", "cf_vip": "y",
            "cf_tags": ["retail", "wholesale"]}
    r = shop.client.post("/customers/new", data=data)
    assert r.status_code == 303
    contact = db.session.scalar(select(Contact).where(Contact.company_name == "Neue Kunde GmbH"))
    assert (contact.vat_id, contact.email, contact.country) == ("DE136695976", "eva@neu.example", "DE")
    rows = db.session.scalars(select(ContactFieldValue).where(ContactFieldValue.contact_id == contact.id)).all()
    by_field = {}
    for row in rows:
        by_field.setdefault(row.field.key, []).append(row)
    assert by_field["size"][0].value_number == Decimal("7.25")
    assert by_field["since"][0].value_date == date(2024, 2, 29)
    assert sorted(r.value_text for r in by_field["tags"]) == ["retail", "wholesale"]
    assert by_field["vip"][0].value_text == "true" and by_field["tier"][0].value_text == "silver"
    page = shop.client.get(f"/customers/{contact.id}").data.decode()
    assert "7,25" in page and "29.02.2024" in page and "retail, wholesale" in page


@pytest.mark.parametrize("change,field,message", [
    ({"company_name": "", "person_name": ""}, "company_name", "Enter a person or a company name."),
    ({"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
    ({"vat_id": "DE136695977"}, "vat_id", "is not a valid VAT ID for DE"),
    ({"vat_id": "FR123", "country": "FR"}, "vat_id", "is not a valid VAT ID for FR"),
    ({"country": "XX"}, "country", "Choose a country from the list"),
    ({"country": ""}, "country", "Choose the country."),
    ({"currency": "XYZ"}, "currency", "Choose a currency from the list"),
    ({"has_shipping_address": "y", "shipping_country": ""}, "shipping_country", "Choose the country to ship to."),
    ({"cf_size": "12.34567"}, "cf_size", "at most 4 decimal places"),
    ({"cf_size": "twelve"}, "cf_size", "twelve is not a number"),
    ({"cf_since": "31.02.2024"}, "cf_since", "Not a valid date value."),
    ({"cf_tier": "platinum"}, "cf_tier", "Not a valid choice"),
])
def test_create_with_bad_input_is_422_at_the_field_and_saves_nothing(shop, change, field, message):
    before = count()
    r = shop.client.post("/customers/new", data={**GOOD, **change})
    assert r.status_code == 422
    html = r.data.decode()
    at = html.find(f'id="{field}-error"')
    assert at > 0, field
    assert message in html[at:at + 300]
    assert count() == before
    assert 'value="Weg 1"' in html  # what was typed stays in the form


def test_edit_keeps_and_changes_values(shop):
    contact = db.session.scalar(select(Contact).where(Contact.company_name == "Café Morgenrot"))
    form = shop.client.get(f"/customers/{contact.id}/edit").data.decode()
    assert 'value="Café Morgenrot"' in form and 'value="12"' in form and 'value="2020-05-01"' in form
    r = shop.client.post(f"/customers/{contact.id}/edit", data={**GOOD, "company_name": "Café Morgenrot 2",
                                                               "cf_tier": "bronze"})
    assert r.status_code == 303
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert contact.company_name == "Café Morgenrot 2" and contact.sort_name == "café morgenrot 2"
    assert names(shop.client.get("/customers/?cf_tier=bronze")) == ["Anna Schmidt", "Café Morgenrot 2"]
    r = shop.client.post(f"/customers/{contact.id}/edit", data={**GOOD, "email": "nope"})
    assert r.status_code == 422
    assert db.session.get(Contact, contact.id).email == "eva@neu.example"


def test_duplicate_email_warns_but_saves(shop):
    check = shop.client.get("/customers/email-check?email=JONAS@morgenrot.example", headers={"HX-Request": "true"})
    assert "Another customer uses this e-mail" in check.data.decode() and "Café Morgenrot" in check.data.decode()
    r = shop.client.post("/customers/new", data={**GOOD, "email": "jonas@morgenrot.example"}, follow_redirects=True)
    assert r.status_code == 200 and "uses the same e-mail address" in r.data.decode()
    assert count() == 5


def test_archive_restore_delete(shop):
    contact_id = db.session.scalar(select(Contact.id).where(Contact.company_name == "Café Morgenrot"))
    c = shop.client
    assert c.post(f"/customers/{contact_id}/archive").status_code == 303
    assert "Café Morgenrot" not in names(c.get("/customers/"))
    assert "Café Morgenrot" in names(c.get("/customers/?status=archived"))
    assert c.post(f"/customers/{contact_id}/restore").status_code == 303
    assert "Café Morgenrot" in names(c.get("/customers/"))
    assert c.post(f"/customers/{contact_id}/delete").status_code == 303
    assert db.session.get(Contact, contact_id) is None
    assert db.session.scalar(select(func.count()).select_from(ContactFieldValue)
                             .where(ContactFieldValue.contact_id == contact_id)) == 0


def test_custom_field_definitions(shop):
    c = shop.client
    r = c.post("/customers/fields", data={"label": "Region", "key": "region_code", "type": "choice", "options": "N, S"})
    assert r.status_code == 303
    field = db.session.scalar(select(CustomField).where(CustomField.key == "region_code"))
    assert field.options == ["N", "S"]
    for data, message in [({"label": "X", "key": "Bad Key", "type": "text"}, "Lower-case letters"),
                          ({"label": "X", "key": "tier", "type": "text"}, "already uses this key"),
                          ({"label": "X", "key": "x1", "type": "choice", "options": ""}, "at least one option"),
                          ({"label": "X", "key": "x2", "type": "sparkles"}, "Not a valid choice")]:
        r = c.post("/customers/fields", data=data)
        assert r.status_code == 422 and message in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(CustomField)) == 6
    field_id = shop.fields["tier"].id
    assert db.session.scalar(select(func.count()).select_from(ContactFieldValue)
                             .where(ContactFieldValue.field_id == field_id)) == 3
    assert c.post(f"/customers/fields/{field_id}/delete").status_code == 303
    assert db.session.get(CustomField, field_id) is None
    assert db.session.scalar(select(func.count()).select_from(ContactFieldValue)
                             .where(ContactFieldValue.field_id == field_id)) == 0
    r = c.post("/customers/fields", data={"label": "X", "key": "x3", "type": "choice", "options": "a, " + "b" * 101})
    assert r.status_code == 422 and "under 100 characters" in r.data.decode()


def test_roles(shop, login_as):
    staff = login_as("staff", org=shop.org)
    assert staff.client.post("/customers/new", data=GOOD).status_code == 303
    assert staff.client.get("/customers/fields").status_code == 403
    keeper = login_as("bookkeeper", org=shop.org)
    assert keeper.client.get("/customers/").status_code == 200
    assert keeper.client.get("/customers/export.csv").status_code == 200
    assert keeper.client.post("/customers/new", data={**GOOD, "company_name": "Nope"}).status_code == 403
    assert db.session.scalar(select(Contact).where(Contact.company_name == "Nope")) is None


def test_odd_query_strings_get_an_answer_not_an_error(shop):
    c = shop.client
    for url in ("/customers/?q=%00", "/customers/?email=%00x", "/customers/?cf_tier=%00", "/customers/?q=%00&page=-5",
                "/customers/?page=99999999999999999999999", "/customers/export.csv?q=%00",
                "/customers/email-check?email=a@b.c&exclude=99999999999999999999999", "/catalog/products?q=%00"):
        assert c.get(url).status_code in (200, 422), url
    for url in ("/customers/99999999999999999999", "/customers/0", "/catalog/products/99999999999999999999",
                "/catalog/tax-rates/4294967296", "/customers/import/99999999999999999999"):
        assert c.get(url).status_code == 404, url


# --- in the member's language ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language,texts", [
    ("de", ['<h1>Kunden</h1>', ">Neuer Kunde</a>", ">CSV importieren</a>", "1–3 von 3 Kunden", "<th>Telefon</th>",
            'placeholder="Name, Firma, E-Mail, Telefon suchen"', ">Name A–Z</option>", ">Aktiv</option>",
            "<summary>Weitere Filter</summary>", ">ist gleich</option>", '<html lang="de">', ">Rechnungen</a>"]),
    ("fr", ['<h1>Clients</h1>', ">Nouveau client</a>", ">Importer un CSV</a>", "1–3 sur 3 clients", "<th>Téléphone</th>",
            'placeholder="Rechercher nom, entreprise, e-mail, téléphone"', ">Nom A–Z</option>", ">Actifs</option>",
            "<summary>Plus de filtres</summary>", ">est égal à</option>", '<html lang="fr">', ">Factures</a>"]),
])
def test_the_customer_list_in_german_and_french(shop, language, texts):
    r = shop.client.get("/customers/", headers={"Accept-Language": language})
    html = r.data.decode()
    assert r.status_code == 200 and ["Anna Schmidt", "Bäckerei Morgenstern", "Café Morgenrot"] == names(r)
    for text in texts:
        assert text in html, text
    assert "New customer" not in html and "More filters" not in html


@pytest.mark.parametrize("language,saved,message", [
    ("de", "Neue Kundin wurde hinzugefügt.", "Geben Sie eine Person oder einen Firmennamen ein."),
    ("fr", "Neue Kundin a été ajouté.", "Saisissez une personne ou un nom d’entreprise."),
])
def test_customer_messages_in_german_and_french(shop, language, saved, message):
    headers = {"Accept-Language": language}
    refused = shop.client.post("/customers/new", data={"country": "DE"}, headers=headers)
    assert refused.status_code == 422 and message in refused.data.decode()
    r = shop.client.post("/customers/new", data={"company_name": "Neue Kundin", "country": "DE"}, headers=headers,
                         follow_redirects=True)
    assert r.status_code == 200 and saved in r.data.decode()
    bad = shop.client.get("/customers/?cf_since=yesterday&cfop_since=lt", headers=headers)
    assert bad.status_code == 422
    assert {"de": "yesterday ist kein Datum (JJJJ-MM-TT).", "fr": "yesterday n’est pas une date (AAAA-MM-JJ)."}[
        language] in bad.data.decode()
