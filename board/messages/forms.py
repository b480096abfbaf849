"""Message forms: shape only (lengths, required, choices). Rules live in services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from board.form_choices import choices
from board.messages.services import BODY_MAX

BODY_HINT = ("Only the people in this conversation can read it. You can use Markdown: **bold**, *italic*, "
             "links, lists.")
WHO_CHOICES = [
    ("members", "Anyone who has been a member for a while (the default)"),
    ("known", "Only people I've talked with before"),
    ("moderators", "Nobody except the moderators"),
]
MAIL_CHOICES = [
    ("each", "Email me about each new message"),
    ("daily", "A daily summary email"),
    ("never", "Never email me about messages (I'll see them on Circle)"),
]
TOO_LONG = f"Please keep a message to {BODY_MAX:,} characters or fewer."


class MessageForm(FlaskForm):
    body = TextAreaField("Your message", validators=[
        DataRequired("Please write a message before sending."), Length(max=BODY_MAX, message=TOO_LONG)])


class NewConversationForm(MessageForm):
    to = StringField("To (usernames, separated by commas; up to 5 people)", validators=[
        DataRequired("Please say who the message is for."), Length(max=200, message="That's too many names.")])


class OutreachForm(MessageForm):
    body = TextAreaField("Your message (the member sees it from “Circle moderators”)", validators=[
        DataRequired("Please write a message before sending."), Length(max=BODY_MAX, message=TOO_LONG)])


class MessageSettingsForm(FlaskForm):
    who_may_write = RadioField("Who may start a conversation with me", choices=choices(WHO_CHOICES),
                               validators=[InputRequired("Please choose who may write to you.")])
    mail_mode = RadioField("Emails about new messages (they never include what people wrote)",
                           choices=choices(MAIL_CHOICES),
                           validators=[InputRequired("Please choose how you hear about new messages.")])
