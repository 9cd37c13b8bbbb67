from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.contact_form import DecimalText
from webapp.domain.tax import CATEGORIES, NOTE_FORBIDDEN, NOTE_REQUIRED
from webapp.domain.units import UNITS
from webapp.forms import Form, as_choices


class ProductForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)],
                                description=_l("Printed on the invoice line below the name."))
    sku = StringField(_l("SKU / article number"), validators=[Length(max=64)])
    unit = SelectField(_l("Unit"), choices=lambda: as_choices((key, _(label)) for key, (label, _code) in UNITS.items()))
    unit_price = DecimalText(_l("Unit price"), places=4, allow_negative=False, min_places=2,
                             description=_l("Up to 4 decimals, e.g. 12.5 or 0.0125. Discounts go on the invoice."))
    price_includes_tax = BooleanField(_l("The price includes tax"))
    tax_rate_id = SelectField(_l("Tax rate"), coerce=int)

    def validate_unit_price(self, field):
        if (field.data or "").strip() == "":
            raise ValidationError(_("Enter the unit price."))


class TaxRateForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    percent = DecimalText(_l("Rate in %"), places=4, allow_negative=False, description=_l("e.g. 19 or 5.5"))
    category = SelectField(_l("VAT category (EN 16931)"),
                           choices=lambda: as_choices((k, f"{k} – {_(v)}") for k, v in CATEGORIES.items()))
    exemption_note = TextAreaField(_l("Note printed on documents"), validators=[Length(max=1000)],
                                   description=_l("Required for reverse charge, intra-EU supply, exports and exemptions."))
    is_default = BooleanField(_l("Default rate for new lines"))

    def validate_percent(self, field):
        if (field.data or "").strip() == "":
            raise ValidationError(_("Enter the rate, 0 for none."))
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError(_("A rate above %(limit)s %% is not a VAT rate.", limit=100))

    def validate_exemption_note(self, field):
        # EN 16931: BR-AE-10, BR-IC-10, BR-G-10, BR-E-10, BR-O-10 require a reason; BR-S-10, BR-Z-10 forbid one.
        note = (field.data or "").strip()
        if self.category.data in NOTE_REQUIRED and not note:
            raise ValidationError(_("Write the legal note for this category (printed on the document)."))
        if self.category.data in NOTE_FORBIDDEN and note:
            raise ValidationError(_("Standard and zero-rated VAT carries no exemption note; leave it empty."))
