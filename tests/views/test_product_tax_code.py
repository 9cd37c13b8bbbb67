"""A product's tax code (``Product.tax_code``, automatic VAT: docs/vat-rules.md) on the product form and list: every
code of ``TAX_CODES`` with its label, first the organization's default ("" stored)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from webapp.domain.tax_codes import TAX_CODES
from webapp.extensions import db
from webapp.models import Product

PRODUCT = {"name": "Cloud backup", "description": "", "sku": "CB-1", "unit": "piece", "unit_price": "9,90",
           "tax_rate_id": "0"}


def options(html: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of the tax code select."""
    select_html = re.search(r'<select[^>]*id="tax_code"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [(value, text, bool(selected)) for selected, value, text in
            re.findall(r'<option( selected)? value="([^"]*)">([^<]*)</option>', select_html)]


def only_product() -> Product:
    db.session.expire_all()
    return db.session.scalar(select(Product))


def test_the_form_lists_every_code_after_the_organizations_default(login_as):
    owner = login_as("owner")
    found = options(owner.client.get("/catalog/products/new").data.decode())
    assert found[0] == ("", "Organization&#39;s default (Services)", True)  # default_tax_code S10000000
    assert [value for value, _text, _selected in found[1:]] == list(TAX_CODES)
    assert ("D10000000", "Electronically supplied services (SaaS, digital goods) · D10000000", False) in found
    owner.org.default_tax_code = "P00000000"
    db.session.commit()
    assert options(owner.client.get("/catalog/products/new").data.decode())[0][1] == \
        "Organization&#39;s default (Physical goods)"


def test_create_and_edit_round_trip_the_tax_code(login_as):
    owner = login_as("owner")
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, "tax_code": "D10000000"})
    assert r.status_code == 303, r.data[:800]
    product = only_product()
    assert (product.name, product.tax_code, product.org_id) == ("Cloud backup", "D10000000", owner.org.id)
    form = owner.client.get(f"/catalog/products/{product.id}").data.decode()
    assert [value for value, _text, selected in options(form) if selected] == ["D10000000"]
    listing = owner.client.get("/catalog/products").data.decode()
    assert '<span title="D10000000">Electronically supplied services (SaaS, digital goods)</span>' in listing

    assert owner.client.post(f"/catalog/products/{product.id}", data={**PRODUCT, "tax_code": "P20000000"}
                             ).status_code == 303
    assert only_product().tax_code == "P20000000"
    assert owner.client.post(f"/catalog/products/{product.id}", data={**PRODUCT, "tax_code": ""}).status_code == 303
    assert only_product().tax_code == ""  # the organization's default
    assert "<small class=\"muted\">Organization's default</small>" in owner.client.get("/catalog/products").data.decode()


def test_a_product_without_a_choice_takes_the_default(login_as):
    owner = login_as("owner")
    assert owner.client.post("/catalog/products/new", data=PRODUCT).status_code == 303
    assert only_product().tax_code == ""


@pytest.mark.parametrize("code", ["X10000000", "d10000000", "S1"])
def test_a_code_not_in_the_list_is_refused_and_nothing_is_stored(login_as, code):
    owner = login_as("owner")
    r = owner.client.post("/catalog/products/new", data={**PRODUCT, "tax_code": code})
    assert r.status_code == 422
    html = r.data.decode()
    assert 'id="tax_code-error"' in html and "Not a valid choice" in html
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.parametrize("language,first,label", [
    ("de", "Standard der Organisation (Dienstleistungen)", "Steuercode"),
    ("fr", "Valeur par défaut de l’organisation (Services)", "Code fiscal"),
])
def test_the_tax_code_in_german_and_french(login_as, language, first, label):
    owner = login_as("owner")
    html = owner.client.get("/catalog/products/new", headers={"Accept-Language": language}).data.decode()
    assert options(html)[0][1] == first
    assert f'<label for="tax_code">{label}' in html
