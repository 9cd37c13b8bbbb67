"""/api/v1/products and /tax-rates: list, create, read, change, archive, restore (and delete an unused rate), through
the web's use cases and with the web form's rules (``services.catalog.check_product`` / ``check_tax_rate``)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import AuditEvent, Product, TaxRate
from webapp.models.types import utcnow


def rates_of(org_id):
    return db.session.scalars(select(TaxRate).where(TaxRate.org_id == org_id).order_by(TaxRate.id)).all()


def rate_named(org_id, name):
    return next(r for r in rates_of(org_id) if r.name == name)


def product_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product))


def pointers(answer) -> dict:
    assert answer.status_code == 422, (answer.status_code, answer.get_json())
    assert answer.mimetype == "application/problem+json"
    return {e["pointer"]: e["code"] for e in answer.get_json()["errors"]}


# --- products ---------------------------------------------------------------------------------------------

def test_create_a_product_and_read_it_back(api):
    seven = rate_named(api.org.id, "Reduced 7 %")
    created = api.post("/products", json={"name": "Sourdough loaf", "description": "1 kg, rye", "sku": "BR-1",
                                          "unit": "kg", "unit_price": "0.0125", "tax_rate_id": str(seven.id),
                                          "price_tax_inclusive": True})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/products/{body['id']}")
    assert {k: v for k, v in body.items() if k not in ("id", "created_on", "last_updated_on")} == {
        "name": "Sourdough loaf", "description": "1 kg, rye", "sku": "BR-1", "unit": "kg", "unit_code": "KGM",
        "unit_price": "0.0125", "price_tax_inclusive": True, "tax_rate_id": str(seven.id), "tax_code": "",
        "archived": False}
    product = db.session.get(Product, int(body["id"]))
    assert (product.org_id, product.name, product.unit, product.unit_price, product.tax_rate_id,
            product.price_includes_tax) == (api.org.id, "Sourdough loaf", "kg", Decimal("0.0125"), seven.id, True)
    assert api.get(f"/products/{body['id']}").get_json() == body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.created"))
    assert event.summary == "API token Shop added the product Sourdough loaf"


def test_a_new_product_takes_the_organizations_defaults_and_a_json_number_price(api):
    default = next(r for r in rates_of(api.org.id) if r.is_default)
    api.org.prices_include_tax = True
    db.session.commit()
    body = api.post("/products", json={"name": "Hour of work", "unit": "hour", "unit_price": 89.9}).get_json()
    assert body["unit_price"] == "89.9" and body["unit_code"] == "HUR" and body["tax_rate_id"] == str(default.id)
    assert body["price_tax_inclusive"] is True
    product = db.session.get(Product, int(body["id"]))
    assert product.unit_price == Decimal("89.9") and product.tax_rate_id == default.id
    without = api.post("/products", json={"name": "Untaxed", "unit_price": "5", "tax_rate_id": None,
                                          "price_tax_inclusive": False}).get_json()
    assert without["tax_rate_id"] is None and without["unit"] == "piece" and without["unit_code"] == "H87"
    assert db.session.get(Product, int(without["id"])).price_includes_tax is False


def test_patch_changes_only_the_fields_given(api):
    made = api.post("/products", json={"name": "Croissant", "sku": "CR-1", "description": "Butter", "unit_price": "1.35",
                                       "unit": "piece"}).get_json()
    changed = api.patch(f"/products/{made['id']}", json={"unit_price": "1.4500", "tax_rate_id": None})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["unit_price"] == "1.45" and body["tax_rate_id"] is None
    assert (body["name"], body["sku"], body["description"], body["unit"]) == ("Croissant", "CR-1", "Butter", "piece")
    product = db.session.get(Product, int(made["id"]))
    assert (product.name, product.sku, product.unit_price, product.tax_rate_id) == (
        "Croissant", "CR-1", Decimal("1.45"), None)
    renamed = api.patch(f"/products/{made['id']}", json={"name": "Butter croissant"}).get_json()
    assert renamed["unit_price"] == "1.45" and renamed["name"] == "Butter croissant"
    db.session.expire_all()
    assert db.session.get(Product, int(made["id"])).search_text.startswith("butter croissant")


def test_list_filters_and_pages_newest_first(api):
    ids = [api.post("/products", json={"name": name, "sku": sku, "description": text, "unit_price": "1"}
                    ).get_json()["id"]
           for name, sku, text in (("Rye bread", "BR-1", ""), ("Baguette", "BR-2", ""), ("Coffee", "CF-9", "Beans"),
                                   ("Tea", "TE-1", "green leaves"))]

    def names(query):
        answer = api.get("/products" + query)
        assert answer.status_code == 200, answer.get_json()
        return [p["name"] for p in answer.get_json()["data"]]

    assert names("") == ["Tea", "Coffee", "Baguette", "Rye bread"]
    assert names("?filter[search]=br-") == ["Baguette", "Rye bread"]  # the SKU, case does not matter
    assert names("?filter[search]=LEAVES") == ["Tea"]  # the description
    assert names("?filter[search]=coff") == ["Coffee"]
    first = api.get("/products?limit=3").get_json()
    assert [p["id"] for p in first["data"]] == [ids[3], ids[2], ids[1]] and first["has_more"] is True
    rest = api.get(f"/products?limit=3&starting_after={ids[1]}").get_json()
    assert [p["id"] for p in rest["data"]] == [ids[0]] and rest["has_more"] is False
    assert api.get("/products?filter[colour]=red").status_code == 422


def test_archive_and_restore(api):
    made = api.post("/products", json={"name": "Old stock", "unit_price": "3"}).get_json()
    archived = api.post(f"/products/{made['id']}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    assert db.session.get(Product, int(made["id"])).archived is True
    again = api.post(f"/products/{made['id']}/archive")  # archiving twice leaves it archived
    assert again.status_code == 200 and again.get_json()["archived"] is True
    db.session.expire_all()
    assert db.session.get(Product, int(made["id"])).archived is True
    assert api.get("/products").get_json()["data"] == []
    assert [p["id"] for p in api.get("/products?filter[archived]=true").get_json()["data"]] == [made["id"]]
    restored = api.post(f"/products/{made['id']}/restore")
    assert restored.status_code == 200 and restored.get_json()["archived"] is False
    db.session.expire_all()
    assert db.session.get(Product, int(made["id"])).archived is False
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("product.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["product.created", "product.archived", "product.restored"]


def test_bad_products_are_refused_with_pointers_and_nothing_is_saved(api):
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "1", "is_admin": True,
                                                "unit_code": "H87"})) == {
        "/is_admin": "extra_forbidden", "/unit_code": "extra_forbidden"}
    everything = api.post("/products", json={"name": " ", "unit": "parsec", "unit_price": "4.80001"})
    assert pointers(everything) == {"/name": "name_required", "/unit": "invalid_unit",
                                    "/unit_price": "too_many_decimals"}
    assert "piece, unit, hour" in everything.get_json()["errors"][1]["detail"]
    assert pointers(api.post("/products", json={"name": "X", "unit_price": 4.80001})) == {
        "/unit_price": "too_many_decimals"}
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "-5"})) == {
        "/unit_price": "negative_number"}
    assert pointers(api.post("/products", json={"name": "X"})) == {"/unit_price": "price_required"}
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "four"})) == {
        "/unit_price": "decimal_parsing"}
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "1000000000000"})) == {
        "/unit_price": "number_too_large"}
    assert pointers(api.post("/products", json={"name": "X" * 201, "unit_price": "1"})) == {"/name": "string_too_long"}
    assert product_count() == 0


def test_a_product_takes_only_an_active_rate_of_its_organization(api, api_as):
    foreign = rates_of(api_as("owner").org.id)[0]
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "1", "tax_rate_id": str(foreign.id)})) == {
        "/tax_rate_id": "invalid_tax_rate"}
    assert pointers(api.post("/products", json={"name": "X", "unit_price": "1", "tax_rate_id": "999999"})) == {
        "/tax_rate_id": "invalid_tax_rate"}
    seven = rate_named(api.org.id, "Reduced 7 %")
    made = api.post("/products", json={"name": "X", "unit_price": "1", "tax_rate_id": str(seven.id)}).get_json()
    seven.archived = True
    db.session.commit()
    assert pointers(api.post("/products", json={"name": "Y", "unit_price": "1", "tax_rate_id": str(seven.id)})) == {
        "/tax_rate_id": "invalid_tax_rate"}
    # a product keeps its archived rate through a change of something else
    kept = api.patch(f"/products/{made['id']}", json={"unit_price": "2"})
    assert kept.status_code == 200 and kept.get_json()["tax_rate_id"] == str(seven.id)
    assert product_count() == 1


def test_a_bad_patch_changes_nothing(api):
    made = api.post("/products", json={"name": "Bagel", "unit_price": "2.10", "unit": "piece"}).get_json()
    assert pointers(api.patch(f"/products/{made['id']}", json={"unit": "lightyear", "unit_price": None})) == {
        "/unit": "invalid_unit", "/unit_price": "price_required"}
    db.session.expire_all()
    product = db.session.get(Product, int(made["id"]))
    assert (product.unit, product.unit_price) == ("piece", Decimal("2.10"))


def test_the_rules_speak_the_readers_language(api):
    answer = api.post("/products", json={"name": "", "unit": "parsec", "unit_price": "1"},
                      headers={"Accept-Language": "de"})
    details = [e["detail"] for e in answer.get_json()["errors"]]
    assert details[0] == "Geben Sie einen Namen ein."
    assert details[1].startswith("Wählen Sie eine der Einheiten: piece, unit")
    rate = api.post("/tax-rates", json={"name": "X", "percentage": "120", "category": "S"},
                    headers={"Accept-Language": "fr"})
    assert rate.get_json()["errors"][0]["detail"] == "Un taux de TVA ne peut pas dépasser 100 %."


def test_an_idempotency_key_makes_one_product(api):
    headers = {"Idempotency-Key": "product-1"}
    first = api.post("/products", json={"name": "Once", "unit_price": "1"}, headers=headers)
    second = api.post("/products", json={"name": "Once", "unit_price": "1"}, headers=headers)
    assert first.status_code == second.status_code == 201 and first.get_json() == second.get_json()
    assert product_count() == 1


# --- tax rates --------------------------------------------------------------------------------------------

def test_create_a_tax_rate_that_becomes_the_only_default(api):
    created = api.post("/tax-rates", json={"name": "NYC sales tax", "percentage": "8.875", "category": "S",
                                           "is_default": True})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/tax-rates/{body['id']}")
    assert {k: v for k, v in body.items() if k not in ("id", "created_on")} == {
        "name": "NYC sales tax", "percentage": "8.875", "category": "S", "exemption_reason": "", "is_default": True,
        "archived": False, "in_use": False}
    rates = rates_of(api.org.id)
    assert [r.name for r in rates if r.is_default] == ["NYC sales tax"]
    assert db.session.get(TaxRate, int(body["id"])).percent == Decimal("8.875")
    assert api.get(f"/tax-rates/{body['id']}").get_json() == body
    listed = api.get("/tax-rates").get_json()["data"]
    assert listed[0]["id"] == body["id"] and len(listed) == len(rates)
    reverse = next(r for r in listed if r["category"] == "AE")
    assert "Article 196" in reverse["exemption_reason"] and reverse["percentage"] == "0"


def test_an_exempt_rate_with_its_reason_and_a_json_number(api):
    body = api.post("/tax-rates", json={"name": "Small business", "percentage": 0, "category": "E",
                                        "exemption_reason": " Kleinunternehmer, § 19 UStG "}).get_json()
    rate = db.session.get(TaxRate, int(body["id"]))
    assert (rate.category, rate.percent, rate.exemption_note) == ("E", Decimal("0"), "Kleinunternehmer, § 19 UStG")


def test_bad_tax_rates_are_refused_with_pointers_and_nothing_is_saved(api):
    before = len(rates_of(api.org.id))
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "abc", "category": "S"})) == {
        "/percentage": "decimal_parsing"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "19", "category": "S", "rate": 1})) == {
        "/rate": "extra_forbidden"}
    assert pointers(api.post("/tax-rates", json={"name": "", "percentage": "120", "category": "Q"})) == {
        "/name": "name_required", "/percentage": "percent_too_high", "/category": "invalid_category"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "7", "category": "AE"})) == {
        "/percentage": "zero_rate_category", "/exemption_reason": "exemption_note_required"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "0", "category": "S",
                                                 "exemption_reason": "Exempt!"})) == {
        "/percentage": "standard_rate_zero", "/exemption_reason": "exemption_note_forbidden"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "19.12345", "category": "S"})) == {
        "/percentage": "too_many_decimals"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "-1", "category": "S"})) == {
        "/percentage": "negative_number"}
    assert pointers(api.post("/tax-rates", json={"name": "X", "category": "S"})) == {"/percentage": "percent_required"}
    assert len(rates_of(api.org.id)) == before


def test_canary_islands_ceuta_melilla_and_split_payment_rates(api):
    made = {}
    for body in ({"name": "IGIC 7 %", "percentage": "7", "category": "L"},
                 {"name": "IPSI 0 %", "percentage": 0, "category": "M"},
                 {"name": "IPSI 10 %", "percentage": "10", "category": "M"},
                 {"name": "Split payment", "percentage": "22", "category": "B",
                  "exemption_reason": "Scissione dei pagamenti, art. 17-ter DPR 633/1972"}):
        answer = api.post("/tax-rates", json=body)
        assert answer.status_code == 201, answer.get_json()
        made[body["name"]] = answer.get_json()
    assert [(m["category"], m["percentage"]) for m in made.values()] == [("L", "7"), ("M", "0"), ("M", "10"),
                                                                          ("B", "22")]
    split = db.session.get(TaxRate, int(made["Split payment"]["id"]))
    assert (split.category, split.percent, split.exemption_note) == (
        "B", Decimal("22"), "Scissione dei pagamenti, art. 17-ter DPR 633/1972")
    # a change keeps to the rules of the category: IGIC at 0 % cannot be stated in an EN 16931 e-invoice
    igic = made["IGIC 7 %"]
    assert pointers(api.patch(f"/tax-rates/{igic['id']}", json={"percentage": "0"})) == {
        "/percentage": "positive_rate_required"}
    assert api.patch(f"/tax-rates/{igic['id']}", json={"percentage": "3"}).get_json()["percentage"] == "3"


def test_wrong_igic_ipsi_and_split_payment_rates_are_refused_and_nothing_is_saved(api):
    before = len(rates_of(api.org.id))
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "0", "category": "L"})) == {
        "/percentage": "positive_rate_required"}
    refused = api.post("/tax-rates", json={"name": "X", "percentage": "7", "category": "L", "exemption_reason": "No"})
    assert pointers(refused) == {"/exemption_reason": "exemption_note_forbidden"}
    assert refused.get_json()["errors"][0]["detail"] == ("The Canary Islands tax (IGIC) carries no exemption note; "
                                                         "leave it empty.")
    assert pointers(api.post("/tax-rates", json={"name": "X", "percentage": "4", "category": "M",
                                                 "exemption_reason": "No"})) == {
        "/exemption_reason": "exemption_note_forbidden"}
    refused = api.post("/tax-rates", json={"name": "X", "percentage": "0", "category": "B"},
                       headers={"Accept-Language": "de"})
    assert pointers(refused) == {"/percentage": "positive_rate_required"}
    assert "italienischen" in refused.get_json()["errors"][0]["detail"]
    assert len(rates_of(api.org.id)) == before


def test_patch_a_rate_and_a_rate_in_use_changes_its_default_only(api):
    seven = rate_named(api.org.id, "Reduced 7 %")
    changed = api.patch(f"/tax-rates/{seven.id}", json={"percentage": "7.5"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["percentage"] == "7.5" and changed.get_json()["name"] == "Reduced 7 %"
    db.session.expire_all()
    assert db.session.get(TaxRate, seven.id).percent == Decimal("7.5")
    seven = db.session.get(TaxRate, seven.id)
    seven.first_used_at = utcnow()  # what issuing a document does
    db.session.commit()
    for change in ({"percentage": "8"}, {"name": "Reduced"}):
        refused = api.patch(f"/tax-rates/{seven.id}", json=change)
        assert refused.status_code == 422 and refused.get_json()["code"] == "tax_rate_in_use"
    made_default = api.patch(f"/tax-rates/{seven.id}", json={"is_default": True})
    assert made_default.status_code == 200, made_default.get_json()
    assert made_default.get_json()["in_use"] is True
    db.session.expire_all()
    rate = db.session.get(TaxRate, seven.id)
    assert (rate.name, rate.percent, rate.is_default) == ("Reduced 7 %", Decimal("7.5"), True)
    assert [r.id for r in rates_of(api.org.id) if r.is_default] == [seven.id]
    assert pointers(api.patch(f"/tax-rates/{seven.id}", json={"category": "AE"})) == {
        "/percentage": "zero_rate_category", "/exemption_reason": "exemption_note_required"}


def test_archive_restore_and_delete_a_rate(api):
    default = next(r for r in rates_of(api.org.id) if r.is_default)
    archived = api.post(f"/tax-rates/{default.id}/archive")
    assert archived.status_code == 200, archived.get_json()
    assert archived.get_json()["archived"] is True and archived.get_json()["is_default"] is False
    db.session.expire_all()
    assert (db.session.get(TaxRate, default.id).archived, db.session.get(TaxRate, default.id).is_default) == (
        True, False)
    assert default.id not in [r["id"] for r in api.get("/tax-rates").get_json()["data"]]
    assert [r["id"] for r in api.get("/tax-rates?filter[archived]=true").get_json()["data"]] == [str(default.id)]
    assert api.post(f"/tax-rates/{default.id}/restore").get_json()["archived"] is False

    spare = api.post("/tax-rates", json={"name": "Spare", "percentage": "3", "category": "S"}).get_json()
    used = api.post("/tax-rates", json={"name": "Used", "percentage": "4", "category": "S"}).get_json()
    api.post("/products", json={"name": "Bread", "unit_price": "1", "tax_rate_id": used["id"]})
    deleted = api.delete(f"/tax-rates/{spare['id']}")
    assert deleted.status_code == 204 and deleted.data == b""
    assert db.session.get(TaxRate, int(spare["id"])) is None
    assert api.get(f"/tax-rates/{spare['id']}").status_code == 404
    refused = api.delete(f"/tax-rates/{used['id']}")
    assert refused.status_code == 422 and refused.get_json()["code"] == "tax_rate_used_by_products"
    assert db.session.get(TaxRate, int(used["id"])) is not None


# --- roles and organizations ------------------------------------------------------------------------------

def test_staff_manages_products_not_tax_rates_and_the_bookkeeper_reads_only(api, api_as):
    product = api.post("/products", json={"name": "Mine", "unit_price": "1"}).get_json()
    rate = rate_named(api.org.id, "Reduced 7 %")
    staff = api_as("staff", org=api.org)
    assert staff.post("/products", json={"name": "Staff's", "unit_price": "2"}).status_code == 201
    assert staff.patch(f"/products/{product['id']}", json={"sku": "S-1"}).status_code == 200
    for answer in (staff.post("/tax-rates", json={"name": "X", "percentage": "5", "category": "S"}),
                   staff.patch(f"/tax-rates/{rate.id}", json={"name": "Staff"}),
                   staff.post(f"/tax-rates/{rate.id}/archive"), staff.delete(f"/tax-rates/{rate.id}")):
        assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    assert staff.get(f"/tax-rates/{rate.id}").status_code == 200
    bookkeeper = api_as("bookkeeper", org=api.org)
    for answer in (bookkeeper.post("/products", json={"name": "No", "unit_price": "2"}),
                   bookkeeper.patch(f"/products/{product['id']}", json={"name": "No"}),
                   bookkeeper.post(f"/products/{product['id']}/archive"),
                   bookkeeper.post(f"/products/{product['id']}/restore")):
        assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    assert bookkeeper.get(f"/products/{product['id']}").get_json()["sku"] == "S-1"
    assert len(bookkeeper.get("/products").get_json()["data"]) == 2
    db.session.expire_all()
    row = db.session.get(Product, int(product["id"]))
    assert (row.name, row.archived) == ("Mine", False) and product_count() == 2
    assert db.session.get(TaxRate, rate.id).name == "Reduced 7 %" and not db.session.get(TaxRate, rate.id).archived


def test_another_organizations_token_gets_404_and_changes_nothing(api, api_as):
    product = factories.product(api.org, "Victim loaf", "2.50")
    rate = rate_named(api.org.id, "Reduced 7 %")
    other = api_as("owner")
    for answer in (other.get(f"/products/{product.id}"),
                   other.patch(f"/products/{product.id}", json={"name": "Stolen"}),
                   other.post(f"/products/{product.id}/archive"), other.post(f"/products/{product.id}/restore"),
                   other.get(f"/tax-rates/{rate.id}"), other.patch(f"/tax-rates/{rate.id}", json={"name": "Stolen"}),
                   other.post(f"/tax-rates/{rate.id}/archive"), other.post(f"/tax-rates/{rate.id}/restore"),
                   other.delete(f"/tax-rates/{rate.id}")):
        assert answer.status_code == 404, answer.get_json()
        assert b"Victim" not in answer.data and b"Reduced" not in answer.data
    assert other.get("/products").get_json()["data"] == []
    assert str(rate.id) not in [r["id"] for r in other.get("/tax-rates").get_json()["data"]]
    db.session.expire_all()
    row = db.session.get(Product, product.id)
    assert (row.name, row.unit_price, row.archived) == ("Victim loaf", Decimal("2.50"), False)
    kept = db.session.get(TaxRate, rate.id)
    assert (kept.name, kept.percent, kept.archived) == ("Reduced 7 %", Decimal("7"), False)


def test_invoice_items_name_igic_ipsi_and_split_payment_rates_by_percentage_and_category(api):
    for body in ({"name": "IGIC 7 %", "percentage": "7", "category": "L"},
                 {"name": "IPSI 0,5 %", "percentage": "0.5", "category": "M"},
                 {"name": "Split payment", "percentage": "22", "category": "B",
                  "exemption_reason": "Scissione dei pagamenti, art. 17-ter DPR 633/1972"}):
        assert api.post("/tax-rates", json=body).status_code == 201
    contact = factories.contact(api.org, "Cliente S.p.A.")
    created = api.post("/invoices", json={"customer_id": str(contact.id), "items": [
        {"description": "Mantenimiento", "quantity": 2, "unit_extratax_amount": 10000, "tax_rate": 7,
         "tax_category": "L"},
        {"description": "Instalación", "quantity": 1, "unit_extratax_amount": 5000, "tax_rate": "0.5",
         "tax_category": "M"},
        {"description": "Servizi", "quantity": 1, "unit_extratax_amount": 10000, "tax_rate": 22,
         "tax_category": "B"}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert [(t["category"], t["category_name"], t["percentage"], t["taxable_amount"], t["tax_amount"], t["exemption"])
            for t in body["taxes"]] == [
        ("B", "Transferred VAT (split payment)", "22", 10000, 2200,
         {"type": "SPLIT_PAYMENT", "legal_notice": "Scissione dei pagamenti, art. 17-ter DPR 633/1972"}),
        ("L", "Canary Islands tax (IGIC)", "7", 20000, 1400, None),
        ("M", "Ceuta and Melilla tax (IPSI)", "0.5", 5000, 25, None)]
    assert body["total_tax_amount"] == 3625 and body["total_tax_included_amount"] == 38625
    # a category without such a rate of the organization is named, not guessed
    refused = api.post("/invoices", json={"customer_id": str(contact.id), "items": [
        {"description": "X", "quantity": 1, "unit_extratax_amount": 100, "tax_rate": 3, "tax_category": "L"}]})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "unknown_tax_rate"
