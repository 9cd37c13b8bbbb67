from __future__ import annotations

import io

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.file import FileField
from PIL import Image, UnidentifiedImageError
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, widgets)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, \
    ValidationError

from webapp.domain import identifiers, timezones
from webapp.domain.numbering import NumberFormatError, parse_format
from webapp.domain.roles import BOOKKEEPER, OWNER, ROLE_LABELS, ROLES, STAFF
from webapp.services.webhooks import EVENT_TYPES as WEBHOOK_EVENTS
from webapp.forms import (PHONE_RE, Form, as_choices, country_field, currency_choices, email_field, known_placeholders,
                          locale_choices, normalized_by, tax_code_choices, with_scheme)

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000 * 4000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


def read_logo(storage) -> tuple[bytes, str]:
    """Read an uploaded logo; return (bytes, MIME type) or raise ValidationError.

    The type comes from the bytes (decoded by Pillow), never from the file name or the browser.
    """
    data = storage.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 1 MB. Use a smaller PNG or JPEG."))
    if not data:
        raise ValidationError(_("The uploaded file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise ValidationError(_("The logo has too many pixels; 4000 x 4000 at most."))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("This file is not a PNG or JPEG image.")) from exc
    if kind not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG or JPEG image."))
    return data, LOGO_FORMATS[kind]


class CompanyForm(Form):
    name = StringField(_l("Display name"), validators=[DataRequired(_l("Enter a name for the business.")), Length(max=200)])
    legal_name = StringField(_l("Legal name"), validators=[Length(max=200)],
                             description=_l("As registered, printed on every invoice."))
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    street2 = StringField(_l("Address line 2"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    region = StringField(_l("Region / state"), validators=[Length(max=100)])
    country = country_field()
    vat_id = StringField(_l("VAT ID"), validators=[Length(max=30)], description=_l("With country prefix, e.g. DE123456789."))
    tax_number = StringField(_l("Tax number"), validators=[Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(_l("Enter a valid e-mail address."),
                                                                check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40), Regexp(PHONE_RE, message=_l("Use digits, spaces and + ( ) - / . only."))])
    website = StringField(_l("Website"), filters=[with_scheme], validators=[
        Optional(), Length(max=200), URL(require_tld=True, message=_l("Enter a web address such as https://example.com."))])
    email_sender_name = StringField(_l("Sender name"), validators=[Length(max=100)],
                                    description=_l("The name your e-mails come from. Empty: the display name."))
    email_reply_to = StringField(_l("Reply-To address"), validators=[
        Optional(), Email(_l("Enter a valid e-mail address."), check_deliverability=False), Length(max=254)],
        description=_l("Where customers' replies go. Empty: the e-mail above."))
    bank_name = StringField(_l("Bank"), validators=[Length(max=100)])
    iban = StringField(_l("IBAN"), validators=[Length(max=50), normalized_by(identifiers.normalize_iban)])
    bic = StringField(_l("BIC"), validators=[Length(max=20), normalized_by(identifiers.normalize_bic)])
    logo = FileField(_l("Logo"), description=_l("PNG or JPEG, at most 1 MB."))
    remove_logo = BooleanField(_l("Remove the current logo"))
    currency = SelectField(_l("Default currency"), choices=lambda: as_choices(currency_choices()), validate_choice=False,
                           validators=[normalized_by(identifiers.normalize_currency)])
    locale = SelectField(_l("Language of documents"), choices=lambda: as_choices(locale_choices()), validate_choice=False,
                         validators=[normalized_by(identifiers.normalize_locale)])
    time_zone = SelectField(_l("Time zone"), choices=lambda: as_choices(timezones.timezone_choices()),
                            validate_choice=False, validators=[normalized_by(timezones.normalize_timezone)],
                            description=_l("Times on the screens (activity, audit log) are shown in it."))
    payment_terms_days = IntegerField(_l("Payment terms (days)"), validators=[
        InputRequired(_l("Enter the number of days.")), NumberRange(0, 365, _l("Between 0 and 365 days."))])
    prices_include_tax = BooleanField(_l("Prices include tax"))
    footer_text = TextAreaField(_l("Footer text"), validators=[Length(max=1000)],
                                description=_l("Printed at the bottom of every document."))
    registration_id = StringField(_l("Commercial register"), validators=[Length(max=100)],
                                  description=_l("E.g. HRB 12345 B, Amtsgericht Charlottenburg (in e-invoices)."))
    contact_name = StringField(_l("Contact person on invoices"), validators=[Length(max=200)],
                               description=_l("Whom customers reach about invoices (XRechnung requires one). Empty: "
                                              "the display name."))
    facturx_enabled = BooleanField(_l("Attach the e-invoice (Factur-X) to every PDF"),
                                   description=_l("Every issued PDF carries its invoice data as XML (Factur-X / "
                                                  "ZUGFeRD, EN 16931), which accounting software reads without "
                                                  "typing. Customers see the same PDF."))

    logo_upload: tuple[bytes, str] | None = None

    def validate_vat_id(self, field):
        try:
            field.data = identifiers.normalize_vat_id(field.data, self.country.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_website(self, field):
        if field.data and not field.errors and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Enter a web address starting with https:// or http://."))

    def validate_logo(self, field):
        self.logo_upload = None
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            return
        self.logo_upload = read_logo(storage)


class NumberingForm(Form):
    invoice_format = StringField(_l("Invoices"))
    invoice_reset = BooleanField(_l("Restart every year"))
    credit_note_format = StringField(_l("Credit notes"))
    credit_note_reset = BooleanField(_l("Restart every year"))
    quote_format = StringField(_l("Quotes"))
    quote_reset = BooleanField(_l("Restart every year"))

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


# the role labels in the reader's language (they are marked for the catalogs in domain/roles.py)
ROLE_CHOICES = as_choices((r, _l(ROLE_LABELS[r])) for r in ROLES)
# least privilege first: an invitation starts as staff
INVITE_ROLE_CHOICES = as_choices((r, _l(ROLE_LABELS[r])) for r in (STAFF, BOOKKEEPER, OWNER))


class InviteForm(Form):
    email = email_field(_l("E-mail of the person to invite"))
    role = SelectField(_l("Role"), choices=INVITE_ROLE_CHOICES, default=STAFF)


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class ApiTokenForm(Form):
    """A new API token. Only the types are read here; the rules (a name, one of the roles, a day after today) are
    the use case's (usecases/api_tokens.create_token), so the role is not checked against the choices."""
    name = StringField(_l("Name"), description=_l("What uses it, e.g. the shop or the accounting export."))
    role = RadioField(_l("Acts as"), choices=ROLE_CHOICES, default=STAFF, validate_choice=False)
    expires_on = DateField(_l("Last day (optional)"), validators=[Optional()],
                           description=_l("The token stops working after this day (UTC). Empty: until you revoke it."))


class WebhookEndpointForm(Form):
    """A new webhook endpoint. The rules (an http(s) URL with a host and no credentials, known events) are the use
    case's (usecases/webhooks.create_endpoint)."""
    url = StringField(_l("URL"), description=_l("Where the events are sent (POST, JSON), e.g. "
                                                "https://shop.example.com/hooks/tallybook."))
    description = StringField(_l("Description (optional)"))
    events = SelectMultipleField(_l("Events"), choices=as_choices((e, e) for e in WEBHOOK_EVENTS), validate_choice=False,
                                 widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
                                 description=_l("None ticked: every event."))


class VatForm(Form):
    """The organization's VAT settings. Only the types are read here; the rules (a tax code from the list) are the
    use case's (usecases/settings.save_vat), so the code is not checked against the choices."""
    automatic_tax = BooleanField(_l("Calculate VAT automatically on new invoices"), description=_l(
        "New drafts take each line's VAT from your registrations, the customer and the product's tax code."))
    default_tax_code = SelectField(_l("Default tax code for products without one"), choices=tax_code_choices,
                                   validate_choice=False)
    small_business = BooleanField(_l("Small business, no VAT charged (e.g. Kleinunternehmer, § 19 UStG)"),
                                  description=_l("No VAT on your invoices; the legal notice of the exemption is "
                                                 "printed on them."))
    oss_since = DateField(_l("Enrolled in the One-Stop-Shop since"), validators=[Optional()],
                          description=_l("Empty: not enrolled."))
    destination_opt_in = BooleanField(_l("Tax consumer sales in other EU countries at their rates from the first euro "
                                         "(opt-in below EUR 10,000)"),
                                      description=_l("The option of Article 59c(3) of the VAT Directive; it binds "
                                                     "you for at least two calendar years."))


class VatRegistrationForm(Form):
    """A VAT registration in another country; the rules (a country other than the home one, once, a valid VAT ID
    of that country) are the use case's (usecases/settings.add_vat_registration)."""
    country = SelectField(_l("Country"), choices=[], validate_choice=False)  # the route sets the choices
    vat_id = StringField(_l("VAT ID"), validators=[Length(max=30)], description=_l("E.g. ATU12345678."))
    valid_from = DateField(_l("Valid from"), validators=[Optional()], description=_l("Empty: already registered."))


class InvoiceEmailForm(Form):
    invoice_email_subject = StringField(_l("Subject"), validators=[Length(max=300), known_placeholders])
    invoice_email_body = TextAreaField(_l("Message"), validators=[Length(max=20000), known_placeholders])
    invoice_email_attach_pdf = BooleanField(_l("Attach the PDF by default"))
