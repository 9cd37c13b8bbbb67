from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import Form, country_field, email_field, new_password_field


class LoginForm(Form):
    email = email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Remember me on this device")
    next = HiddenField()


class SignupForm(Form):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    email = email_field()
    password = new_password_field()
    org_name = StringField("Business name", validators=[DataRequired("Enter the name of your business."),
                                                        Length(max=200)])
    country = country_field()


class ResetRequestForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field("New password")
    confirm = PasswordField("Repeat the new password",
                            validators=[EqualTo("password", "The two passwords differ.")])


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    password = new_password_field("New password")
    confirm = PasswordField("Repeat the new password",
                            validators=[EqualTo("password", "The two passwords differ.")])


class AcceptInvitationForm(Form):
    """For an invitee without an account: choose a name and a password."""
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    password = new_password_field()


class NewOrganizationForm(Form):
    org_name = StringField("Business name", validators=[DataRequired("Enter the name of the business."),
                                                        Length(max=200)])
    country = country_field()
