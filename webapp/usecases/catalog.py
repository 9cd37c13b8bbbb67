"""The catalog: products and tax rates."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Product, TaxRate
from webapp.services import audit, catalog
from webapp.usecases import Actor, load, usecase


@dataclass(frozen=True)
class ProductInput:
    """A product's fields, parsed (the rules are ``services.catalog.check_product``'s); None: no price given."""
    name: str
    unit_price: Decimal | None
    description: str = ""
    sku: str = ""
    unit: str = "piece"
    price_includes_tax: bool = False
    tax_rate_id: int | None = None
    tax_code: str = ""  # what it is for automatic VAT (domain/tax_codes.py); "": the organization's default


@usecase
def save_product(actor: Actor, product_id: int | None, data: ProductInput) -> Product:
    actor.require("manage_products")
    product = load(actor, Product, product_id, "product") if product_id is not None else None
    if data.tax_rate_id:
        rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == actor.org.id,
                                                       TaxRate.id == data.tax_rate_id))
        # an unknown rate (or another organization's) is a wrong input here, not a missing page
        if rate is None or rate.archived and (product is None or product.tax_rate_id != rate.id):
            raise ActionError("invalid_tax_rate", "Choose one of the tax rates.", "tax_rate_id")
    values = {k: getattr(data, k) for k in ("name", "description", "sku", "unit", "price_includes_tax",
                                             "unit_price", "tax_code")}
    values["tax_rate_id"] = data.tax_rate_id or None
    return catalog.save_product(actor.org, actor.user, product, **values)


@usecase
def toggle_product_archived(actor: Actor, product_id: int) -> Product:
    actor.require("manage_products")
    product = load(actor, Product, product_id, "product")
    return _set_product_archived(actor, product, not product.archived)


@usecase
def set_product_archived(actor: Actor, product_id: int, archived: bool) -> Product:
    """Archive or restore (the API's /archive and /restore): a product already so stays as it is."""
    actor.require("manage_products")
    product = load(actor, Product, product_id, "product")
    return _set_product_archived(actor, product, archived) if product.archived != archived else product


def _set_product_archived(actor: Actor, product: Product, archived: bool) -> Product:
    product.archived = archived
    audit.record(actor.org, actor.user, "product.archived" if product.archived else "product.restored", product,
                 summary=f"{actor.email} {'archived' if product.archived else 'restored'} {product.name}")
    return product


@dataclass(frozen=True)
class TaxRateInput:
    """A rate's fields, parsed (the rules are ``services.catalog.check_tax_rate``'s); None: no rate given."""
    name: str
    percent: Decimal | None
    category: str
    exemption_note: str = ""
    is_default: bool = False


def _values(data: TaxRateInput) -> dict:
    return {"name": data.name, "percent": data.percent, "category": data.category,
            "exemption_note": data.exemption_note.strip(), "is_default": data.is_default}


@usecase
def create_tax_rate(actor: Actor, data: TaxRateInput) -> TaxRate:
    actor.require("manage_tax_rates")
    return catalog.create_tax_rate(actor.org, actor.user, **_values(data))


@usecase
def update_tax_rate(actor: Actor, rate_id: int, data: TaxRateInput) -> TaxRate:
    actor.require("manage_tax_rates")
    rate = load(actor, TaxRate, rate_id, "tax rate")
    catalog.update_tax_rate(actor.org, actor.user, rate, **_values(data))
    return rate


@usecase
def toggle_tax_rate_archived(actor: Actor, rate_id: int) -> TaxRate:
    actor.require("manage_tax_rates")
    rate = load(actor, TaxRate, rate_id, "tax rate")
    catalog.set_tax_rate_archived(actor.org, actor.user, rate, not rate.archived)
    return rate


@usecase
def set_tax_rate_archived(actor: Actor, rate_id: int, archived: bool) -> TaxRate:
    """Archive or restore (the API's /archive and /restore): a rate already so stays as it is."""
    actor.require("manage_tax_rates")
    rate = load(actor, TaxRate, rate_id, "tax rate")
    if rate.archived != archived:
        catalog.set_tax_rate_archived(actor.org, actor.user, rate, archived)
    return rate


@usecase
def delete_tax_rate(actor: Actor, rate_id: int) -> str:
    actor.require("manage_tax_rates")
    rate = load(actor, TaxRate, rate_id, "tax rate")
    name = rate.name
    catalog.delete_tax_rate(actor.org, actor.user, rate)
    return name


@usecase
def add_default_tax_rates(actor: Actor) -> list[TaxRate]:
    """The usual rates of the organization's country, for an organization that has none yet."""
    actor.require("manage_tax_rates")
    if db.session.scalar(select(TaxRate.id).where(TaxRate.org_id == actor.org.id).limit(1)) is not None:
        raise ActionError("tax_rates_exist", "This organization already has tax rates.")
    rates = catalog.add_default_tax_rates(actor.org)
    audit.record(actor.org, actor.user, "tax_rate.defaults_added", actor.org,
                 summary=f"{actor.email} added the usual rates of {actor.org.country or 'no country'}")
    return rates
