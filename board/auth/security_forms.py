"""Forms for two-factor authentication and sessions: shape only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app",
                       validators=[DataRequired("Please type the 6-digit code from your app."), Length(max=20)],
                       render_kw={"inputmode": "numeric", "maxlength": 20, "spellcheck": "false"})


class RecoveryForm(FlaskForm):
    recovery_code = StringField("Recovery code", validators=[
        DataRequired("Please type one of your recovery codes."), Length(max=40)],
        render_kw={"maxlength": 40, "spellcheck": "false", "autocapitalize": "none"})


class PasswordConfirmForm(FlaskForm):
    password = PasswordField("Your password", validators=[
        DataRequired("Please type your password, so we know it's really you."), Length(max=1000)])


class WelcomerForm(FlaskForm):
    welcomer = BooleanField("Tell me when a newcomer's first thread has had no reply for a while "
                            "(I'd like to welcome them)")
