from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from webapp.contact_form import DecimalText

from webapp.forms import Form, optional_id


class CategoryForm(Form):
    """An expense category; the rules (a name, unique; the account's characters) are services/expense_categories'."""
    name = StringField(_l("Name"))
    account = StringField(_l("Account number"), description=_l("Optional: the account in your chart of accounts."))


class QuickRowForm(Form):
    """One rate of the quick entry of a supplier's invoice (prefix ``q<n>``): its net amount and, as printed, its
    VAT (empty: as calculated)."""
    class Meta:
        csrf = False  # one form of several in the editor's quick entry: the page's token protects the post

    tax_rate_id = SelectField(_l("VAT rate"), coerce=optional_id, choices=[], validate_choice=False)
    net = DecimalText(_l("Net amount"), places=6)
    tax = DecimalText(_l("VAT as printed"), places=6, description=_l("Empty: as calculated."))
    expense_category_id = SelectField(_l("Category"), coerce=optional_id,
                                      choices=[], validate_choice=False)
