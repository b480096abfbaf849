"""Reactions, bookmarks and drafts. Thin views: load, one service call, commit once, go back.

Every POST works as a plain form (then a redirect back to where the member was) and,
when static/js/gestures.js sends it with `Accept: application/json`, answers JSON so
the page updates in place.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from board.auth.views import safe_next
from board.domain import RuleViolation
from board.errors import render_error
from board.extensions import db, limiter
from board.gestures import bp, services
from board.gestures.reactions import REACTIONS
from board.ids import parse_id
from board.models import Post, Story, Thread
from board.permissions import PermissionDenied
from board.security import member_key
from board.visibility import can_see_thread, post_text_visible


# Gestures are quick and many (autosave every few seconds at most), but not a flood:
# 120 a minute per member for reactions, bookmarks and drafts together.
GESTURES_PER_MEMBER = "120/minute"
gesture_limit = limiter.shared_limit(GESTURES_PER_MEMBER, scope="gesture", key_func=member_key, methods=["POST"])


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _back(default: str, anchor: str = "") -> str:
    """Where the member was (`next`, a local path), at `anchor` if given (else next's own)."""
    target = safe_next(request.form.get("next")) or default
    return target.split("#", 1)[0] + anchor if anchor else target


def _post_or_404(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    if not can_see_thread(current_user, post.thread) or not post_text_visible(current_user, post):
        abort(404)
    return post


def _story_or_404(story_id: int) -> Story:
    story = db.get_or_404(Story, story_id)
    if story.status != "published":
        abort(404)
    return story


# ================================================================ reactions

def _react(target: services.Target, obj, back: str, anchor: str):
    state = request.form.get("state")
    want = {"on": True, "off": False}.get(state)
    kind = request.form.get("reaction")
    try:
        result = services.react(current_user, target, obj, kind, want)
    except RuleViolation as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, message=exc.message), 400
        return render_error(400, exc.message)
    except services.NotFound:
        db.session.rollback()
        abort(404)
    except PermissionDenied as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, message=exc.message), 403
        flash(exc.message, "info")
        return redirect(_back(back, anchor), code=303)
    db.session.commit()
    reaction = REACTIONS[result.kind]
    if _wants_json():
        return jsonify(
            ok=True, reaction=result.kind, reacted=result.reacted, counts=result.counts,
            phrases={k: (REACTIONS[k].count_phrase(n) if n else "") for k, n in result.counts.items()},
            message=(f"You sent “{reaction.label}”." if result.reacted else f"You took back “{reaction.label}”."),
        )
    return redirect(_back(back, anchor), code=303)


@bp.post("/posts/<int:post_id>/react")
@gesture_limit
@login_required
def react_post(post_id: int):
    post = _post_or_404(post_id)
    return _react(services.POST, post, f"/posts/{post.id}", f"#post-{post.id}")


@bp.post("/stories/<int:story_id>/react")
@gesture_limit
@login_required
def react_story(story_id: int):
    story = _story_or_404(story_id)
    return _react(services.STORY, story, f"/stories/{story.id}", "#reactions")


@bp.get("/posts/<int:post_id>/reactions")
@login_required
def post_reactions(post_id: int):
    post = _post_or_404(post_id)
    if post.status != "published":
        abort(404)
    return render_template(
        "gestures/who_reacted.html", who=services.who_reacted(services.POST, post), reactions=REACTIONS,
        what=f"a post in “{post.thread.title}”", back=url_for("forum.post_permalink", post_id=post.id), noindex=True,
    )


@bp.get("/stories/<int:story_id>/reactions")
@login_required
def story_reactions(story_id: int):
    story = _story_or_404(story_id)
    return render_template(
        "gestures/who_reacted.html", who=services.who_reacted(services.STORY, story), reactions=REACTIONS,
        what=f"the story “{story.title}”" if story.title else "a member's story",
        back=url_for("stories.story", story_id=story.id), noindex=True,
    )


# ================================================================ bookmarks

def _bookmark(kind: str, obj, back: str, anchor: str = ""):
    note = request.form.get("note")
    keep = request.form.get("action") == "note"
    try:
        mark = services.toggle_bookmark(current_user, kind, obj, note=note, keep=keep)
    except services.NotFound:
        db.session.rollback()
        abort(404)
    except RuleViolation as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, message=exc.message), 400
        return render_error(400, exc.message, kept_text=note)
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True, bookmarked=mark is not None,
                       message="Bookmarked. Find it again under Bookmarks." if mark else "Bookmark removed.")
    if keep:
        flash("Your note is saved.", "success")
    elif mark is not None:
        flash("Bookmarked. You'll find it under Bookmarks.", "success")
    else:
        flash("Bookmark removed.", "info")
    return redirect(_back(back, anchor), code=303)


@bp.post("/posts/<int:post_id>/bookmark")
@gesture_limit
@login_required
def bookmark_post(post_id: int):
    post = db.get_or_404(Post, post_id)
    return _bookmark("post", post, f"/posts/{post.id}", f"#post-{post.id}")


@bp.post("/threads/<int:thread_id>/bookmark")
@gesture_limit
@login_required
def bookmark_thread(thread_id: int):
    thread = db.get_or_404(Thread, thread_id)
    return _bookmark("thread", thread, f"/threads/{thread.id}")


@bp.post("/stories/<int:story_id>/bookmark")
@gesture_limit
@login_required
def bookmark_story(story_id: int):
    story = db.get_or_404(Story, story_id)
    return _bookmark("story", story, f"/stories/{story.id}")


@bp.get("/bookmarks")
@login_required
def bookmarks():
    return render_template("gestures/bookmarks.html", items=services.bookmarks_of(current_user), noindex=True)


# ================================================================ drafts

@bp.post("/drafts/save")
@gesture_limit
@login_required
def save_draft():
    """Autosave (JSON, from gestures.js) and the "Save draft" button of pages without JavaScript."""
    key = request.form.get("place", "")
    reply_to = parse_id(request.form.get("reply_to") or "") if request.form.get("reply_to") else None
    try:
        draft = services.save_draft(current_user, key, title=request.form.get("title", ""),
                                    body=request.form.get("body", ""), reply_to_id=reply_to)
    except services.NotFound:
        db.session.rollback()
        abort(404)
    except RuleViolation as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify(ok=False, message=exc.message), 400
        return render_error(400, exc.message)  # the error page shows the member's text back
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True, saved=draft is not None,
                       message="Draft saved." if draft is not None else "Nothing to save.")
    flash("Your draft is saved. It will be here when you come back, on any device." if draft is not None
          else "There was nothing to save yet.", "success")
    place = services.resolve_place(current_user, key)
    return redirect(_back(place.url), code=303)


@bp.get("/drafts")
@login_required
def drafts():
    return render_template("gestures/drafts.html", drafts=services.drafts_of(current_user),
                           days=services.DRAFT_DAYS, noindex=True)


@bp.post("/drafts/<int:draft_id>/delete")
@login_required
def delete_draft(draft_id: int):
    try:
        services.delete_draft(current_user, draft_id)
    except services.NotFound:
        abort(404)
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True)
    flash("Draft deleted.", "info")
    return redirect(url_for(".drafts"), code=303)
