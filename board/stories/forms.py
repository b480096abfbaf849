"""Story forms: shape only (lengths, required fields, choices). Rules live in services.py."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from board.form_choices import choices
from board.form_fields import TextAreaField
from board.limits import NOTE_MAX, STORY_BODY_MAX, STORY_TITLE_MAX
from board.markup import clean_line, clean_text
from board.models.moderation import REPORT_REASONS
from board.stories.catalog import PROMPTS, THEMES
from board.stories.signatures import STYLES, normalize_initial

BODY_MIN, BODY_MAX = 50, STORY_BODY_MAX
TITLE_MAX = STORY_TITLE_MAX

BODY_HINT = (
    "Between 50 and 10,000 characters. Markdown works: *italic*, **bold**, > quotes and lists. "
    "Please leave out other people's names and private details."
)
CONSENT_LABEL = (
    "I agree that Circle may publish this story on its public website, where anyone can read it, "
    "signed the way I chose above. I understand I can withdraw it at any time."
)


class StoryForm(FlaskForm):
    title = StringField("Title (optional)", validators=[
        Optional(), Length(max=TITLE_MAX, message=f"Please keep the title to {TITLE_MAX} characters or fewer."),
    ])
    body = TextAreaField("Your story", render_kw={"maxlength": BODY_MAX})  # counted in validate()
    themes = SelectMultipleField(
        "Themes", choices=choices(THEMES.items()), invalid_choice_message="Please choose themes from the list.",
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    prompt = SelectField(
        "Does your story answer one of these questions? (optional)",
        choices=choices([("", "No, it's my own story"), *PROMPTS.items()]),
        invalid_choice_message="Please choose a question from the list.",
    )
    signature = RadioField(
        "How should your story be signed?", choices=choices(STYLES.items()), default="first",
        invalid_choice_message="Please choose how your story should be signed.",
    )
    sig_first_name = StringField("First name", validators=[
        Optional(), Length(max=60, message="Please keep the first name to 60 characters or fewer."),
    ])
    sig_last_initial = StringField("Last initial", validators=[
        Optional(), Length(max=2, message="Just the first letter of your last name, please."),
    ])
    city = StringField("Town or city", validators=[
        Optional(), Length(max=80, message="Please keep the town to 80 characters or fewer."),
    ])
    region = StringField("State, region or country", validators=[
        Optional(), Length(max=80, message="Please keep this to 80 characters or fewer."),
    ])
    consent = BooleanField(CONSENT_LABEL, default=False)
    submit = SubmitField("Send for review")
    save_draft = SubmitField("Save as draft")

    @property
    def drafting(self) -> bool:
        return bool(self.save_draft.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        body = clean_text(self.body.data or "").strip()
        if len(body) > BODY_MAX:
            self.body.errors.append(
                f"Your story is {len(body):,} characters long; the limit is {BODY_MAX:,}. "
                "Please shorten it a little."
            )
            ok = False
        if self.drafting:
            if not body and not clean_line(self.title.data):
                self.body.errors.append("Please write something before saving a draft.")
                ok = False
            return ok
        if len(body) < BODY_MIN:
            self.body.errors.append(
                f"Please write at least {BODY_MIN} characters so readers can follow your story"
                + (f" (you have {len(body)})." if body else ".")
            )
            ok = False
        if not self.themes.data:
            self.themes.errors.append("Please choose at least one theme.")
            ok = False
        style = self.signature.data
        first = clean_line(self.sig_first_name.data)
        if style in ("full", "initial", "first") and not first:
            self.sig_first_name.errors.append(
                "Please give the first name to sign with, or choose another way to sign."
            )
            ok = False
        if style in ("full", "initial") and not normalize_initial(self.sig_last_initial.data):
            self.sig_last_initial.errors.append(
                "Please give your last initial, or choose another way to sign."
            )
            ok = False
        if style == "full" and not (clean_line(self.city.data) or clean_line(self.region.data)):
            self.city.errors.append("Please give your town or state, or choose another way to sign.")
            ok = False
        if not self.consent.data:
            self.consent.errors.append(
                "Please tick the box to agree to your story being published. Your text is kept below."
            )
            ok = False
        return ok


class ReportStoryForm(FlaskForm):
    reason = RadioField(
        "What is wrong with this story?", choices=choices(REPORT_REASONS.items()),
        invalid_choice_message="Please choose the reason that fits best.",
    )
    note = TextAreaField("Anything the moderators should know? (optional)", validators=[
        Optional(), Length(max=NOTE_MAX, message=f"Please keep the note to {NOTE_MAX:,} characters or fewer."),
    ])
