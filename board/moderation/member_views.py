"""Moderators' pages for members (warn, silence, suspend, trust) and the audit log."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from board.domain import RuleViolation
from board.errors import render_error
from board.extensions import db
from board.models import User
from board.moderation import bp, sanctions
from board.moderation.audit import ACTION_LABELS, log_entries, staff_members
from board.moderation.forms import MemberActionForm
from board.moderation.queue import author_histories, author_recent_posts, user_sanctions
from board.moderation.view_helpers import int_arg
from board.permissions import PermissionDenied, can_moderate_user, moderator_required


# ================================================================ members

def _member_or_404(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


def _render_member(user: User, form=None, code: int = 200):
    form = form or MemberActionForm(formdata=None)
    return render_template(
        "moderation/member.html", user=user, form=form, sanctions=user_sanctions(user.id),
        recent_posts=author_recent_posts(user.id),
        history=author_histories([user.id]).get(user.id),
        may_act=can_moderate_user(current_user, user), silence_days=sanctions.SILENCE_DAYS,
        suspend_days=sanctions.SUSPEND_DAYS, noindex=True,
    ), code


@bp.route("/users/<username>/moderate", methods=["GET", "POST"])
@moderator_required
def moderate_user(username: str):
    user = _member_or_404(username)
    if request.method == "GET":
        return _render_member(user)
    form = MemberActionForm()
    if not form.validate_on_submit():
        return _render_member(user, form, 400)
    action = form.action.data
    reason = form.reason.data or ""
    try:
        if action == "warn":
            sanctions.warn(current_user, user, reason)
            message = "Warning sent."
        elif action == "silence":
            days = int(form.days.data) if (form.days.data or "").isdigit() else 0
            sanctions.silence(current_user, user, days, reason)
            message = f"{user.public_name} is silenced for {days} day{'s' if days != 1 else ''}."
        elif action == "suspend":
            days = None if form.days.data == "indefinite" else (
                int(form.days.data) if (form.days.data or "").isdigit() else -1)
            sanctions.suspend(current_user, user, days, reason)
            message = f"{user.public_name} is suspended; their sessions have ended."
        elif action == "lift_silence":
            sanctions.lift(current_user, user, "silence", reason)
            message = "Silence lifted."
        elif action == "lift_suspension":
            sanctions.lift(current_user, user, "suspend", reason)
            message = "Suspension lifted."
        elif action == "set_trust":
            level = int(form.level.data) if (form.level.data or "") in ("0", "1", "2") else -1
            sanctions.set_trust(current_user, user, level, reason)
            message = f"Trust level set to {level}."
        else:
            abort(400)
    except PermissionDenied as exc:
        db.session.rollback()
        return render_error(403, exc.message)
    except RuleViolation as exc:
        db.session.rollback()
        user = _member_or_404(username)
        form.form_errors.append(exc.message)  # the page's inputs are plain, one form per action
        return _render_member(user, form, 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".moderate_user", username=user.username))


# ================================================================ the audit log

@bp.get("/moderation/log")
@moderator_required
def log():
    moderator_name = (request.args.get("moderator") or "").strip().lower()
    member_name = (request.args.get("member") or "").strip().lower()
    action = request.args.get("action") or None
    if action and action not in ACTION_LABELS:
        abort(404)
    moderator = member = None
    missing = []
    if moderator_name:
        moderator = db.session.scalar(select(User).where(User.username == moderator_name))
        missing += [] if moderator else [moderator_name]
    if member_name:
        member = db.session.scalar(select(User).where(User.username == member_name))
        missing += [] if member else [member_name]
    entries = [] if missing else log_entries(
        moderator_id=moderator.id if moderator else None, user_id=member.id if member else None, action=action,
        before_id=int_arg("before"),
    )
    next_before = entries[-1].id if len(entries) == 50 else None
    return render_template(
        "moderation/log.html", entries=entries, staff=staff_members(), action_labels=ACTION_LABELS,
        moderator_name=moderator_name, member_name=member_name, action=action, missing=missing,
        next_before=next_before, noindex=True,
    )
