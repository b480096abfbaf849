"""Forum forms: shape only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

BODY_HINT = "Markdown works: *italic*, **bold**, > quotes, - lists and links. Up to 20,000 characters."


class ThreadForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Please give your thread a title."),
        Length(min=5, max=150, message="Titles are 5 to 150 characters."),
    ])
    body = TextAreaField("Your message", validators=[
        DataRequired("Please write something before posting."),
        Length(max=20_000, message="Please keep your post to 20,000 characters or fewer."),
    ])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[
        DataRequired("Please write something before posting."),
        Length(max=20_000, message="Please keep your reply to 20,000 characters or fewer."),
    ])


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=150, message="Titles are 5 to 150 characters.")])
    body = TextAreaField("Your message", validators=[
        DataRequired("Please write something before saving."),
        Length(max=20_000, message="Please keep your post to 20,000 characters or fewer."),
    ])
