"""Notification settings: shape only. Each follow's mode arrives as `mode-<follow id>`."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from board.form_choices import choices
from board.following.services import MODE_LABELS
from board.models.following import FOLLOW_MODES

MODE_CHOICES = [(m, MODE_LABELS[m]) for m in FOLLOW_MODES]
FOLLOW_CHOICES = [*MODE_CHOICES, ("off", "Stop following")]
FOLLOW_VALUES = {value for value, _ in FOLLOW_CHOICES}


class NotificationSettingsForm(FlaskForm):
    default_mode = RadioField("When I follow something new (including threads I post in)", choices=choices(MODE_CHOICES),
                              default="each")
    mail_paused = BooleanField("Pause all notification emails (you'll still see everything in your notifications)")

    def follow_modes(self, formdata, follow_ids) -> tuple[dict[int, str], list[int]]:
        """{follow id: chosen mode} for the follows shown, and the ids with an unknown value."""
        modes, bad = {}, []
        for fid in follow_ids:
            value = formdata.get(f"mode-{fid}")
            if value is None:
                continue
            if value not in FOLLOW_VALUES:
                bad.append(fid)
            else:
                modes[fid] = value
        return modes, bad
