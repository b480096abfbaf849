"""Moderation forms: shape only (lengths, required, choices). Rules live in services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from board.form_choices import choices
from board.form_fields import TextAreaField
from board.limits import NOTE_MAX, POST_BODY_MAX, POST_TITLE_MAX
from board.models.moderation import REPORT_REASONS, WORD_ACTIONS


class ReportForm(FlaskForm):
    reason = RadioField("What is the problem?", choices=choices(REPORT_REASONS.items()),
                        validators=[InputRequired("Please choose one of the reasons.")])
    note = TextAreaField("Anything the moderators should know? (optional; required for “Other”)", validators=[
        Optional(), Length(max=NOTE_MAX, message="Please keep the note to 1,000 characters or fewer."),
    ])


class NoteForm(FlaskForm):
    """Approve, dismiss, remove: an optional note (for the log, or the author on removal)."""

    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=NOTE_MAX)])


class RejectForm(FlaskForm):
    reason = SelectField("Reason the author will read", coerce=str, validators=[Optional()])
    note = TextAreaField("A personal note to the author (optional)", validators=[
        Optional(), Length(max=NOTE_MAX, message="Please keep the note to 1,000 characters or fewer."),
    ])


class RemoveForm(FlaskForm):
    """Removing needs a reason the author reads: a canned one, your own words, or both (the service checks)."""
    reason = SelectField("Why it is removed (the author reads this)", coerce=str, validators=[Optional()])
    note = TextAreaField("In your own words, to the author", validators=[
        Optional(), Length(max=NOTE_MAX, message="Please keep the note to 1,000 characters or fewer."),
    ])


class EditApproveForm(FlaskForm):
    title = StringField("Thread title", validators=[Optional(), Length(max=POST_TITLE_MAX)])
    body = TextAreaField("Text as it will be published", validators=[
        DataRequired("The text can't be empty."), Length(max=POST_BODY_MAX),
    ])
    note = StringField("What you changed (the author is told)", validators=[Optional(), Length(max=300)])


class BulkForm(FlaskForm):
    action = SelectField("With the selected items", choices=choices([("approve", "Approve"), ("reject", "Return to author")]))
    # No `required` on selects whose every option is a real choice (HTML forbids it); the choice is still checked.
    reason = SelectField("Reason (when returning)", coerce=str, validators=[Optional()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=NOTE_MAX)])


class WordForm(FlaskForm):
    phrase = StringField("Word or phrase", validators=[
        DataRequired("Please enter a word or phrase."), Length(max=200)])
    action = SelectField("What happens", choices=choices([
        ("block", "Block: refused with a message"), ("review", "Review: held for a moderator"),
        ("flag", "Flag: published and queued"),
        ("crisis", "Crisis: published, the author sees where to get help, urgent for moderators"),
    ]))


class WordActionForm(FlaskForm):
    action = SelectField("Action", choices=choices((a, a.capitalize()) for a in WORD_ACTIONS))


class ReasonForm(FlaskForm):
    title = StringField("Title (moderators see this)", validators=[DataRequired("Please give it a title."),
                                                                     Length(max=120)])
    text = TextAreaField("Text (the author reads this)", validators=[DataRequired("Please write the text."),
                                                                      Length(max=NOTE_MAX)])


class ThreadMoveForm(FlaskForm):
    topic = SelectField("Move to topic", coerce=int)  # every option is a topic: no `required` (HTML forbids it)
    reason = StringField("Reason (optional, for the log)", validators=[Optional(), Length(max=300)])


class ThreadRenameForm(FlaskForm):
    title = StringField("New title", validators=[DataRequired("Please give a title."),
                                                 Length(min=5, max=150, message="Titles are 5 to 150 characters.")])
    reason = StringField("Reason (optional, for the log)", validators=[Optional(), Length(max=300)])


class MemberActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason (the member reads this)", validators=[Optional(), Length(max=NOTE_MAX)])
    days = SelectField("For how long", coerce=str, validators=[Optional()], validate_choice=False)
    level = SelectField("Trust level", choices=choices([("0", "0 — new (posts reviewed)"), ("1", "1 — member"),
                                                          ("2", "2 — established")]),
                        validators=[Optional()], validate_choice=False)
