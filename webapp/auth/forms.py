from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import Form, as_choices, country_field, email_field, new_password_field
from webapp.i18n import UI_LANGUAGES


class LoginForm(Form):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class SignupForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    email = email_field()
    password = new_password_field()
    org_name = StringField(_l("Business name"), validators=[DataRequired(_l("Enter the name of your business.")),
                                                            Length(max=200)])
    country = country_field()


class ResetRequestForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("password", _l("The two passwords differ."))])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Enter your current password."))])
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("password", _l("The two passwords differ."))])


class AcceptInvitationForm(Form):
    """For an invitee without an account: choose a name and a password."""
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    password = new_password_field()


class NewOrganizationForm(Form):
    org_name = StringField(_l("Business name"), validators=[DataRequired(_l("Enter the name of the business.")),
                                                            Length(max=200)])
    country = country_field()


class AccountForm(Form):
    """The user's own settings. Each language is named in itself; the use case checks the value."""
    language = SelectField(_l("Language"), choices=as_choices([("", _l("Automatic (browser)")),
                                                               *UI_LANGUAGES.items()]),
                           validate_choice=False,
                           description=_l("Automatic: the language your browser asks for."))
