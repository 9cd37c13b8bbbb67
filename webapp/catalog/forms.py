from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.contact_form import DecimalText
from webapp.domain.tax import CATEGORIES, NOTE_FORBIDDEN, NOTE_REQUIRED
from webapp.domain.units import UNITS
from webapp.forms import Form, as_choices


class ProductForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)],
                                description="Printed on the invoice line below the name.")
    sku = StringField("SKU / article number", validators=[Length(max=64)])
    unit = SelectField("Unit", choices=as_choices((key, label) for key, (label, _) in UNITS.items()))
    unit_price = DecimalText("Unit price", places=4, allow_negative=False, min_places=2,
                             description="Up to 4 decimals, e.g. 12.5 or 0.0125. Discounts go on the invoice.")
    price_includes_tax = BooleanField("The price includes tax")
    tax_rate_id = SelectField("Tax rate", coerce=int)

    def validate_unit_price(self, field):
        if (field.data or "").strip() == "":
            raise ValidationError("Enter the unit price.")


class TaxRateForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=100)])
    percent = DecimalText("Rate in %", places=4, allow_negative=False, description="e.g. 19 or 5.5")
    category = SelectField("VAT category (EN 16931)", choices=as_choices((k, f"{k} – {v}") for k, v in CATEGORIES.items()))
    exemption_note = TextAreaField("Note printed on documents", validators=[Length(max=1000)],
                                   description="Required for reverse charge, intra-EU supply, exports and exemptions.")
    is_default = BooleanField("Default rate for new lines")

    def validate_percent(self, field):
        if (field.data or "").strip() == "":
            raise ValidationError("Enter the rate, 0 for none.")
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError("A rate above 100 % is not a VAT rate.")

    def validate_exemption_note(self, field):
        # EN 16931: BR-AE-10, BR-IC-10, BR-G-10, BR-E-10, BR-O-10 require a reason; BR-S-10, BR-Z-10 forbid one.
        note = (field.data or "").strip()
        if self.category.data in NOTE_REQUIRED and not note:
            raise ValidationError("Write the legal note for this category (printed on the document).")
        if self.category.data in NOTE_FORBIDDEN and note:
            raise ValidationError("Standard and zero-rated VAT carries no exemption note; leave it empty.")
