"""Moderator actions on threads (lock, pin, rename, move) and on featured stories; each is audited.

These act on the forum's and the stories' models directly (`board.models`), never
through `board.forum` or `board.stories`, which import moderation.
"""
from __future__ import annotations

from sqlalchemy import select, update

from board.domain import Conflict
from board.extensions import db
from board.models import PUBLISHED, ModerationItem, Post, Story, Thread, Topic, User, utcnow
from board.models.base import as_utc
from board.moderation.audit import audit
from board.permissions import PermissionDenied, is_moderator
from board.titles import clean_title, slugify


def _thread_action(thread: Thread, moderator: User, action: str, **kwargs) -> None:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators can do that.")
    audit(moderator, action, thread=thread, target_user=thread.author, **kwargs)


def feature_story(story: Story, moderator: User, featured: bool) -> None:
    """Feature (or stop featuring) a published story; audited. Not on one's own story."""
    if story.author_id is not None and story.author_id == moderator.id:
        raise PermissionDenied("Moderators can't feature their own stories.")
    if bool(story.featured) == bool(featured):
        return
    if featured and story.status != PUBLISHED:
        raise Conflict("Only published stories can be featured.")
    story.featured = bool(featured)
    story.featured_at = utcnow() if featured else None
    audit(moderator, "feature" if featured else "unfeature", story=story)
    db.session.flush()


def _set_flag(thread: Thread, moderator: User, attr: str, value: bool, verb: str) -> None:
    """Lock/unlock or pin/unpin, audited as `verb` / "un" + verb."""
    if getattr(thread, attr) == value:
        return
    setattr(thread, attr, value)
    _thread_action(thread, moderator, verb if value else "un" + verb)
    db.session.flush()


def set_locked(thread: Thread, moderator: User, locked: bool) -> None:
    _set_flag(thread, moderator, "locked", locked, "lock")


def set_pinned(thread: Thread, moderator: User, pinned: bool) -> None:
    _set_flag(thread, moderator, "pinned", pinned, "pin")


def rename_thread(thread: Thread, moderator: User, title: str, reason: str = "") -> None:
    title = clean_title(title)
    if title == thread.title:
        return
    before = thread.title
    thread.title = title
    thread.slug = slugify(title)
    _thread_action(thread, moderator, "rename", before=before, after=title, reason=reason)
    db.session.flush()


def move_thread(thread: Thread, moderator: User, topic: Topic, reason: str = "") -> None:
    """Move a thread and its counters to another topic."""
    old = thread.topic
    if topic.id == old.id:
        return
    public = thread.status == PUBLISHED
    if public:
        old.thread_count = max(old.thread_count - 1, 0)
        topic.thread_count += 1
    old.post_count = max(old.post_count - thread.post_count, 0)
    topic.post_count += thread.post_count
    thread.topic_id = topic.id
    thread.topic = topic
    db.session.flush()
    if old.last_thread_id == thread.id:
        latest = db.session.execute(
            select(Thread.id, Thread.last_activity_at).where(Thread.topic_id == old.id, Thread.status == PUBLISHED)
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(1)
        ).first()
        old.last_thread_id, old.last_activity_at = (latest if latest else (None, None))
    if public and (topic.last_activity_at is None or as_utc(thread.last_activity_at) >= as_utc(topic.last_activity_at)):
        topic.last_activity_at = thread.last_activity_at
        topic.last_thread_id = thread.id
    db.session.execute(
        update(ModerationItem).where(ModerationItem.content_kind == "post",
                                     ModerationItem.target_id.in_(select(Post.id).where(Post.thread_id == thread.id)))
        .values(topic_id=topic.id).execution_options(synchronize_session=False)
    )
    _thread_action(thread, moderator, "move", before=old.title, after=topic.title, reason=reason,
                   data={"from_topic_id": old.id, "to_topic_id": topic.id})
    db.session.flush()
