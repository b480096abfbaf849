"""Forum forms: shape only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from board.form_fields import TextAreaField
from board.limits import POST_BODY_MAX, POST_TITLE_MAX

BODY_HINT = f"Markdown works: *italic*, **bold**, > quotes, - lists and links. Up to {POST_BODY_MAX:,} characters."


class ThreadForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Please give your thread a title."),
        Length(min=5, max=POST_TITLE_MAX, message=f"Titles are 5 to {POST_TITLE_MAX} characters."),
    ])
    body = TextAreaField("Your message", validators=[
        DataRequired("Please write something before posting."),
        Length(max=POST_BODY_MAX, message=f"Please keep your post to {POST_BODY_MAX:,} characters or fewer."),
    ])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[
        DataRequired("Please write something before posting."),
        Length(max=POST_BODY_MAX, message=f"Please keep your reply to {POST_BODY_MAX:,} characters or fewer."),
    ])


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[
        Length(max=POST_TITLE_MAX, message=f"Titles are 5 to {POST_TITLE_MAX} characters."),
    ])
    body = TextAreaField("Your message", validators=[
        DataRequired("Please write something before saving."),
        Length(max=POST_BODY_MAX, message=f"Please keep your post to {POST_BODY_MAX:,} characters or fewer."),
    ])
