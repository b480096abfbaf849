"""Read side of the forum: listings with keyset pagination and a fixed number of queries."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload

from board.extensions import db
from board.models import Post, Thread, Topic, User
from board.visibility import thread_posts, visible_threads, visible_topics


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    prev_cursor: str | None = None


def encode_cursor(*parts) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str, n: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(value) from exc
    parts = raw.split("|")
    if len(parts) != n:
        raise BadCursor(value)
    return parts


def home_topics(viewer: User | None) -> list[Topic]:
    return list(db.session.scalars(
        select(Topic).where(visible_topics(viewer)).options(joinedload(Topic.last_thread)).order_by(Topic.position, Topic.id)
    ))


def topic_threads(viewer: User | None, topic: Topic, cursor: str | None, per_page: int) -> Page:
    """Threads of a topic: pinned first, then latest activity; keyset on (pinned, last_activity_at, id)."""
    stmt = (
        select(Thread)
        .where(Thread.topic_id == topic.id, visible_threads(viewer))
        .options(joinedload(Thread.author), joinedload(Thread.last_poster))
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(per_page + 1)
    )
    if cursor:
        pinned, ts, tid = decode_cursor(cursor, 3)
        try:
            key = (pinned == "1", datetime.fromisoformat(ts), int(tid))
        except ValueError as exc:
            raise BadCursor(cursor) from exc
        stmt = stmt.where(tuple_(Thread.pinned, Thread.last_activity_at, Thread.id) < tuple_(*key))
    rows = list(db.session.scalars(stmt).unique())
    page = Page(items=rows[:per_page])
    if len(rows) > per_page:
        last = page.items[-1]
        page.next_cursor = encode_cursor(int(last.pinned), last.last_activity_at, last.id)
    return page


@dataclass
class PostPage:
    posts: list[Post]
    has_prev: bool
    has_next: bool

    @property
    def first_id(self) -> int | None:
        return self.posts[0].id if self.posts else None

    @property
    def last_id(self) -> int | None:
        return self.posts[-1].id if self.posts else None


def thread_posts_page(
    viewer: User | None, thread: Thread, *, after: int | None = None, before: int | None = None,
    start: int | None = None, last: bool = False, per_page: int = 25,
) -> PostPage:
    """One page of a thread, oldest first. Keyset on post id (`after`, `before`, `start` inclusive, or `last`)."""
    base = (
        select(Post)
        .where(Post.thread_id == thread.id, thread_posts(viewer))
        .options(joinedload(Post.author))
    )
    if last or before is not None:
        stmt = base.order_by(Post.id.desc()).limit(per_page + 1)
        if before is not None:
            stmt = stmt.where(Post.id < before)
        rows = list(db.session.scalars(stmt))
        has_prev = len(rows) > per_page
        posts = list(reversed(rows[:per_page]))
        return PostPage(posts=posts, has_prev=has_prev, has_next=before is not None)
    stmt = base.order_by(Post.id.asc()).limit(per_page + 1)
    if after is not None:
        stmt = stmt.where(Post.id > after)
    elif start is not None:
        stmt = stmt.where(Post.id >= start)
    rows = list(db.session.scalars(stmt))
    has_prev = after is not None or (start is not None and bool(rows) and rows[0].id != thread.first_post_id)
    return PostPage(posts=rows[:per_page], has_prev=has_prev, has_next=len(rows) > per_page)


def latest_threads(viewer: User | None, limit: int = 10) -> list[Thread]:
    from board.visibility import visible_topics as vt

    return list(db.session.scalars(
        select(Thread)
        .join(Topic, Thread.topic_id == Topic.id)
        .where(visible_threads(viewer), vt(viewer))
        .options(joinedload(Thread.topic), joinedload(Thread.last_poster))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(limit)
    ).unique())
