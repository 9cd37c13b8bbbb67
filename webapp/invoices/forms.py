from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from wtforms import BooleanField, HiddenField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.contact_form import DecimalText
from webapp.domain import identifiers
from webapp.domain.units import UNITS
from webapp.forms import MAX_ID, Form, as_choices, known_placeholders, normalized_by
from webapp.i18n import member_locale, tax_rate_label
from webapp.services.drafts import PAYMENT_TERMS
from webapp.services.payments import OVERPAYMENT_LABEL
from webapp.models.payment import METHODS
from webapp.services.sending import MAX_RECIPIENTS

UNIT_CHOICES = as_choices((key, label) for key, (label, _) in UNITS.items())


def rate_choices(rates) -> list:
    locale = member_locale()
    return as_choices([(0, "No tax rate")] + [(r.id, tax_rate_label(r, locale)) for r in rates])


class LineForm(Form):
    description = TextAreaField("Description", validators=[Length(max=2000)])
    quantity = DecimalText("Quantity", places=4)
    unit = SelectField("Unit", choices=UNIT_CHOICES)
    unit_price = DecimalText("Unit price", places=6, min_places=2)
    discount_percent = DecimalText("Discount %", places=4, allow_negative=False)
    tax_rate_id = SelectField("Tax", coerce=int)

    def validate_quantity(self, field):
        if field.errors:
            return
        if field.decimal is None:
            raise ValidationError("Enter the quantity.")
        if field.decimal == 0:
            raise ValidationError("A quantity of 0 adds nothing; remove the line instead.")

    def validate_unit_price(self, field):
        if not field.errors and field.decimal is None:
            raise ValidationError("Enter the unit price.")

    def validate_discount_percent(self, field):
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError("At most 100 %.")


class HeaderForm(Form):
    currency = SelectField("Currency", choices=lambda: as_choices(identifiers.currency_choices()),
                           validate_choice=False, validators=[normalized_by(identifiers.normalize_currency)])
    prices_include_tax = BooleanField("Prices include tax")
    chosen_issue_date = DateField("Issue date", validators=[Optional()],
                                  description="Empty: the day you issue it.")
    service_date = DateField("Service date / period from", validators=[Optional()])
    service_period_end = DateField("Period until", validators=[Optional()])
    payment_terms = SelectField("Payment terms", choices=as_choices(
        [(str(d), f"{d} days") for d in PAYMENT_TERMS] + [("custom", "Other…")]))
    payment_terms_custom = IntegerField("Days", validators=[Optional(), NumberRange(0, 365, "Between 0 and 365 days.")])
    customer_reference = StringField("Customer reference / PO", validators=[Length(max=100)])
    notes = TextAreaField("Notes on the invoice", validators=[Length(max=5000)])
    discount_percent = DecimalText("Discount on all lines %", places=4, allow_negative=False)
    valid_until = DateField("Valid until", validators=[Optional()], description="Quotes: the offer expires after this day.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        custom = self.payment_terms_custom
        if self.payment_terms.data == "custom" and custom.data is None and not custom.errors:
            custom.errors = [*custom.errors, "Enter the number of days."]
            ok = False
        return ok

    def validate_discount_percent(self, field):
        if field.decimal is not None and field.decimal > 100:
            raise ValidationError("At most 100 %.")

    def terms_days(self) -> int:
        return self.payment_terms_custom.data if self.payment_terms.data == "custom" else int(self.payment_terms.data)


class AdjustmentForm(Form):
    reason = StringField("Reason", validators=[Length(max=200)])
    amount = DecimalText("Amount", places=4, allow_negative=False, min_places=2)
    tax_rate_id = SelectField("Tax", coerce=int)

    def validate_amount(self, field):
        if not field.errors and field.decimal is None:
            raise ValidationError("Enter the amount.")


class QuickCustomerForm(Form):
    company_name = StringField("Company", validators=[Length(max=200)])
    person_name = StringField("Person", validators=[Length(max=200)])
    email = StringField("E-mail", validators=[Length(max=254)])
    country = SelectField("Country", choices=lambda: as_choices([("", "Choose...")] + identifiers.country_choices()),
                          validate_choice=False, validators=[normalized_by(identifiers.normalize_country)])

    def validate_company_name(self, field):
        if not field.data and not self.person_name.data:
            raise ValidationError("Enter a person or a company name.")

    def validate_email(self, field):
        if field.data:
            from email_validator import EmailNotValidError, validate_email
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                raise ValidationError("Enter a valid e-mail address.") from exc


def _addresses(value: str) -> list[str]:
    return [a.strip() for a in re.split(r"[,;\s]+", value or "") if a.strip()]


def address_list(required: bool):
    """Validates a comma-separated list of e-mail addresses and stores it normalized ("a@x.com, b@y.com")."""

    def validator(form, field):
        addresses = _addresses(field.data)
        if not addresses:
            if required:
                raise ValidationError("Enter the recipient's e-mail address.")
            field.data = ""
            return
        if len(addresses) > MAX_RECIPIENTS:
            raise ValidationError(f"At most {MAX_RECIPIENTS} addresses.")
        normalized = []
        for address in addresses:
            try:
                normalized.append(validate_email(address, check_deliverability=False).normalized)
            except EmailNotValidError:
                raise ValidationError(f"“{address}” is not a valid e-mail address.") from None
        field.data = ", ".join(dict.fromkeys(normalized))

    return validator


class SendForm(Form):
    to = StringField("To", validators=[address_list(required=True)],
                     description="Several addresses: separate them with commas.")
    cc = StringField("Cc", validators=[address_list(required=False)])
    subject = StringField("Subject", validators=[DataRequired("Enter a subject."), Length(max=300),
                                                 known_placeholders])
    body = TextAreaField("Message", validators=[DataRequired("Enter the message."), Length(max=20000),
                                                known_placeholders])
    attach_pdf = BooleanField("Attach the PDF")
    key = HiddenField(validators=[DataRequired("The form has expired; reload the page."), Length(max=64)])


class PaymentForm(Form):
    kind = SelectField("Type", choices=as_choices([("payment", "Payment received"), ("refund", "Refund paid out")]))
    amount = DecimalText("Amount", places=3, allow_negative=False, min_places=2)
    paid_on = DateField("Date", validators=[DataRequired("Enter the date of the payment.")])
    method = SelectField("Method", choices=as_choices(METHODS.items()))
    reference = StringField("Reference", validators=[Length(max=100)], description="E.g. the bank's or Stripe's id.")
    note = TextAreaField("Note", validators=[Length(max=2000)])
    key = HiddenField(validators=[DataRequired("The form has expired; reload the page."), Length(max=64)])
    allow_overpayment = BooleanField(OVERPAYMENT_LABEL)  # offered once a payment above the amount due is refused

    def validate_amount(self, field):
        if not field.errors and (field.decimal is None or field.decimal == 0):
            raise ValidationError("Enter an amount.")


class VoidForm(Form):
    reason = StringField("Reason", validators=[Length(max=300)])


class MarkPaidForm(Form):
    key = HiddenField(validators=[DataRequired("The form has expired; reload the page."), Length(max=64)])
    send_confirmation = BooleanField("E-mail the customer a payment confirmation")


class CreditForm(Form):
    mode = SelectField("What to credit", choices=as_choices([
        ("full", "Everything still creditable"), ("lines", "Chosen lines and quantities"),
        ("amount", "An amount")]))
    amount = DecimalText("Amount", places=6, allow_negative=False, min_places=2)
    group = SelectField("VAT rate", validate_choice=False)
    reason = StringField("Reason", validators=[Length(max=300)],
                         description="Printed on the credit note, e.g. “Returned goods”.")


class CancelForm(Form):
    reason = StringField("Reason", validators=[Length(max=300)])


class RecipientForm(Form):
    contact_id = IntegerField("New customer", validators=[DataRequired("Choose the new customer."),
                                                          NumberRange(1, MAX_ID, "Choose the new customer.")])
    reason = StringField("Reason", validators=[Length(max=300)])
