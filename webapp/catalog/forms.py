from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from webapp.contact_form import DecimalText
from webapp.domain.errors import InvalidInput
from webapp.domain.tax import CATEGORIES
from webapp.domain.units import UNITS
from webapp.forms import Form, as_choices, tax_code_choices, tax_code_label
from webapp.services import catalog

# the fields read any number; how many decimals a price or rate may have, and its sign, are the service's rules
READ_PLACES = 28


def _rules(form: Form, check, values: dict) -> bool:
    """The rules every way of saving shares (``services.catalog``): their messages beside the fields whose own
    reading (a number, a choice) went well. False when a rule refused."""
    try:
        check(values)
    except InvalidInput as invalid:
        for error in invalid.errors:
            field = form[error.field] if error.field in form else None
            if field is None:
                form.form_errors.append(error.message)
            elif not field.errors:
                field.errors = [*field.errors, error.message]
        return False
    return True


def product_tax_code_choices(default_code: str) -> list:
    """The product tax codes; the first, "", is the organization's default (``Organization.default_tax_code``)."""
    label = tax_code_label(default_code)
    return tax_code_choices(_("Organization's default (%(label)s)", label=label) if label
                            else _("Organization's default"))


class ProductForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=200)], render_kw={"required": True})
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)],
                                description=_l("Printed on the invoice line below the name."))
    sku = StringField(_l("SKU / article number"), validators=[Length(max=64)])
    unit = SelectField(_l("Unit"), choices=lambda: as_choices((key, _(label)) for key, (label, _code) in UNITS.items()))
    unit_price = DecimalText(_l("Unit price"), places=READ_PLACES, min_places=2,
                             description=_l("Up to 4 decimals, e.g. 12.5 or 0.0125. Discounts go on the invoice."))
    price_includes_tax = BooleanField(_l("The price includes tax"))
    tax_rate_id = SelectField(_l("Tax rate"), coerce=int)
    tax_code = SelectField(_l("Tax code"), choices=[],  # the route sets them (tax_code_choices)
                           description=_l("What the product is for automatic VAT: goods, services, electronically "
                                          "supplied services ... decide where it is taxed and at which rate."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return _rules(self, catalog.check_product, {"name": self.name.data, "unit": self.unit.data,
                                                    "unit_price": self.unit_price.decimal,
                                                    "tax_code": self.tax_code.data}) and ok


class TaxRateForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=100)], render_kw={"required": True})
    percent = DecimalText(_l("Rate in %"), places=READ_PLACES, description=_l("e.g. 19 or 5.5"))
    category = SelectField(_l("VAT category (EN 16931)"),
                           choices=lambda: as_choices((k, f"{k} – {_(v)}") for k, v in CATEGORIES.items()))
    exemption_note = TextAreaField(_l("Note printed on documents"), validators=[Length(max=1000)],
                                   description=_l("Required for reverse charge, intra-EU supply, exports and exemptions."))
    is_default = BooleanField(_l("Default rate for new lines"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return _rules(self, catalog.check_tax_rate, {
            "name": self.name.data, "percent": self.percent.decimal, "category": self.category.data,
            "exemption_note": self.exemption_note.data}) and ok
