"""The customer form: the screen and the CSV import validate every customer with it (so it lives outside
the customers blueprint, which services must not import)."""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext, lazy_gettext as _l
from wtforms import (BooleanField, DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField,
                     widgets)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.domain.einvoice import FORMAT_LABELS, PREFERENCES
from webapp.domain.numbers import parse_decimal
from webapp.forms import Form, as_choices, country_choices, currency_choices, locale_choices
from webapp.i18n import format_number, member_locale
from webapp.models import CustomField
from webapp.domain.errors import InvalidInput
from webapp.services import contacts

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _optional_choice(pairs, empty_label):
    return lambda: as_choices([("", str(empty_label))] + pairs())


class DecimalText(StringField):
    """A number typed as text in the member's locale (``i18n.member_locale``), parsed into an exact Decimal (never
    a float): "1.299,00", "1299,00" or "1299.00" in de_DE (``domain.numbers.parse_decimal``). It shows a stored
    number in that locale without thousands separators and with at least ``min_places`` decimals (2 for amounts and
    prices: "89,90"; 0 for quantities and rates: "2", "1,5")."""

    def __init__(self, label=None, validators=None, places: int = 4, allow_negative: bool = True, min_places: int = 0,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.allow_negative = allow_negative
        self.min_places = min_places
        self.decimal = None

    def process_data(self, value):
        if value is None:
            self.data = ""
        elif isinstance(value, (Decimal, int)):
            self.data = format_number(Decimal(value), member_locale(), self.min_places, grouping=False)
        else:
            self.data = str(value)

    def pre_validate(self, form):
        self.decimal = None
        if (self.data or "").strip() == "":
            return
        try:
            self.decimal = parse_decimal(self.data, self.places, allow_negative=self.allow_negative,
                                         locale=member_locale())
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def as_flag(value) -> bool:
    """A yes/no choice as a bool: a stored bool as it is, the form's "1"/"0" (and the CSV import's "y"/"n")."""
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "y", "yes", "true"}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


ADDRESS_FIELDS = ("street", "street2", "postal_code", "city", "region", "country")


class CustomerForm(Form):
    person_name = StringField(_l("Person"), validators=[Length(max=200)])
    company_name = StringField(_l("Company"), validators=[Length(max=200)])
    is_customer = BooleanField(_l("Customer"), default=True)
    is_supplier = BooleanField(_l("Supplier"))
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    locale = SelectField(_l("Language of documents"), choices=_optional_choice(locale_choices,
                                                                           _l("Organization default")),
                         validate_choice=False)
    currency = SelectField(_l("Currency"), choices=_optional_choice(currency_choices, _l("Organization default")),
                           validate_choice=False)
    vat_id = StringField(_l("VAT number"), validators=[Length(max=30)])
    # business (B2B) or consumer (B2C): the VAT rules (docs/vat-rules.md) treat them differently
    is_business = RadioField(_l("Customer type"), choices=as_choices([("1", _l("Business")), ("0", _l("Consumer"))]),
                             coerce=as_flag, default=True,
                             description=_l("Automatic VAT needs it: sales to businesses and to consumers follow "
                                            "different rules (e.g. reverse charge for a business in another EU "
                                            "country)."))
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    street2 = StringField(_l("Address line 2"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    region = StringField(_l("Region / state"), validators=[Length(max=100)])
    country = SelectField(_l("Country"), choices=lambda: as_choices([("", gettext("Choose..."))] + country_choices()),
                          validate_choice=False,
                          validators=[DataRequired(_l("Choose the country."))])
    has_shipping_address = BooleanField(_l("Ship to a different address"))
    shipping_name = StringField(_l("Recipient"), validators=[Length(max=200)])
    shipping_street = StringField(_l("Street and number"), validators=[Length(max=200)])
    shipping_street2 = StringField(_l("Address line 2"), validators=[Length(max=200)])
    shipping_postal_code = StringField(_l("Postal code"), validators=[Length(max=20)])
    shipping_city = StringField(_l("City"), validators=[Length(max=100)])
    shipping_region = StringField(_l("Region / state"), validators=[Length(max=100)])
    shipping_country = SelectField(_l("Country"), choices=lambda: as_choices([("", gettext("Choose..."))] + country_choices()),
                                   validate_choice=False)
    buyer_reference = StringField(_l("Buyer reference (Leitweg-ID)"), validators=[Length(max=100)],
                                  description=_l("The reference the customer wants on every invoice (EN 16931 "
                                                 "BT-10); German public buyers give their Leitweg-ID."))
    e_invoice_format = SelectField(_l("E-invoice"), default="",
                                   choices=lambda: as_choices((k, gettext(FORMAT_LABELS[k])) for k in PREFERENCES),
                                   description=_l("What the invoice e-mail carries besides the PDF: an XRechnung is "
                                                  "attached as XML; a Factur-X is the PDF itself."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    CONTACT_FIELDS = ("person_name", "company_name", "is_customer", "is_supplier", "email", "phone", "locale",
                      "currency", "vat_id", "is_business", *ADDRESS_FIELDS, "has_shipping_address", "shipping_name",
                      "shipping_street", "shipping_street2", "shipping_postal_code", "shipping_city",
                      "shipping_region", "shipping_country", "notes", "buyer_reference", "e_invoice_format")

    custom_fields: list[CustomField] = []

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks (types, lengths, the country the web asks for), then the rules every way of
        saving a contact shares (``services.contacts.check_values``), each message beside its field and the
        normalized values (VAT ID, country, e-mail) back in the fields."""
        ok = super().validate(extra_validators)
        try:
            normalized = contacts.check_values(self.contact_values())
        except InvalidInput as invalid:
            for error in invalid.errors:
                target = self[error.field] if error.field in self else self.company_name
                if error.message not in target.errors:
                    target.errors = [*target.errors, error.message]
            return False
        for name in ("email", "locale", "currency", "country", "vat_id", "shipping_country"):
            if name in self and self[name].data:
                self[name].data = normalized.get(name, self[name].data)
        return ok

    def contact_values(self) -> dict:
        values = {name: self[name].data for name in self.CONTACT_FIELDS}
        if not values["has_shipping_address"]:
            for name in self.CONTACT_FIELDS:
                if name.startswith("shipping_"):
                    values[name] = ""
        return values

    def custom_values(self) -> dict:
        values = {}
        for f in self.custom_fields:
            form_field = self[f"cf_{f.key}"]
            values[f.key] = form_field.decimal if f.type == "number" else form_field.data
        return values


def customer_form_class(fields: list[CustomField]) -> type[CustomerForm]:
    """CustomerForm with one extra form field per custom field of the organization."""
    attrs: dict = {"custom_fields": list(fields)}
    for f in fields:
        name = f"cf_{f.key}"
        if f.type == "number":
            attrs[name] = DecimalText(f.label)
        elif f.type == "date":
            attrs[name] = DateField(f.label, validators=[Optional()], format="%Y-%m-%d")
        elif f.type == "checkbox":
            attrs[name] = BooleanField(f.label)
        elif f.type == "choice":
            attrs[name] = SelectField(f.label, choices=as_choices([("", "—")] + [(o, o) for o in f.options]),
                                      validators=[Optional()])
        elif f.type == "multichoice":
            attrs[name] = MultiCheckboxField(f.label, choices=as_choices((o, o) for o in f.options),
                                             validators=[Optional()])
        else:
            attrs[name] = StringField(f.label, validators=[Length(max=500)])
    return type("OrgCustomerForm", (CustomerForm,), attrs)
