"""Care for members in crisis: the kind notice an author sees after writing crisis language."""
from __future__ import annotations

from flask import current_app, has_app_context

from board.extensions import db
from board.models import Post
from board.moderation import rules


def _config(name: str, default):
    if has_app_context():
        return current_app.config.get(name, default)
    return default


def crisis_text() -> str:
    from config import DEFAULT_CRISIS_TEXT

    return _config("BOARD_CRISIS_TEXT", DEFAULT_CRISIS_TEXT) or DEFAULT_CRISIS_TEXT


def needs_crisis_notice(text: str) -> bool:
    return bool(rules.crisis_reasons(text or ""))


def show_crisis_notice(post_id: int) -> None:
    """`circle.after_post` hook: after a post is saved, its author sees the crisis notice if needed."""
    from flask import flash
    from flask_login import current_user

    post = db.session.get(Post, post_id)
    if post is None or not current_user.is_authenticated or post.author_id != current_user.id:
        return
    text = f"{post.thread.title}\n\n{post.body_source}" if post.is_first else post.body_source
    if needs_crisis_notice(text):
        flash(crisis_text(), "crisis")
