"""Diagnosis profile form: shape only. Every choice list is validated, so an unknown value is a form error."""
from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from board.form_choices import choices
from board.profile.choices import AUDIENCE_LABELS, ORIGINS, SPREAD, SUBTYPES, TREATMENTS

NOT_SAYING = [("", "I'd rather not say")]
AUDIENCES = list(AUDIENCE_LABELS.items())


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _audience(label: str) -> RadioField:
    return RadioField(label, choices=choices(AUDIENCES), default="me", validate_choice=True)


class DiagnosisForm(FlaskForm):
    subtype = RadioField("Subtype", choices=choices(NOT_SAYING + list(SUBTYPES.items())), default="", validate_choice=True)
    subtype_audience = _audience("Who can see your subtype?")
    spread = CheckboxesField("Where it has spread", choices=choices(SPREAD.items()), validate_choice=True)
    spread_audience = _audience("Who can see where it has spread?")
    treatment = RadioField("Current treatment", choices=choices(NOT_SAYING + list(TREATMENTS.items())), default="",
                           validate_choice=True)
    treatment_audience = _audience("Who can see your current treatment?")
    origin = RadioField("How it was found", choices=choices(NOT_SAYING + list(ORIGINS.items())), default="",
                        validate_choice=True)
    origin_audience = _audience("Who can see how it was found?")
    year = StringField("Year of diagnosis", validators=[
        Optional(), Length(max=4, message="Please give the year as four digits, like 2024."),
        Regexp(r"^\d{4}$", message="Please give the year as four digits, like 2024."),
    ])
    year_audience = _audience("Who can see your year of diagnosis?")

    def validate_year(self, field):
        from wtforms.validators import ValidationError

        from board.profile.choices import EARLIEST_YEAR

        if field.data and field.data.isdigit():
            year = int(field.data)
            if not EARLIEST_YEAR <= year <= datetime.now(UTC).year:
                raise ValidationError(f"Please give a year between {EARLIEST_YEAR} and {datetime.now(UTC).year}.")
