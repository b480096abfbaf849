"""/moderation/health: the community-health dashboard (moderators and admins), and the
admins' nudge settings. Thin: board/moderation/health.py computes everything."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from board.extensions import db
from board.moderation import bp, health
from board.permissions import admin_required, moderator_required


class HealthSettingsForm(FlaskForm):
    nudge_hours = IntegerField("Hours before a newcomer's unanswered first thread is flagged", validators=[
        InputRequired("Please give a number of hours."), NumberRange(1, 168, "Between 1 and 168 hours, please.")])
    announce_to_welcomers = BooleanField("Also tell the members who offered to welcome newcomers (in-app notification)")


def _page(form=None, code=200):
    figures = health.dashboard(max_age=float(current_app.config.get("BOARD_HEALTH_CACHE_SECONDS", 60)))
    if form is None:
        form = HealthSettingsForm()
        current = health.settings()
        form.nudge_hours.data = current.nudge_hours
        form.announce_to_welcomers.data = current.announce_to_welcomers
    return render_template("moderation/health.html", h=figures, form=form, noindex=True), code


@bp.get("/moderation/health")
@moderator_required
def health_dashboard():
    return _page()


@bp.post("/moderation/health/settings")
@admin_required
def health_settings():
    form = HealthSettingsForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    health.save_settings(current_user, nudge_hours=form.nudge_hours.data,
                         announce=bool(form.announce_to_welcomers.data))
    db.session.commit()
    health.forget_cache()
    flash("The newcomer nudge settings are saved.", "success")
    return redirect(url_for("moderation.health_dashboard"))
