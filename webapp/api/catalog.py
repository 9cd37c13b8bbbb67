"""Products and tax rates: list, create, read, change, archive and restore (and delete an unused rate, as the
web may). Every write goes through ``usecases.catalog``, the web's; the rules (a known unit, prices and rates
with at most 4 decimals, a rate's category and its percentage and exemption note) are ``services.catalog``'s."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from flask import Response, g, jsonify, request, url_for
from pydantic import Field
from spectree import Response as Answers
from sqlalchemy import select

from webapp.api.base import actor, idempotent
from webapp.api.schemas import Flag, Id, Input, ListQuery, Output, Problem, decimal_text, text
from webapp.api.spec import bp, spec
from webapp.domain.tax import CATEGORIES
from webapp.domain.units import UNITS
from webapp.extensions import db
from webapp.models import Product, TaxRate
from webapp.usecases import catalog as usecase
from webapp.usecases import load

ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_422": Problem}
PRODUCT_TAGS = ["Products"]
RATE_TAGS = ["Tax rates"]

# the use case's field -> the API's (a pointer in a problem)
PRODUCT_FIELDS = {"price_includes_tax": "price_tax_inclusive"}
RATE_FIELDS = {"percent": "percentage", "exemption_note": "exemption_reason"}

# --- products -------------------------------------------------------------------------------------

class ProductIn(Input):
    """A new product. ``name`` and ``unit_price`` are required. Without ``tax_rate_id`` the organization's
    default rate applies (``null``: none); without ``price_tax_inclusive`` the organization's setting."""
    name: text(200, "Required", examples=["Sourdough loaf"]) = ""
    description: text(5000, "Printed on the invoice line below the name") = ""
    sku: text(64, "SKU / article number", examples=["BR-1"]) = ""
    unit: text(20, "One of: " + ", ".join(UNITS), examples=["piece"]) = "piece"
    # a decimal is read exactly (a string or a JSON number); its precision and range are the use case's rules, so
    # the web form and the API refuse the same numbers with the same codes
    unit_price: Decimal | None = Field(None, allow_inf_nan=False, description=(
        "In major units, at most 4 decimals, not negative: \"4.80\", \"0.0125\" (a string or a JSON number)"),
        examples=["4.80"])
    price_tax_inclusive: Flag | None = Field(None, description=(
        "true: unit_price includes the tax; not given or null: the organization's setting (a change: unchanged)"))
    tax_rate_id: Id | None = None
    tax_code: text(9, "What the product is for automatic VAT (docs/vat-rules.md): P00000000 goods, P10000000 food, "
                      "P20000000 printed books, S10000000 services, D10000000 electronically supplied services "
                      "(SaaS) ... (the list: webapp/domain/tax_codes.py); empty: the organization's default "
                      "tax code", examples=["D10000000"]) = ""


class ProductPatch(ProductIn):
    """A change: only the fields given change."""


class ProductOut(Output):
    id: Id
    name: str
    description: str
    sku: str
    unit: str = Field(description="The unit's key: " + ", ".join(UNITS))
    unit_code: str = Field(description="The unit's UN/ECE Recommendation 20 code (e-invoices), e.g. H87, HUR")
    unit_price: str = Field(description="In major units, plain digits: \"4.8\", \"0.0125\"")
    price_tax_inclusive: bool
    tax_rate_id: Id | None
    tax_code: str = Field(description="What the product is for automatic VAT, e.g. D10000000; empty: the "
                                      "organization's default tax code")
    archived: bool
    created_on: datetime
    last_updated_on: datetime


class ProductList(Output):
    data: list[ProductOut]
    has_more: bool


class ProductListQuery(ListQuery):
    search: str | None = Field(None, alias="filter[search]", max_length=200,
                               description="Part of the name, SKU or description (case does not matter)")
    archived: bool | None = Field(None, alias="filter[archived]",
                                  description="true: archived only; false (default): active only")


def product_json(product: Product) -> dict:
    return {
        "id": str(product.id), "name": product.name, "description": product.description, "sku": product.sku,
        "unit": product.unit, "unit_code": UNITS[product.unit][1] if product.unit in UNITS else "",
        "unit_price": decimal_text(product.unit_price), "price_tax_inclusive": product.price_includes_tax,
        "tax_rate_id": str(product.tax_rate_id) if product.tax_rate_id else None, "tax_code": product.tax_code,
        "archived": product.archived,
        "created_on": product.created_at.isoformat(), "last_updated_on": product.updated_at.isoformat(),
    }


def _product_answer(product: Product, status: int = 200) -> Response:
    answer = jsonify(product_json(product))
    answer.status_code = status
    return answer


def _product_input(body: ProductIn, base: usecase.ProductInput) -> usecase.ProductInput:
    """``base`` with the body's fields given over it."""
    given = body.model_fields_set
    changes = {column: getattr(body, api) for api, column in (
        ("name", "name"), ("description", "description"), ("sku", "sku"), ("unit", "unit"),
        ("unit_price", "unit_price"), ("tax_code", "tax_code")) if api in given}
    if body.price_tax_inclusive is not None:
        changes["price_includes_tax"] = body.price_tax_inclusive
    if "tax_rate_id" in given:
        changes["tax_rate_id"] = int(body.tax_rate_id) if body.tax_rate_id else None
    return replace(base, **changes)


def _default_rate_id(org_id: int) -> int | None:
    return db.session.scalar(select(TaxRate.id).where(TaxRate.org_id == org_id, TaxRate.is_default.is_(True),
                                                      TaxRate.archived.is_(False)).limit(1))


@bp.get("/products")
@spec.validate(query=ProductListQuery, resp=Answers(HTTP_200=ProductList, **ERRORS), tags=PRODUCT_TAGS)
def list_products():
    """List products

    Newest first. `filter[search]` finds part of the name, SKU or description; `filter[archived]=true` the
    archived products instead of the active ones."""
    query: ProductListQuery = request.context.query
    stmt = select(Product).where(Product.org_id == actor().org.id, Product.archived.is_(bool(query.archived)))
    search = (query.search or "").strip().lower()
    if search:
        stmt = stmt.where(Product.search_text.contains(search, autoescape=True))
    if query.starting_after:
        stmt = stmt.where(Product.id < int(query.starting_after))
    rows = db.session.scalars(stmt.order_by(Product.id.desc()).limit(query.limit + 1)).all()
    return jsonify({"data": [product_json(p) for p in rows[:query.limit]], "has_more": len(rows) > query.limit})


@bp.post("/products")
@idempotent
@spec.validate(json=ProductIn, resp=Answers(HTTP_201=ProductOut, **ERRORS), tags=PRODUCT_TAGS)
def create_product():
    """Create a product

    The same rules as the web form: a name, a known unit, a price of at most 4 decimals that is not negative,
    one of the organization's active tax rates."""
    org = actor().org
    base = usecase.ProductInput(name="", unit_price=None, price_includes_tax=org.prices_include_tax,
                                tax_rate_id=_default_rate_id(org.id))
    g.api_field_map = PRODUCT_FIELDS
    product = usecase.save_product(actor(), None, _product_input(request.context.json, base))
    answer = _product_answer(product, 201)
    answer.headers["Location"] = url_for("api.get_product", product_id=product.id)
    return answer


@bp.get("/products/<int:product_id>")
@spec.validate(resp=Answers(HTTP_200=ProductOut, **ERRORS), tags=PRODUCT_TAGS)
def get_product(product_id: int):
    """Get a product"""
    return _product_answer(load(actor(), Product, product_id, "product"))


@bp.patch("/products/<int:product_id>")
@spec.validate(json=ProductPatch, resp=Answers(HTTP_200=ProductOut, **ERRORS), tags=PRODUCT_TAGS)
def update_product(product_id: int):
    """Change a product

    Only the fields given change. Documents keep the price and rate they were made with."""
    product = load(actor(), Product, product_id, "product")
    stored = usecase.ProductInput(name=product.name, unit_price=product.unit_price, description=product.description,
                                  sku=product.sku, unit=product.unit, price_includes_tax=product.price_includes_tax,
                                  tax_rate_id=product.tax_rate_id, tax_code=product.tax_code)
    g.api_field_map = PRODUCT_FIELDS
    return _product_answer(usecase.save_product(actor(), product_id, _product_input(request.context.json, stored)))


@bp.post("/products/<int:product_id>/archive")
@idempotent
@spec.validate(resp=Answers(HTTP_200=ProductOut, **ERRORS), tags=PRODUCT_TAGS)
def archive_product(product_id: int):
    """Archive a product

    Archived products leave the list and the editor's picker; documents that use them stay as they are."""
    return _product_answer(usecase.set_product_archived(actor(), product_id, True))


@bp.post("/products/<int:product_id>/restore")
@idempotent
@spec.validate(resp=Answers(HTTP_200=ProductOut, **ERRORS), tags=PRODUCT_TAGS)
def restore_product(product_id: int):
    """Restore an archived product"""
    return _product_answer(usecase.set_product_archived(actor(), product_id, False))


# --- tax rates ------------------------------------------------------------------------------------

class TaxRateIn(Input):
    """A new tax rate: ``name``, ``percentage`` and ``category`` are required. Zero-rate categories (Z, E, AE,
    K, G, O) take 0; S, L (Canary Islands IGIC) and B (transferred VAT, split payment) more than 0; M (Ceuta and
    Melilla IPSI) 0 or more. E, AE, K, G and O need an ``exemption_reason`` (printed on documents), S, Z, L and
    M take none, B may have one (printed, not an exemption reason). ``is_default``: the rate of new lines (the
    previous default stops being one)."""
    name: text(100, "Required", examples=["Standard 19 %"]) = ""
    percentage: Decimal | None = Field(None, allow_inf_nan=False, description=(
        "From 0 to 100, at most 4 decimals: \"19\", \"5.5\" (a string or a JSON number)"), examples=["19"])
    category: text(2, "EN 16931 VAT category: " + ", ".join(CATEGORIES), examples=["S"]) = ""
    exemption_reason: text(1000, "The legal note printed on documents (BT-120)") = ""
    is_default: Flag = False


class TaxRatePatch(TaxRateIn):
    """A change: only the fields given change. A rate used by issued documents takes a change of is_default only
    (archive it and create a new one instead)."""


class TaxRateOut(Output):
    id: Id
    name: str
    percentage: str = Field(description="Plain digits: \"19\", \"5.5\"")
    category: str
    exemption_reason: str
    is_default: bool
    archived: bool
    in_use: bool = Field(description="Used by an issued document: its figures can no longer change")
    created_on: datetime


class TaxRateList(Output):
    data: list[TaxRateOut]
    has_more: bool


class TaxRateListQuery(ListQuery):
    archived: bool | None = Field(None, alias="filter[archived]",
                                  description="true: archived only; false (default): active only")


def tax_rate_json(rate: TaxRate) -> dict:
    return {"id": str(rate.id), "name": rate.name, "percentage": decimal_text(rate.percent), "category": rate.category,
            "exemption_reason": rate.exemption_note, "is_default": rate.is_default, "archived": rate.archived,
            "in_use": rate.in_use, "created_on": rate.created_at.isoformat()}


def _rate_answer(rate: TaxRate, status: int = 200) -> Response:
    answer = jsonify(tax_rate_json(rate))
    answer.status_code = status
    return answer


def _rate_input(body: TaxRateIn, base: usecase.TaxRateInput) -> usecase.TaxRateInput:
    given = body.model_fields_set
    return replace(base, **{column: getattr(body, api) for api, column in (
        ("name", "name"), ("percentage", "percent"), ("category", "category"),
        ("exemption_reason", "exemption_note"), ("is_default", "is_default")) if api in given})


@bp.get("/tax-rates")
@spec.validate(query=TaxRateListQuery, resp=Answers(HTTP_200=TaxRateList, **ERRORS), tags=RATE_TAGS)
def list_tax_rates():
    """List tax rates

    Newest first; `filter[archived]=true` the archived rates instead of the active ones."""
    query: TaxRateListQuery = request.context.query
    stmt = select(TaxRate).where(TaxRate.org_id == actor().org.id, TaxRate.archived.is_(bool(query.archived)))
    if query.starting_after:
        stmt = stmt.where(TaxRate.id < int(query.starting_after))
    rows = db.session.scalars(stmt.order_by(TaxRate.id.desc()).limit(query.limit + 1)).all()
    return jsonify({"data": [tax_rate_json(r) for r in rows[:query.limit]], "has_more": len(rows) > query.limit})


@bp.post("/tax-rates")
@idempotent
@spec.validate(json=TaxRateIn, resp=Answers(HTTP_201=TaxRateOut, **ERRORS), tags=RATE_TAGS)
def create_tax_rate():
    """Create a tax rate"""
    g.api_field_map = RATE_FIELDS
    rate = usecase.create_tax_rate(actor(), _rate_input(request.context.json,
                                                        usecase.TaxRateInput(name="", percent=None, category="")))
    answer = _rate_answer(rate, 201)
    answer.headers["Location"] = url_for("api.get_tax_rate", rate_id=rate.id)
    return answer


@bp.get("/tax-rates/<int:rate_id>")
@spec.validate(resp=Answers(HTTP_200=TaxRateOut, **ERRORS), tags=RATE_TAGS)
def get_tax_rate(rate_id: int):
    """Get a tax rate"""
    return _rate_answer(load(actor(), TaxRate, rate_id, "tax rate"))


@bp.patch("/tax-rates/<int:rate_id>")
@spec.validate(json=TaxRatePatch, resp=Answers(HTTP_200=TaxRateOut, **ERRORS), tags=RATE_TAGS)
def update_tax_rate(rate_id: int):
    """Change a tax rate

    Only the fields given change; drafts take the changed rate at their next change, issued documents keep
    theirs."""
    rate = load(actor(), TaxRate, rate_id, "tax rate")
    stored = usecase.TaxRateInput(name=rate.name, percent=rate.percent, category=rate.category,
                                  exemption_note=rate.exemption_note, is_default=rate.is_default)
    g.api_field_map = RATE_FIELDS
    return _rate_answer(usecase.update_tax_rate(actor(), rate_id, _rate_input(request.context.json, stored)))


@bp.delete("/tax-rates/<int:rate_id>")
@spec.validate(resp=Answers(HTTP_204=None, **ERRORS), tags=RATE_TAGS)
def delete_tax_rate(rate_id: int):
    """Delete a tax rate

    Only a rate no issued document and no product uses; archive the others."""
    usecase.delete_tax_rate(actor(), rate_id)
    return Response(status=204)


@bp.post("/tax-rates/<int:rate_id>/archive")
@idempotent
@spec.validate(resp=Answers(HTTP_200=TaxRateOut, **ERRORS), tags=RATE_TAGS)
def archive_tax_rate(rate_id: int):
    """Archive a tax rate

    It leaves the pickers and stops being the default; documents and products that use it keep it."""
    return _rate_answer(usecase.set_tax_rate_archived(actor(), rate_id, True))


@bp.post("/tax-rates/<int:rate_id>/restore")
@idempotent
@spec.validate(resp=Answers(HTTP_200=TaxRateOut, **ERRORS), tags=RATE_TAGS)
def restore_tax_rate(rate_id: int):
    """Restore an archived tax rate"""
    return _rate_answer(usecase.set_tax_rate_archived(actor(), rate_id, False))
