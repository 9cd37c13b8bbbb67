from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from wtforms import BooleanField, HiddenField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.contact_form import DecimalText
from webapp.domain import identifiers
from webapp.domain.einvoice import FORMAT_LABELS, PREFERENCES
from webapp.domain.errors import ActionError
from webapp.domain.units import UNITS
from webapp.forms import MAX_ID, Form, as_choices, tax_code_choices, tax_code_label, country_field, currency_choices, known_placeholders, normalized_by, optional_id
from webapp.i18n import member_locale, tax_rate_label
from webapp.services.drafts import PAYMENT_TERMS
from webapp.models.payment import METHODS
from webapp.services.sending import normalize_addresses

UNIT_CHOICES = as_choices((key, _l(label)) for key, (label, _code) in UNITS.items())


def rate_choices(rates, automatic: bool = False) -> list:
    """The tax rates a line or adjustment may choose; with automatic VAT the first choice lets the rules decide
    (services/automatic_tax.py), a rate chosen is set by hand."""
    locale = member_locale()
    first = _("Automatic (VAT rules)") if automatic else _("No tax rate")
    return as_choices([(0, first)] + [(r.id, tax_rate_label(r, locale)) for r in rates])


def line_tax_code_choices(default_code: str) -> list:
    """The product tax codes a line may name; "" is its product's, else the organization's default."""
    label = tax_code_label(default_code)
    return tax_code_choices(_("As the product (else %(label)s)", label=label) if label else _("As the product"))


KEEP_TAX = -1  # a tax choice: the VAT as entered (read from a supplier's e-invoice), no rate of the organization's


def tax_choice(value) -> int:
    """A line's tax choice: a rate's id, 0 for none, ``KEEP_TAX``, or an id no rate has (refused by the use case)."""
    return KEEP_TAX if str(value).strip() == str(KEEP_TAX) else optional_id(value)


class LineForm(Form):
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    quantity = DecimalText(_l("Quantity"), places=4)
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES)
    unit_price = DecimalText(_l("Unit price"), places=6, min_places=2)
    discount_percent = DecimalText(_l("Discount %"), places=4, allow_negative=False)
    tax_rate_id = SelectField(_l("Tax"), coerce=tax_choice)
    tax_code = SelectField(_l("Tax code"), choices=[])  # with automatic VAT (common.line_form sets the choices)
    # a purchase line's expense category (common.line_form sets the choices; the use case checks the one sent)
    expense_category_id = SelectField(_l("Category"), coerce=optional_id,
                                      choices=[], validate_choice=False)

    def validate_quantity(self, field):
        if field.errors:
            return
        if field.decimal is None:
            raise ValidationError(_("Enter the quantity."))
        if field.decimal == 0:
            raise ValidationError(_("A quantity of 0 adds nothing; remove the line instead."))

    def validate_unit_price(self, field):
        if not field.errors and field.decimal is None:
            raise ValidationError(_("Enter the unit price."))

    def validate_discount_percent(self, field):
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError(_("At most 100 %."))


def e_invoice_choices(preference: str) -> list:
    """The editor's e-invoice choices: the customer's (named: ``preference``), none, or one of the formats."""
    return as_choices([("customer", _("The customer's choice (%(format)s)", format=_(FORMAT_LABELS[preference])))]
                      + [(key, _(FORMAT_LABELS[key])) for key in PREFERENCES])


class HeaderForm(Form):
    currency = SelectField(_l("Currency"), choices=lambda: as_choices(currency_choices()),
                           validate_choice=False, validators=[normalized_by(identifiers.normalize_currency)])
    prices_include_tax = BooleanField(_l("Prices include tax"))
    # invoices: an advance (down-payment) invoice, which a final invoice deducts later (services/deductions.py)
    advance = BooleanField(_l("Advance invoice (down payment)"))
    # the VAT rules decide each line (services/automatic_tax.py)
    automatic_tax = BooleanField(_l("Automatic VAT"), description=_l(
        "Each line's VAT follows from your registrations, the customer and the product's tax code."))
    chosen_issue_date = DateField(_l("Issue date"), validators=[Optional()],
                                  description=_l("Empty: the day you issue it."))
    service_date = DateField(_l("Service date / period from"), validators=[Optional()])
    service_period_end = DateField(_l("Period until"), validators=[Optional()])
    payment_terms = SelectField(_l("Payment terms"), choices=lambda: as_choices(
        [(str(d), ngettext("%(num)d day", "%(num)d days", d)) for d in PAYMENT_TERMS] + [("custom", _("Other…"))]))
    payment_terms_custom = IntegerField(_l("Days"), validators=[Optional(), NumberRange(0, 365, _l("Between 0 and 365 days."))])
    customer_reference = StringField(_l("Customer reference / PO"), validators=[Length(max=100)])
    supplier_number = StringField(_l("Supplier's invoice number"), validators=[Length(max=60)])  # purchases
    self_billed = BooleanField(_l("Self-billed"), description=_l(
        "You make this invoice out for the supplier, as agreed with them: numbered in your self-billing series, "
        "with a PDF and an e-invoice of type 389."))
    buyer_reference = StringField(_l("Buyer reference (Leitweg-ID)"), validators=[Length(max=100)],
                                  description=_l("Empty: the customer's, if it has one."))
    # the choices name the customer's format (common.header_form); "customer": decided at issue
    e_invoice = SelectField(_l("E-invoice"), default="customer", choices=lambda: e_invoice_choices(""))
    notes = TextAreaField(_l("Notes on the invoice"), validators=[Length(max=5000)])
    discount_percent = DecimalText(_l("Discount on all lines %"), places=4, allow_negative=False)
    # shown when the currency is not the organization's (invoices/_exchange_rate.html names both currencies)
    exchange_rate = DecimalText(_l("Exchange rate"), places=6, allow_negative=False)
    valid_until = DateField(_l("Valid until"), validators=[Optional()], description=_l("Quotes: the offer expires after this day."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        custom = self.payment_terms_custom
        if self.payment_terms.data == "custom" and custom.data is None and not custom.errors:
            custom.errors = [*custom.errors, _("Enter the number of days.")]
            ok = False
        return ok

    def validate_discount_percent(self, field):
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError(_("At most 100 %."))

    def terms_days(self) -> int:
        return self.payment_terms_custom.data if self.payment_terms.data == "custom" else int(self.payment_terms.data)


class AdjustmentForm(Form):
    reason = StringField(_l("Reason"), validators=[Length(max=200)])
    amount = DecimalText(_l("Amount"), places=4, allow_negative=False, min_places=2)
    tax_rate_id = SelectField(_l("Tax"), coerce=tax_choice)

    def validate_amount(self, field):
        if not field.errors and field.decimal is None:
            raise ValidationError(_("Enter the amount."))


class QuickCustomerForm(Form):
    company_name = StringField(_l("Company"), validators=[Length(max=200)])
    person_name = StringField(_l("Person"), validators=[Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    country = country_field()  # the countries named in the member's language

    def validate_company_name(self, field):
        if not field.data and not self.person_name.data:
            raise ValidationError(_("Enter a person or a company name."))

    def validate_email(self, field):
        if field.data:
            from email_validator import EmailNotValidError, validate_email
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                raise ValidationError(_("Enter a valid e-mail address.")) from exc


def address_list(required: bool):
    """Validates a comma-separated list of e-mail addresses and stores it normalized ("a@x.com, b@y.com"): the
    rule of ``services.sending.normalize_addresses`` (the API's send checks the same)."""

    def validator(form, field):
        try:
            field.data = normalize_addresses(field.data or "", required, field.name)
        except ActionError as exc:
            raise ValidationError(exc.message) from None

    return validator


class SendForm(Form):
    to = StringField(_l("To"), validators=[address_list(required=True)],
                     description=_l("Several addresses: separate them with commas."))
    cc = StringField(_l("Cc"), validators=[address_list(required=False)])
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Enter a subject.")), Length(max=300),
                                                 known_placeholders])
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Enter the message.")), Length(max=20000),
                                                known_placeholders])
    attach_pdf = BooleanField(_l("Attach the PDF"))
    key = HiddenField(validators=[DataRequired(_l("The form has expired; reload the page.")), Length(max=64)])


class PaymentForm(Form):
    kind = SelectField(_l("Type"), choices=as_choices([("payment", _l("Payment received")), ("refund", _l("Refund paid out"))]))
    amount = DecimalText(_l("Amount"), places=3, allow_negative=False, min_places=2)
    paid_on = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date of the payment."))])
    method = SelectField(_l("Method"), choices=as_choices((key, _l(label)) for key, label in METHODS.items()))
    reference = StringField(_l("Reference"), validators=[Length(max=100)], description=_l("E.g. the bank's or Stripe's id."))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    key = HiddenField(validators=[DataRequired(_l("The form has expired; reload the page.")), Length(max=64)])
    # offered once a payment above the amount due is refused; the refusal names it (services.payments.OVERPAYMENT_LABEL)
    allow_overpayment = BooleanField(_l("Record the overpayment"))

    def validate_amount(self, field):
        if not field.errors and (field.decimal is None or field.decimal == 0):
            raise ValidationError(_("Enter an amount."))


class VoidForm(Form):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class MarkPaidForm(Form):
    key = HiddenField(validators=[DataRequired(_l("The form has expired; reload the page.")), Length(max=64)])
    send_confirmation = BooleanField(_l("E-mail the customer a payment confirmation"))


class CreditForm(Form):
    mode = SelectField(_l("What to credit"), choices=as_choices([
        ("full", _l("Everything still creditable")), ("lines", _l("Chosen lines and quantities")),
        ("amount", _l("An amount"))]))
    amount = DecimalText(_l("Amount"), places=6, allow_negative=False, min_places=2)
    group = SelectField(_l("VAT rate"), validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Length(max=300)],
                         description=_l("Printed on the credit note, e.g. “Returned goods”."))


class CancelForm(Form):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class RecipientForm(Form):
    contact_id = IntegerField(_l("New customer"), validators=[DataRequired(_l("Choose the new customer.")),
                                                          NumberRange(1, MAX_ID, _l("Choose the new customer."))])
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
