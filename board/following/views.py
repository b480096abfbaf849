"""Follow / unfollow, notification settings, muting, and unsubscribe links. Thin views."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from board.auth.views import safe_next
from board.domain import RuleViolation
from board.extensions import csrf, db
from board.following import bp, services
from board.following.forms import FOLLOW_CHOICES, NotificationSettingsForm
from board.models import Thread, Topic, User
from board.visibility import can_see_thread, can_see_topic


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or default)


@bp.post("/threads/<int:thread_id>/follow")
@login_required
def follow_thread(thread_id: int):
    thread = db.get_or_404(Thread, thread_id)
    if not can_see_thread(current_user, thread):
        abort(404)
    followed = services.toggle_follow(current_user, thread=thread)
    db.session.commit()
    if followed:
        flash(f"You're following “{thread.title}”. You can choose how you hear about it in your "
              "notification settings.", "success")
    else:
        flash(f"You've stopped following “{thread.title}”.", "info")
    return _back(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))


@bp.post("/topics/<slug>/follow")
@login_required
def follow_topic(slug: str):
    topic = db.one_or_404(select(Topic).where(Topic.slug == slug))
    if not can_see_topic(current_user, topic):
        abort(404)
    followed = services.toggle_follow(current_user, topic=topic)
    db.session.commit()
    if followed:
        flash(f"You're following {topic.title}: you'll hear about new threads there.", "success")
    else:
        flash(f"You've stopped following {topic.title}.", "info")
    return _back(url_for("forum.topic", slug=topic.slug))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    follows = services.follows_of(current_user)
    current = services.settings_for(current_user)
    form = NotificationSettingsForm()
    bad: list[int] = []
    if request.method == "GET":
        form.default_mode.data = current.default_mode if current else services.DEFAULT_MODE
        form.mail_paused.data = bool(current and current.mail_paused)
    elif form.validate_on_submit():
        modes, bad = form.follow_modes(request.form, [f.id for f in follows])
        if not bad:
            try:
                services.update_settings(current_user, default=form.default_mode.data,
                                         mail_paused=form.mail_paused.data, modes=modes)
            except RuleViolation as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                db.session.commit()
                flash("Your notification settings are saved.", "success")
                return redirect(url_for(".settings"))
        else:
            form.form_errors.append("Please choose one of the options for each thread or topic you follow.")
    code = 400 if request.method == "POST" else 200
    return render_template(
        "following/settings.html", form=form, follows=follows,
        visible=services.visible_follow_ids(current_user, follows), mutes=services.mutes_of(current_user),
        choices=FOLLOW_CHOICES, bad=set(bad), chosen=request.form if request.method == "POST" else {},
        noindex=True,
    ), code


@bp.post("/users/<username>/mute")
@login_required
def mute(username: str):
    other = db.session.scalar(select(User).where(User.username == username.lower()))
    if other is None or other.deleted_at is not None:
        abort(404)
    try:
        muted = services.toggle_mute(current_user, other)
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if muted:
            flash(f"You've muted {other.public_name}. Their posts are folded away for you and they won't "
                  "cause you any notifications or emails. They aren't told.", "success")
        else:
            flash(f"You've unmuted {other.public_name}.", "info")
    return _back(url_for("auth.profile", username=other.username))


# ---------------------------------------------------------------- unsubscribe (no login needed)

@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """Shows what the link stops and a button: fetching the link (mail scanners do) changes nothing."""
    found = services.read_token(token)
    if found is None:
        return render_template("following/unsubscribe.html", found=None, token=token, noindex=True), 404
    return render_template("following/unsubscribe.html", found=found, token=token, done=False, noindex=True)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token is the proof; RFC 8058 one-click POSTs come without a session
def unsubscribe_confirm(token: str):
    found = services.read_token(token)
    if found is None:
        return render_template("following/unsubscribe.html", found=None, token=token, noindex=True), 404
    services.apply_unsubscribe(found)
    db.session.commit()
    return render_template("following/unsubscribe.html", found=found, token=token, done=True, noindex=True)


@bp.app_template_global()
def topic_follow_mode(topic: Topic) -> str | None:
    """For the topic page's Follow button: one query, only for logged-in members."""
    if not current_user.is_authenticated:
        return None
    item = services.find_follow(current_user, topic=topic)
    return item.mode if item else None


@bp.app_template_global()
def has_muted(other) -> bool:
    """For the profile page's Mute button."""
    return services.is_muted(current_user, other)
