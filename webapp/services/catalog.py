"""Tax rates and products."""
from __future__ import annotations

from sqlalchemy import select, update

from webapp.domain.tax import ZERO_CATEGORIES, default_rates
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Organization, Product, TaxRate, User
from webapp.services import audit


def add_default_tax_rates(org: Organization) -> list[TaxRate]:
    """Give ``org`` the usual rates of its country plus reverse charge, intra-EU supply and export."""
    rates = [TaxRate(org_id=org.id, name=t.name, percent=t.percent, category=t.category,
                     exemption_note=t.note, is_default=t.default) for t in default_rates(org.country)]
    db.session.add_all(rates)
    db.session.flush()
    return rates


def _check_rate(rate: TaxRate) -> None:
    if rate.category in ZERO_CATEGORIES and rate.percent != 0:
        raise ActionError("zero_rate_category", "Category {category} always has a rate of 0 %.", "percent",
                          category=rate.category)
    if rate.category == "S" and rate.percent <= 0:
        raise ActionError("standard_rate_zero", "A standard-rate category (S) needs a rate above 0 %.", "percent")


def _make_only_default(rate: TaxRate) -> None:
    if rate.is_default:
        db.session.execute(update(TaxRate).where(TaxRate.org_id == rate.org_id, TaxRate.id != rate.id)
                           .values(is_default=False))


def create_tax_rate(org: Organization, actor: User, **values) -> TaxRate:
    rate = TaxRate(org_id=org.id, **values)
    _check_rate(rate)
    db.session.add(rate)
    db.session.flush()
    _make_only_default(rate)
    audit.record(org, actor, "tax_rate.created", rate, summary=f"{actor.email} added the tax rate {rate.label}")
    return rate


def update_tax_rate(org: Organization, actor: User, rate: TaxRate, **values) -> None:
    """Edit a rate no issued document uses; the default flag may always change."""
    changes_figures = any(getattr(rate, k) != v for k, v in values.items() if k != "is_default")
    if rate.in_use and changes_figures:
        raise ActionError("tax_rate_in_use", "This rate is used by issued documents and cannot be changed. "
                           "Archive it and create a new one.")
    for key, value in values.items():
        setattr(rate, key, value)
    _check_rate(rate)
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
