"""Forms of the customers blueprint; the customer form itself is ``webapp.contact_form`` (the CSV import uses it
too)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from webapp.contact_form import KEY_RE, CustomerForm, DecimalText, customer_form_class
from webapp.forms import Form, as_choices
from webapp.models import CustomField
from webapp.models.contact import APPLIES_TO

__all__ = ["CustomFieldForm", "CustomerForm", "DecimalText", "ImportUploadForm", "customer_form_class"]


class CustomFieldForm(Form):
    label = StringField(_l("Label"), validators=[DataRequired(_l("Enter a label.")), Length(max=100)])
    key = StringField(_l("Key"), validators=[DataRequired(_l("Enter a key.")), Regexp(
        KEY_RE, message=_l("Lower-case letters, digits and _, starting with a letter (at most 40)."))],
        description=_l("Used in filters and CSV columns, e.g. customer_tier."))
    type = SelectField(_l("Type"), choices=lambda: as_choices((k, _(v)) for k, v in CustomField.TYPES.items()))
    applies_to = SelectField(_l("Applies to"), default="customer",
                             choices=lambda: as_choices((k, _(v)) for k, v in APPLIES_TO.items()),
                             description=_l("Invoices: shown on the invoice page and set in the draft's editor and the "
                                            "API (custom_attributes); not printed on the document."))
    options = StringField(_l("Options"), validators=[Length(max=1000)],
                          description=_l("For choices: the options, separated by commas."))

    def validate_options(self, field):
        if self.type.data in {"choice", "multichoice"}:
            options = [o.strip() for o in (field.data or "").split(",") if o.strip()]
            if not options:
                raise ValidationError(_("List at least one option, separated by commas."))
            if len(set(options)) != len(options):
                raise ValidationError(_("Each option only once, please."))
            if any(len(o) > 100 for o in options):
                raise ValidationError(_("Keep each option under 100 characters."))
            field.data = options
        else:
            field.data = []


class ImportUploadForm(Form):
    file = FileField(_l("CSV file"), description=_l("UTF-8, comma or semicolon separated, first row with column names."))
