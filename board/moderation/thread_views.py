"""Moderators' pages for threads (lock, pin, move, rename) and featured stories."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.form_choices import choices
from board.models import Story, Thread, Topic
from board.moderation import bp, threads
from board.moderation.forms import ThreadMoveForm, ThreadRenameForm
from board.moderation.view_helpers import unique_ids
from board.permissions import PermissionDenied, moderator_required


# ================================================================ threads

def _thread_or_404(thread_id: int) -> Thread:
    return db.get_or_404(Thread, thread_id)


def _thread_toggle(thread_id: int, fn, message: str):
    thread = _thread_or_404(thread_id)
    fn(thread)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))


@bp.post("/moderation/stories/<int:story_id>/feature")
@moderator_required
def feature_story(story_id: int):
    """Feature or stop featuring a published story (form field `featured`: 1 or 0)."""
    story = db.get_or_404(Story, story_id)
    featured = request.form.get("featured", "1") != "0"
    try:
        threads.feature_story(story, current_user, featured)
    except (PermissionDenied, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("The story is now featured." if featured else "The story is no longer featured.", "success")
    return redirect(url_for("stories.story", story_id=story.id))


@bp.post("/moderation/threads/<int:thread_id>/lock")
@moderator_required
def lock_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: threads.set_locked(t, current_user, True), "Thread locked.")


@bp.post("/moderation/threads/<int:thread_id>/unlock")
@moderator_required
def unlock_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: threads.set_locked(t, current_user, False), "Thread unlocked.")


@bp.post("/moderation/threads/<int:thread_id>/pin")
@moderator_required
def pin_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: threads.set_pinned(t, current_user, True), "Thread pinned.")


@bp.post("/moderation/threads/<int:thread_id>/unpin")
@moderator_required
def unpin_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: threads.set_pinned(t, current_user, False), "Thread unpinned.")


def _thread_forms(thread: Thread, move_form=None, rename_form=None):
    topics = list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))
    move_form = move_form or ThreadMoveForm(formdata=None, topic=thread.topic_id)
    move_form.topic.choices = choices((t.id, t.title) for t in topics)
    rename_form = rename_form or ThreadRenameForm(formdata=None, title=thread.title)
    return unique_ids(move_form, "move"), unique_ids(rename_form, "rename")


@bp.get("/moderation/threads/<int:thread_id>")
@moderator_required
def manage_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread)
    return render_template("moderation/thread.html", thread=thread, move_form=move_form, rename_form=rename_form,
                           noindex=True)


@bp.post("/moderation/threads/<int:thread_id>/move")
@moderator_required
def move_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread, move_form=ThreadMoveForm())
    if not move_form.validate_on_submit():
        return render_template("moderation/thread.html", thread=thread, move_form=move_form,
                               rename_form=rename_form, noindex=True), 400
    topic = db.get_or_404(Topic, move_form.topic.data)
    threads.move_thread(thread, current_user, topic, move_form.reason.data or "")
    db.session.commit()
    flash(f"Thread moved to “{topic.title}”.", "success")
    return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))


@bp.post("/moderation/threads/<int:thread_id>/rename")
@moderator_required
def rename_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread, rename_form=ThreadRenameForm())
    if rename_form.validate_on_submit():
        try:
            threads.rename_thread(thread, current_user, rename_form.title.data, rename_form.reason.data or "")
        except RuleViolation as exc:
            db.session.rollback()
            rename_form.title.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Thread renamed.", "success")
            return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))
    return render_template("moderation/thread.html", thread=thread, move_form=move_form, rename_form=rename_form,
                           noindex=True), 400
