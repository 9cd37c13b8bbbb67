"""Form pieces shared by the blueprints."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from webapp.domain import identifiers
from webapp.models.user import PASSWORD_MIN_LENGTH


class ButtonForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST buttons."""


def email_field(label: str = "E-mail", **kwargs) -> StringField:
    return StringField(label, validators=[DataRequired("Enter your e-mail address."),
                                          Email("Enter a valid e-mail address.", check_deliverability=False),
                                          Length(max=254)], **kwargs)


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired("Choose a password."),
        Length(min=PASSWORD_MIN_LENGTH, max=200,
               message=f"Use at least {PASSWORD_MIN_LENGTH} characters."),
    ])


def normalized_by(normalize):
    """A WTForms validator that runs a domain ``normalize_*`` function and stores its result."""

    def validator(form, field):
        try:
            field.data = normalize(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    return validator


def as_choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def country_field(label: str = "Country") -> SelectField:
    return SelectField(label, choices=lambda: as_choices([("", "Choose...")] + identifiers.country_choices()),
                       validators=[normalized_by(identifiers.normalize_country)], validate_choice=False)
