"""The catalog: products and tax rates."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _, ngettext

from webapp.catalog.forms import ProductForm, TaxRateForm, product_tax_code_choices
from webapp.domain.tax_codes import TAX_CODES
from webapp.domain.units import UNITS
from webapp.extensions import db
from webapp.forms import ButtonForm, as_choices, clean_line
from webapp.htmx import is_htmx, redirect_to, render
from webapp.i18n import member_locale, tax_rate_label
from webapp.models import Product, TaxRate
from webapp.queries.pagination import paginate
from webapp.tenancy import current_actor, current_org, get_or_404, require_permission, scoped
from webapp.usecases import catalog
from webapp.web.actions import refused

bp = Blueprint("catalog", __name__)


def _tax_rates(include_archived: bool = False) -> list[TaxRate]:
    stmt = scoped(TaxRate).order_by(TaxRate.archived, TaxRate.is_default.desc(), TaxRate.category, TaxRate.percent.desc())
    if not include_archived:
        stmt = stmt.where(TaxRate.archived.is_(False))
    return db.session.scalars(stmt).all()


# --- products ---------------------------------------------------------------------------------------

@bp.get("/products")
@require_permission("view")
def products():
    q = clean_line(request.args.get("q", ""))[:200]
    status = request.args.get("status", "active")
    stmt = scoped(Product)
    if status != "all":
        stmt = stmt.where(Product.archived.is_(status == "archived"))
    if q:
        stmt = stmt.where(Product.search_text.contains(q.lower(), autoescape=True))
    page = paginate(stmt.order_by(Product.sort_name, Product.id), request.args.get("page", 1, type=int) or 1, 50)
    args = {"q": q or None, "status": status if status != "active" else None, "page": page.page if page.page > 1 else None}
    rates = {r.id: r for r in _tax_rates(include_archived=True)}
    response = render("catalog/products.html", "catalog/_products.html", page=page, q=q, status_filter=status,
                      rates=rates, units=UNITS, tax_codes=TAX_CODES, list_args=args)
    if is_htmx():
        response.headers["HX-Push-Url"] = url_for("catalog.products", **args)
    return response


def _product_form(product: Product | None) -> ProductForm:
    org = current_org()
    rates = _tax_rates()
    if product is not None and product.tax_rate is not None and product.tax_rate.archived:
        rates.append(product.tax_rate)
    if product is None:
        default = next((r.id for r in rates if r.is_default), None)
        form = ProductForm(price_includes_tax=org.prices_include_tax, tax_rate_id=default)
    else:
        form = ProductForm(obj=product)
    locale = member_locale()
    form.tax_rate_id.choices = as_choices([(0, _("No default rate"))] + [(r.id, tax_rate_label(r, locale)) for r in rates])
    form.tax_code.choices = product_tax_code_choices(org.default_tax_code)
    return form


def _save_product(product: Product | None):
    form = _product_form(product)
    if form.validate_on_submit():
        data = catalog.ProductInput(name=form.name.data, description=form.description.data, sku=form.sku.data,
                                    unit=form.unit.data, price_includes_tax=form.price_includes_tax.data,
                                    unit_price=form.unit_price.decimal, tax_rate_id=form.tax_rate_id.data or None,
                                    tax_code=form.tax_code.data)
        with refused(form):
            saved = catalog.save_product(current_actor(), product.id if product else None, data)
            flash(_("%(name)s was saved.", name=saved.name), "success")
            return redirect_to(url_for("catalog.products"))
    return render("catalog/product_form.html", status=422 if form.errors else 200, form=form, product=product)


@bp.route("/products/new", methods=["GET", "POST"])
@require_permission("manage_products")
def new_product():
    return _save_product(None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@require_permission("manage_products")
def edit_product(product_id: int):
    return _save_product(get_or_404(Product, product_id))


@bp.post("/products/<int:product_id>/archive")
@require_permission("manage_products")
def archive_product(product_id: int):
    product = catalog.toggle_product_archived(current_actor(), product_id)
    flash(_("%(name)s is archived.", name=product.name) if product.archived
          else _("%(name)s is active again.", name=product.name), "success")
    return redirect_to(url_for("catalog.products"))


# --- tax rates --------------------------------------------------------------------------------------

@bp.get("/tax-rates")
@require_permission("view")
def tax_rates():
    return render("catalog/tax_rates.html", rates=_tax_rates(include_archived=True), button_form=ButtonForm(),
                  country=current_org().country)


def _rate_input(form: TaxRateForm) -> catalog.TaxRateInput:
    return catalog.TaxRateInput(name=form.name.data, percent=form.percent.decimal, category=form.category.data,
                                exemption_note=form.exemption_note.data, is_default=form.is_default.data)


@bp.route("/tax-rates/new", methods=["GET", "POST"])
@require_permission("manage_tax_rates")
def new_tax_rate():
    form = TaxRateForm()
    if form.validate_on_submit():
        with refused(form, default_field="name"):
            catalog.create_tax_rate(current_actor(), _rate_input(form))
            flash(_("The tax rate %(name)s was added.", name=form.name.data), "success")
            return redirect_to(url_for("catalog.tax_rates"))
    return render("catalog/tax_rate_form.html", status=422 if form.errors else 200, form=form, rate=None)


@bp.route("/tax-rates/<int:rate_id>", methods=["GET", "POST"])
@require_permission("manage_tax_rates")
def edit_tax_rate(rate_id: int):
    rate = get_or_404(TaxRate, rate_id)
    form = TaxRateForm(obj=rate)
    if form.validate_on_submit():
        with refused(form, default_field="name"):
            saved = catalog.update_tax_rate(current_actor(), rate_id, _rate_input(form))
            flash(_("The tax rate %(name)s was saved.", name=saved.name), "success")
            return redirect_to(url_for("catalog.tax_rates"))
        rate = get_or_404(TaxRate, rate_id)
    return render("catalog/tax_rate_form.html", status=422 if form.errors else 200, form=form, rate=rate)


@bp.post("/tax-rates/<int:rate_id>/archive")
@require_permission("manage_tax_rates")
def archive_tax_rate(rate_id: int):
    rate = catalog.toggle_tax_rate_archived(current_actor(), rate_id)
    flash(_("The tax rate %(name)s is archived.", name=rate.name) if rate.archived
          else _("The tax rate %(name)s is active again.", name=rate.name), "success")
    return redirect_to(url_for("catalog.tax_rates"))


@bp.post("/tax-rates/<int:rate_id>/delete")
@require_permission("manage_tax_rates")
def delete_tax_rate(rate_id: int):
    with refused() as refusal:
        name = catalog.delete_tax_rate(current_actor(), rate_id)
    if refusal.error is not None:
        flash(refusal.error.message, "error")
        return render("catalog/tax_rates.html", status=422, rates=_tax_rates(include_archived=True),
                      button_form=ButtonForm(), country=current_org().country)
    flash(_("The tax rate %(name)s was deleted.", name=name), "success")
    return redirect_to(url_for("catalog.tax_rates"))


@bp.post("/tax-rates/defaults")
@require_permission("manage_tax_rates")
def add_default_rates():
    """For organizations that have no rates yet (e.g. created before rates existed)."""
    with refused(redirect=url_for("catalog.tax_rates")):
        rates = catalog.add_default_tax_rates(current_actor())
    flash(ngettext("%(num)d rate was added.", "%(num)d rates were added.", len(rates)), "success")
    return redirect_to(url_for("catalog.tax_rates"))
