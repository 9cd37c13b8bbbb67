from __future__ import annotations

import io

from flask_wtf.file import FileField
from PIL import Image, UnidentifiedImageError
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, \
    ValidationError

from webapp.domain import identifiers, timezones
from webapp.domain.numbering import NumberFormatError, parse_format
from webapp.domain.roles import BOOKKEEPER, OWNER, ROLE_LABELS, ROLES, STAFF
from webapp.forms import (PHONE_RE, Form, as_choices, country_field, email_field, known_placeholders, normalized_by,
                          with_scheme)

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000 * 4000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


def read_logo(storage) -> tuple[bytes, str]:
    """Read an uploaded logo; return (bytes, MIME type) or raise ValidationError.

    The type comes from the bytes (decoded by Pillow), never from the file name or the browser.
    """
    data = storage.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError("The logo is larger than 1 MB. Use a smaller PNG or JPEG.")
    if not data:
        raise ValidationError("The uploaded file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise ValidationError("The logo has too many pixels; 4000 x 4000 at most.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError("This file is not a PNG or JPEG image.") from exc
    if kind not in LOGO_FORMATS:
        raise ValidationError("The logo must be a PNG or JPEG image.")
    return data, LOGO_FORMATS[kind]


class CompanyForm(Form):
    name = StringField("Display name", validators=[DataRequired("Enter a name for the business."), Length(max=200)])
    legal_name = StringField("Legal name", validators=[Length(max=200)],
                             description="As registered, printed on every invoice.")
    street = StringField("Street and number", validators=[Length(max=200)])
    street2 = StringField("Address line 2", validators=[Length(max=200)])
    postal_code = StringField("Postal code", validators=[Length(max=20)])
    city = StringField("City", validators=[Length(max=100)])
    region = StringField("Region / state", validators=[Length(max=100)])
    country = country_field()
    vat_id = StringField("VAT ID", validators=[Length(max=30)], description="With country prefix, e.g. DE123456789.")
    tax_number = StringField("Tax number", validators=[Length(max=40)])
    email = StringField("E-mail", validators=[Optional(), Email("Enter a valid e-mail address.",
                                                                check_deliverability=False), Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40), Regexp(PHONE_RE, message="Use digits, spaces and + ( ) - / . only.")])
    website = StringField("Website", filters=[with_scheme], validators=[
        Optional(), Length(max=200), URL(require_tld=True, message="Enter a web address such as https://example.com.")])
    email_sender_name = StringField("Sender name", validators=[Length(max=100)],
                                    description="The name your e-mails come from. Empty: the display name.")
    email_reply_to = StringField("Reply-To address", validators=[
        Optional(), Email("Enter a valid e-mail address.", check_deliverability=False), Length(max=254)],
        description="Where customers' replies go. Empty: the e-mail above.")
    bank_name = StringField("Bank", validators=[Length(max=100)])
    iban = StringField("IBAN", validators=[Length(max=50), normalized_by(identifiers.normalize_iban)])
    bic = StringField("BIC", validators=[Length(max=20), normalized_by(identifiers.normalize_bic)])
    logo = FileField("Logo", description="PNG or JPEG, at most 1 MB.")
    remove_logo = BooleanField("Remove the current logo")
    currency = SelectField("Default currency", choices=lambda: as_choices(identifiers.currency_choices()), validate_choice=False,
                           validators=[normalized_by(identifiers.normalize_currency)])
    locale = SelectField("Language of documents", choices=lambda: as_choices(identifiers.locale_choices()), validate_choice=False,
                         validators=[normalized_by(identifiers.normalize_locale)])
    time_zone = SelectField("Time zone", choices=lambda: as_choices(timezones.timezone_choices()),
                            validate_choice=False, validators=[normalized_by(timezones.normalize_timezone)],
                            description="Times on the screens (activity, audit log) are shown in it.")
    payment_terms_days = IntegerField("Payment terms (days)", validators=[
        InputRequired("Enter the number of days."), NumberRange(0, 365, "Between 0 and 365 days.")])
    prices_include_tax = BooleanField("Prices include tax")
    footer_text = TextAreaField("Footer text", validators=[Length(max=1000)],
                                description="Printed at the bottom of every document.")

    logo_upload: tuple[bytes, str] | None = None

    def validate_vat_id(self, field):
        try:
            field.data = identifiers.normalize_vat_id(field.data, self.country.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_website(self, field):
        if field.data and not field.errors and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Enter a web address starting with https:// or http://.")

    def validate_logo(self, field):
        self.logo_upload = None
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            return
        self.logo_upload = read_logo(storage)


class NumberingForm(Form):
    invoice_format = StringField("Invoices")
    invoice_reset = BooleanField("Restart every year")
    credit_note_format = StringField("Credit notes")
    credit_note_reset = BooleanField("Restart every year")
    quote_format = StringField("Quotes")
    quote_reset = BooleanField("Restart every year")

    KINDS = ("invoice", "credit_note", "quote")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for kind in self.KINDS:
            fmt_field = getattr(self, f"{kind}_format")
            try:
                fmt_field.data = parse_format(fmt_field.data, getattr(self, f"{kind}_reset").data).pattern
            except NumberFormatError as exc:
                fmt_field.errors = list(fmt_field.errors) + [str(exc)]
                ok = False
        return ok


ROLE_CHOICES = as_choices((r, ROLE_LABELS[r]) for r in ROLES)
# least privilege first: an invitation starts as staff
INVITE_ROLE_CHOICES = as_choices((r, ROLE_LABELS[r]) for r in (STAFF, BOOKKEEPER, OWNER))


class InviteForm(Form):
    email = email_field("E-mail of the person to invite")
    role = SelectField("Role", choices=INVITE_ROLE_CHOICES, default=STAFF)


class RoleForm(Form):
    role = SelectField("Role", choices=ROLE_CHOICES)


class InvoiceEmailForm(Form):
    invoice_email_subject = StringField("Subject", validators=[Length(max=300), known_placeholders])
    invoice_email_body = TextAreaField("Message", validators=[Length(max=20000), known_placeholders])
    invoice_email_attach_pdf = BooleanField("Attach the PDF by default")
