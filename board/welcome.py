"""A newcomer's welcome, right after she confirms her address: choose a display name, say who
she is ("I am…"), point to the optional diagnosis profile, pick topics to follow. Every part
is optional and the whole page can be skipped; either way she then lands on the home page.
`User.welcomed_at` records that the welcome was seen, so it is offered once."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from board.auth import services as account
from board.extensions import db
from board.form_choices import choices
from board.following import services as following
from board.models import Topic, utcnow
from board.models.user import IDENTITIES
from board.visibility import visible_topics

bp = Blueprint("welcome", __name__)


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WelcomeForm(FlaskForm):
    display_name = StringField("Display name", validators=[
        Length(max=60, message="Please keep it to 60 characters or fewer.")])
    identity = SelectField("I am…", choices=choices(IDENTITIES.items()), validate_choice=True, default="")
    topics = _Checkboxes("Topics to follow", coerce=str, validate_choice=True)


def _topics():
    return list(db.session.scalars(select(Topic).where(visible_topics(current_user))
                                   .order_by(Topic.position, Topic.id)))


@bp.route("/welcome", methods=["GET", "POST"])
@login_required
def welcome():
    topics = _topics()
    form = WelcomeForm()
    form.topics.choices = [(t.slug, t.title) for t in topics]
    code = 200
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.identity.data = current_user.identity
    elif request.form.get("skip"):
        current_user.welcomed_at = utcnow()
        db.session.commit()
        flash("Welcome to Circle. You can choose a display name and topics any time in your settings.", "info")
        return redirect(url_for("forum.index"))
    elif form.validate_on_submit():
        try:
            account.update_profile(
                current_user, display_name=form.display_name.data or "", identity=form.identity.data or "",
                city=current_user.city, region=current_user.region, bio=current_user.bio_source or "",
            )
        except account.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field if exc.field in ("display_name", "identity") else "display_name").errors.append(
                exc.message)
            code = 400
        else:
            by_slug = {t.slug: t for t in topics}
            for slug in form.topics.data or []:
                following.follow(current_user, topic=by_slug[slug])
            current_user.welcomed_at = utcnow()
            db.session.commit()
            flash(f"Welcome to Circle, {current_user.public_name}. We're glad you're here.", "success")
            return redirect(url_for("forum.index"))
    else:
        code = 400
    return render_template("welcome.html", form=form, noindex=True), code
