"""``tax_code`` of /api/v1/products (automatic VAT, docs/vat-rules.md): read and written through the web's use case,
checked by ``automatic_tax.checked_tax_code``; a code not in the list is a 422 at /tax_code and nothing is stored."""
from __future__ import annotations

import pytest

from tests.api.test_catalog import pointers, product_count
from webapp.extensions import db
from webapp.models import Product


def test_create_read_change_and_list_the_tax_code(api):
    created = api.post("/products", json={"name": "Cloud backup", "unit_price": "9.90", "tax_code": " d10000000 "})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["tax_code"] == "D10000000"  # trimmed and upper-cased as stored
    product = db.session.get(Product, int(body["id"]))
    assert (product.tax_code, product.org_id) == ("D10000000", api.org.id)
    assert api.get(f"/products/{body['id']}").get_json()["tax_code"] == "D10000000"
    assert [p["tax_code"] for p in api.get("/products").get_json()["data"]] == ["D10000000"]

    renamed = api.patch(f"/products/{body['id']}", json={"name": "Cloud backup plus"})
    assert renamed.status_code == 200 and renamed.get_json()["tax_code"] == "D10000000"  # not given: kept
    changed = api.patch(f"/products/{body['id']}", json={"tax_code": "P20000000"})
    assert changed.status_code == 200 and changed.get_json()["tax_code"] == "P20000000"
    db.session.expire_all()
    assert db.session.get(Product, int(body["id"])).tax_code == "P20000000"
    cleared = api.patch(f"/products/{body['id']}", json={"tax_code": ""})
    assert cleared.get_json()["tax_code"] == ""
    db.session.expire_all()
    assert db.session.get(Product, int(body["id"])).tax_code == ""  # the organization's default again


def test_without_a_tax_code_a_product_takes_the_organizations_default(api):
    body = api.post("/products", json={"name": "Hour of work", "unit": "hour", "unit_price": "89.90"}).get_json()
    assert body["tax_code"] == ""
    assert db.session.get(Product, int(body["id"])).tax_code == ""


@pytest.mark.parametrize("code", ["X10000000", "S1", "hello"])
def test_a_code_not_in_the_list_is_refused_at_tax_code_and_nothing_is_stored(api, code):
    answer = api.post("/products", json={"name": "Cloud backup", "unit_price": "9.90", "tax_code": code})
    assert pointers(answer) == {"/tax_code": "unknown_tax_code"}
    assert code in answer.get_json()["errors"][0]["detail"]
    assert product_count() == 0


def test_a_bad_code_is_named_with_the_other_mistakes(api):
    answer = api.post("/products", json={"name": "", "unit_price": "-1", "tax_code": "X10000000"})
    assert pointers(answer) == {"/name": "name_required", "/unit_price": "negative_number",
                                "/tax_code": "unknown_tax_code"}
    assert product_count() == 0


def test_a_change_to_a_bad_code_keeps_the_stored_one(api):
    body = api.post("/products", json={"name": "E-book", "unit_price": "5", "tax_code": "D20000000"}).get_json()
    answer = api.patch(f"/products/{body['id']}", json={"name": "E-book 2", "tax_code": "D99999999"})
    assert pointers(answer) == {"/tax_code": "unknown_tax_code"}
    db.session.expire_all()
    product = db.session.get(Product, int(body["id"]))
    assert (product.name, product.tax_code) == ("E-book", "D20000000")


def test_too_long_or_not_a_string_is_refused_by_the_schema(api):
    assert set(pointers(api.post("/products", json={"name": "A", "unit_price": "1", "tax_code": "D100000000"}))) \
        == {"/tax_code"}
    assert set(pointers(api.post("/products", json={"name": "A", "unit_price": "1", "tax_code": 10000000}))) \
        == {"/tax_code"}
    assert product_count() == 0


def test_the_error_in_german(api):
    answer = api.post("/products", json={"name": "A", "unit_price": "1", "tax_code": "X10000000"},
                      headers={"Accept-Language": "de"})
    assert answer.get_json()["errors"][0]["detail"].startswith("X10000000 ist kein Steuercode der Liste")
