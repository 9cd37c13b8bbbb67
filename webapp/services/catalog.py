"""Tax rates and products."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from webapp.domain.tax import (CATEGORIES, NOTE_FORBIDDEN, NOTE_REQUIRED, POSITIVE_CATEGORIES, ZERO_CATEGORIES,
                               default_rates)
from webapp.domain.errors import ActionError, InvalidInput, Text
from webapp.domain.units import UNITS
from webapp.extensions import db
from webapp.models import Organization, Product, TaxRate, User
from webapp.services import audit
from webapp.services.automatic_tax import checked_tax_code


def add_default_tax_rates(org: Organization) -> list[TaxRate]:
    """Give ``org`` the usual rates of its country plus reverse charge, intra-EU supply and export."""
    rates = [TaxRate(org_id=org.id, name=t.name, percent=t.percent, category=t.category,
                     exemption_note=t.note, is_default=t.default) for t in default_rates(org.country)]
    db.session.add_all(rates)
    db.session.flush()
    return rates


PLACES = 4  # decimals of prices and rates (the columns are ScaledDecimal(4))
PRICE_LIMIT = Decimal(10) ** 12 - Decimal("0.0001")  # the largest price (12 digits before the point)
PERCENT_LIMIT = 100
NAME_REQUIRED = Text("Enter a name.")


def _number_error(value, field: str, required: ActionError, maximum: Decimal | int,
                  too_high: ActionError) -> ActionError | None:
    """What is wrong with a price or rate (a Decimal the caller parsed, or None when none was given)."""
    if value is None:
        return required
    if not isinstance(value, Decimal) or not value.is_finite():
        return ActionError("invalid_number", "Enter a number.", field)
    if value < 0:
        return ActionError("negative_number", "Enter a number that is not negative.", field)
    if value > maximum:
        return too_high
    if value != round(value, PLACES):
        return ActionError("too_many_decimals", "Use at most {places} decimal places.", field, places=PLACES)
    return None


def check_product(values: dict) -> dict:
    """A product's fields checked and normalized: the one place of the rules every way in (the web form, the
    API, the demo) goes through. ``values`` has name, unit, unit_price (a Decimal, or None when not given) and
    tax_code ("" or missing: the organization's default); returns them normalized (the name stripped, the code upper
    case) or raises ``InvalidInput`` with one error per field."""
    values = dict(values)
    errors: list[ActionError] = []
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        errors.append(ActionError("name_required", NAME_REQUIRED, "name"))
    if values.get("unit") not in UNITS:
        errors.append(ActionError("invalid_unit", "Choose one of the units: {units}.", "unit",
                                  units=", ".join(UNITS)))
    price = _number_error(values.get("unit_price"), "unit_price",
                          ActionError("price_required", "Enter the unit price.", "unit_price"), PRICE_LIMIT,
                          ActionError("number_too_large", "This number is too large.", "unit_price"))
    if price is not None:
        errors.append(price)
    try:
        values["tax_code"] = checked_tax_code(values.get("tax_code"))
    except ActionError as exc:
        errors.append(exc)
    if errors:
        raise InvalidInput(errors)
    return values


# why a category of ``POSITIVE_CATEGORIES`` refuses 0 %, and one of ``NOTE_FORBIDDEN`` a note
POSITIVE_RATE_NEEDED = {
    "S": Text("A standard-rate category (S) needs a rate above 0 %."),
    "L": Text("The Canary Islands tax (L, IGIC) needs a rate above 0 %: EN 16931 e-invoices cannot state IGIC at "
              "0 % (rule BR-AF-05)."),
    "B": Text("Transferred VAT (B, split payment) needs the Italian VAT rate, above 0 %."),
}
RATE_ABOVE_ZERO = Text("Category {category} needs a rate above 0 %.")
NO_NOTE = Text("Category {category} carries no exemption note; leave it empty.")
NOTE_NOT_ALLOWED = {
    "S": Text("Standard and zero-rated VAT carries no exemption note; leave it empty."),
    "Z": Text("Standard and zero-rated VAT carries no exemption note; leave it empty."),
    "L": Text("The Canary Islands tax (IGIC) carries no exemption note; leave it empty."),
    "M": Text("The Ceuta and Melilla tax (IPSI) carries no exemption note; leave it empty."),
}


def check_tax_rate(values: dict) -> dict:
    """A tax rate's fields checked and normalized (name, percent, category, exemption_note), as
    ``check_product``: a percentage from 0 to 100 with at most 4 decimals, one of the EN 16931 categories, 0 %
    for the zero-rate categories and more for S, L (BR-AF-05) and B, and the exemption note EN 16931 wants
    (BR-AE-10, BR-IC-10, BR-G-10, BR-E-10, BR-O-10 require one; BR-S-10, BR-Z-10, BR-AF-10, BR-AG-10 forbid one).
    ``domain/tax`` holds which category takes what."""
    values = dict(values)
    errors: list[ActionError] = []
    values["name"] = (values.get("name") or "").strip()
    values["exemption_note"] = (values.get("exemption_note") or "").strip()
    if not values["name"]:
        errors.append(ActionError("name_required", NAME_REQUIRED, "name"))
    percent, category, note = values.get("percent"), values.get("category"), values["exemption_note"]
    percent_error = _number_error(percent, "percent",
                                  ActionError("percent_required", "Enter the rate, 0 for none.", "percent"),
                                  PERCENT_LIMIT,
                                  ActionError("percent_too_high", "A VAT rate cannot be above {limit} %.", "percent",
                                              limit=PERCENT_LIMIT))
    if percent_error is not None:
        errors.append(percent_error)
    if category not in CATEGORIES:
        errors.append(ActionError("invalid_category", "Choose one of the VAT categories: {categories}.", "category",
                                  categories=", ".join(CATEGORIES)))
    else:
        if percent_error is None and category in ZERO_CATEGORIES and percent != 0:
            errors.append(ActionError("zero_rate_category", "Category {category} always has a rate of 0 %.",
                                      "percent", category=category))
        if percent_error is None and category in POSITIVE_CATEGORIES and percent <= 0:
            errors.append(ActionError("standard_rate_zero" if category == "S" else "positive_rate_required",
                                      POSITIVE_RATE_NEEDED.get(category, RATE_ABOVE_ZERO), "percent",
                                      category=category))
        if category in NOTE_REQUIRED and not note:
            errors.append(ActionError("exemption_note_required",
                                      "Write the legal note for this category (printed on the document).",
                                      "exemption_note"))
        if category in NOTE_FORBIDDEN and note:
            errors.append(ActionError("exemption_note_forbidden", NOTE_NOT_ALLOWED.get(category, NO_NOTE),
                                      "exemption_note", category=category))
    if errors:
        raise InvalidInput(errors)
    return values


RATE_FIELDS = ("name", "percent", "category", "exemption_note")
PRODUCT_FIELDS = ("name", "unit", "unit_price", "tax_code")


def _make_only_default(rate: TaxRate) -> None:
    if rate.is_default:
        db.session.execute(update(TaxRate).where(TaxRate.org_id == rate.org_id, TaxRate.id != rate.id)
                           .values(is_default=False))


def create_tax_rate(org: Organization, actor: User, **values) -> TaxRate:
    values = check_tax_rate({"exemption_note": "", **values})
    rate = TaxRate(org_id=org.id, **values)
    db.session.add(rate)
    db.session.flush()
    _make_only_default(rate)
    audit.record(org, actor, "tax_rate.created", rate, summary=f"{actor.email} added the tax rate {rate.label}")
    return rate


def update_tax_rate(org: Organization, actor: User, rate: TaxRate, **values) -> None:
    """Edit a rate no issued document uses; the default flag may always change. ``values`` may name some
    fields only: the rules see the rate as it will be."""
    checked = check_tax_rate({**{k: getattr(rate, k) for k in RATE_FIELDS}, **values})
    values = {**values, **{k: checked[k] for k in RATE_FIELDS if k in values}}
    changes_figures = any(getattr(rate, k) != v for k, v in values.items() if k != "is_default")
    if rate.in_use and changes_figures:
        raise ActionError("tax_rate_in_use", "This rate is used by issued documents and cannot be changed. "
                           "Archive it and create a new one.")
    for key, value in values.items():
        setattr(rate, key, value)
    if rate.archived and rate.is_default:
        raise ActionError("archived_default", "An archived rate cannot be the default.", "is_default")
    _make_only_default(rate)
    db.session.flush()
    audit.record(org, actor, "tax_rate.updated", rate, summary=f"{actor.email} changed the tax rate {rate.label}")


def set_tax_rate_archived(org: Organization, actor: User, rate: TaxRate, archived: bool) -> None:
    rate.archived = archived
    if archived:
        rate.is_default = False
    audit.record(org, actor, "tax_rate.archived" if archived else "tax_rate.restored", rate,
                 summary=f"{actor.email} {'archived' if archived else 'restored'} the tax rate {rate.label}")


def delete_tax_rate(org: Organization, actor: User, rate: TaxRate) -> None:
    if rate.in_use:
        raise ActionError("tax_rate_in_use", "This rate is used by issued documents; it can be archived, not deleted.")
    used_by = db.session.scalar(select(Product.name).where(Product.tax_rate_id == rate.id).limit(1))
    if used_by is not None:
        raise ActionError("tax_rate_used_by_products", "Products use this rate (e.g. {product}); give them another rate or "
                          "archive this one.", product=used_by)
    audit.record(org, actor, "tax_rate.deleted", rate, summary=f"{actor.email} deleted the tax rate {rate.label}")
    db.session.delete(rate)
    db.session.flush()


def save_product(org: Organization, actor: User, product: Product | None, **values) -> Product:
    """Add (``product`` None) or change a product; a change may name some fields only."""
    stored = {k: getattr(product, k) for k in PRODUCT_FIELDS} if product is not None else {"unit": "piece"}
    checked = check_product({**stored, **values})
    values = {**values, **{k: checked[k] for k in PRODUCT_FIELDS if k in values or product is None}}
    created = product is None
    if created:
        product = Product(org_id=org.id)
        db.session.add(product)
    for key, value in values.items():
        setattr(product, key, value)
    product.refresh_search()
    db.session.flush()
    audit.record(org, actor, "product.created" if created else "product.updated", product,
                 summary=f"{actor.email} {'added' if created else 'changed'} the product {product.name}")
    return product
