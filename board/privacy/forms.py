"""Privacy forms: shape only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired, Length

from board.form_choices import choices
from board.form_fields import TextAreaField

DELETE_CHOICES = [
    ("remove", "Remove my posts and stories. Replies other people wrote stay, and show that a post was removed."),
    ("keep", "Keep my posts and stories for others to read, signed “a former member”."),
]


class ExportForm(FlaskForm):
    """A button only (CSRF token)."""


class DeleteAccountForm(FlaskForm):
    mode = RadioField("What should happen to your posts and stories?", choices=choices(DELETE_CHOICES),
                      validate_choice=True,
                      validators=[InputRequired("Please choose what should happen to your posts and stories.")])
    password = PasswordField("Your password", validators=[
        DataRequired("Please enter your password to confirm."), Length(max=1000)])


class MemorialForm(FlaskForm):
    note = TextAreaField("Note for the audit log", validators=[
        DataRequired("Please add a note: who asked, and how."), Length(max=2000)])
    remove_content = BooleanField("The family asked for their posts and stories to be removed")


class MembersOnlyForm(FlaskForm):
    members_only = RadioField("Who can see this topic?", choices=choices([
        ("on", "Logged-in members only"), ("off", "Everyone")]), validate_choice=True,
        validators=[InputRequired("Please choose who can see this topic.")])
