"""Account forms: shape only (lengths, required, choices). Rules live in services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from board.countries import countries
from board.form_choices import choices
from board.form_fields import TextAreaField
from board.models.user import IDENTITIES


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Please choose a username."), Length(max=60)])
    email = StringField("Email address", validators=[DataRequired("Please enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Please choose a password."), Length(max=1000)])
    accept_guidelines = BooleanField("I have read the community guidelines and agree to follow them", validators=[
        DataRequired("Please read the community guidelines and tick the box to agree to them.")])


class LoginForm(FlaskForm):
    username = StringField("Username or email address", validators=[DataRequired("Please enter your username or email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Please enter your password."), Length(max=1000)])
    remember = BooleanField("Keep me logged in on this device")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Length(max=60, message="Please keep it to 60 characters or fewer.")])
    city = StringField("Town or city", validators=[Length(max=80, message="Please keep it to 80 characters or fewer.")])
    region = StringField("State or region", validators=[Length(max=80, message="Please keep it to 80 characters or fewer.")])
    country = SelectField("Country", choices=choices([("", "I'd rather not say")] + list(countries())),
                          validate_choice=True, default="")
    identity = SelectField("I am…", choices=choices(IDENTITIES.items()), validate_choice=True)
    # Choices are filled by the view (every IANA zone); the service refuses an unknown one.
    time_zone = SelectField("Time zone", choices=[], validate_choice=False, default="")
    bio = TextAreaField("About you", validators=[Length(max=1000, message="Please keep your bio to 1,000 characters or fewer.")])


class EmailForm(FlaskForm):
    """Ask for a link (password reset, a new verification link)."""
    email = StringField("Email address", validators=[DataRequired("Please enter your email address."), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Please choose a new password."), Length(max=1000)])
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Please type the new password a second time."), Length(max=1000),
        EqualTo("password", "The two passwords are different. Please type them again."),
    ])


class ChangeEmailForm(FlaskForm):
    email = StringField("New email address", validators=[DataRequired("Please enter the new email address."), Length(max=254)])
    current_password = PasswordField("Your current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1000)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Your current password", validators=[
        DataRequired("Please enter your current password."), Length(max=1000)])
    new_password = PasswordField("New password", validators=[DataRequired("Please choose a new password."), Length(max=1000)])
    confirm = PasswordField("Type the new password again", validators=[
        DataRequired("Please type the new password a second time."), Length(max=1000),
        EqualTo("new_password", "The two new passwords are different. Please type them again."),
    ])


class ConfirmForm(FlaskForm):
    """A button only (CSRF token): confirming an address, logging out everywhere."""
