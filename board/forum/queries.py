"""Read side of the forum: listings with keyset pagination and a fixed number of queries."""
from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, bindparam, select, tuple_
from sqlalchemy.orm import aliased, joinedload

from board.extensions import db
from board.models import Post, Thread, Topic, User
from board.models.user import IDENTITIES
from board.visibility import thread_posts_audience, thread_posts_rule, visible_threads, visible_topics


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


class AuthorView:
    """The few author fields a thread page shows (read-only; see PostView)."""

    __slots__ = ("id", "username", "display_name", "identity", "role", "deleted_at", "memorial_at", "avatar_media")

    def __init__(self, id, username, display_name, identity, role, deleted_at, memorial_at, avatar_media=None):
        self.id, self.username, self.display_name, self.identity = id, username, display_name, identity
        self.role, self.deleted_at, self.memorial_at = role, deleted_at, memorial_at
        self.avatar_media = avatar_media  # the approved profile picture (board/media/avatars.py)

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def identity_label(self) -> str:
        return IDENTITIES.get(self.identity, "")


class PostView:
    """A post as a thread page shows it, built from plain rows.

    The thread page is the hottest page on the site; building 25 ORM objects and
    their authors costs about twice as much as reading the same columns, and the
    page never changes them. Services still work on real `Post` objects.
    """

    __slots__ = ("id", "thread_id", "author_id", "body_html", "status", "is_first", "created_at", "edited_at",
                 "moderator_note", "author", "thread", "reaction_counts", "reply_to_id", "reply_to_name",
                 "reply_to_status")

    def __init__(self, row, author, thread):
        (self.id, self.thread_id, self.author_id, self.body_html, self.status, self.is_first, self.created_at,
         self.edited_at, self.moderator_note) = row[:9]
        self.author = author
        self.thread = thread
        # The shared part of the gestures: counts, read with the post (board/gestures/render.py)
        self.reaction_counts = row[16:21]  # in REACTION_KINDS order
        # "in reply to NAME": the answered post's id, its author's public name and its status
        self.reply_to_id = row[21]
        self.reply_to_name = None
        if row[21] is not None:
            if row[22] is None or row[24] is not None:
                self.reply_to_name = "a former member"
            else:
                self.reply_to_name = row[23] or row[22]
        self.reply_to_status = row[25]


_POST_COLUMNS = (Post.id, Post.thread_id, Post.author_id, Post.body_html, Post.status, Post.is_first,
                 Post.created_at, Post.edited_at, Post.moderator_note)
_AUTHOR_COLUMNS = (User.id, User.username, User.display_name, User.identity, User.role, User.deleted_at,
                   User.memorial_at)
_ReplyTo = aliased(Post, name="reply_to")
_ReplyAuthor = aliased(User, name="reply_author")
# Reaction counts (denormalised on the post, in REACTION_KINDS order) and the answered post's author, for "in reply to NAME"
_GESTURE_COLUMNS = (Post.react_love, Post.react_hugs, Post.react_thinking, Post.react_helped, Post.react_strength,
                    Post.reply_to_id, _ReplyAuthor.username, _ReplyAuthor.display_name, _ReplyAuthor.deleted_at,
                    _ReplyTo.status)


def _post_views(rows, thread: Thread) -> list[PostView]:
    authors: dict[int, AuthorView] = {}
    views = []
    for row in rows:
        author = None
        if row[9] is not None:
            author = authors.get(row[9])
            if author is None:
                author = authors[row[9]] = AuthorView(*row[9:16], row[26])
        views.append(PostView(row, author, thread))
    return views


# A post id larger than any real one: the "last page" is the page before it.
_NO_UPPER_BOUND = 2**62


@functools.cache
def _thread_posts_stmt(audience: str, newest_first: bool):
    """The thread page's statement for one audience and direction, built once per process.

    Built statements are reused with new parameters (`thread_id`, `bound`, `limit` and, for
    members, `viewer_id`), so each page view skips building the statement and computing its
    cache key. `after`, `from` and the first page are all "id > bound" (ids are integers:
    `from=N` is `id > N - 1`); `before` and the last page are "id < bound". The bound is a
    BIGINT so the last page's sentinel, above any INTEGER id, can be sent (PostgreSQL
    compares the two on the index).
    """
    stmt = (
        select(*_POST_COLUMNS, *_AUTHOR_COLUMNS, *_GESTURE_COLUMNS, User.avatar_media)
        .outerjoin(User, Post.author_id == User.id)
        .outerjoin(_ReplyTo, _ReplyTo.id == Post.reply_to_id)
        .outerjoin(_ReplyAuthor, _ReplyAuthor.id == _ReplyTo.author_id)
        .where(Post.thread_id == bindparam("thread_id"), thread_posts_rule(audience))
    )
    if newest_first:
        stmt = stmt.where(Post.id < bindparam("bound", type_=BigInteger)).order_by(Post.id.desc())
    else:
        stmt = stmt.where(Post.id > bindparam("bound", type_=BigInteger)).order_by(Post.id.asc())
    return stmt.limit(bindparam("limit", type_=Integer))


def thread_posts_page(
    viewer: User | None, thread: Thread, *, after: int | None = None, before: int | None = None,
    start: int | None = None, last: bool = False, per_page: int = 25, shared: bool = False,
) -> PostPage:
    """One page of a thread, oldest first. Keyset on post id (`after`, `before`, `start` inclusive, or `last`).

    One query: the posts and their authors' public fields, as PostView objects. Plain columns,
    so it runs on the session's connection (Core), skipping the ORM's result processing.
    `shared`: the page as every reader of the viewer's audience sees it, without the viewer's
    own pending or returned posts (the shared part of board/forum/shared_parts.py).
    """
    audience, params = thread_posts_audience(viewer)
    if shared and "viewer_id" in params:
        params = {**params, "viewer_id": -1}  # no member has this id: nobody's own posts
    params = {**params, "thread_id": thread.id, "limit": per_page + 1}
    if last or before is not None:
        params["bound"] = before if before is not None else _NO_UPPER_BOUND
        rows = db.session.connection().execute(_thread_posts_stmt(audience, True), params).all()
        has_prev = len(rows) > per_page
        posts = _post_views(reversed(rows[:per_page]), thread)
        return PostPage(posts=posts, has_prev=has_prev, has_next=before is not None)
    if after is not None:
        params["bound"] = after
    elif start is not None:
        params["bound"] = start - 1
    else:
        params["bound"] = 0
    rows = db.session.connection().execute(_thread_posts_stmt(audience, False), params).all()
    has_prev = after is not None or (start is not None and bool(rows) and rows[0][0] != thread.first_post_id)
    return PostPage(posts=_post_views(rows[:per_page], thread), has_prev=has_prev, has_next=len(rows) > per_page)


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


# How many posts to show before a linked post that is neither on the first nor on the last page.
CONTEXT_BEFORE = 3


def page_containing(viewer: User | None, thread: Thread, post_id: int, per_page: int) -> dict:
    """The thread page's arguments that show `post_id` with the posts around it.

    The first page when the post is among the first `per_page` posts the viewer sees (so
    on a short thread the whole conversation, the opening question included, is there);
    the last page when it is among the last ones ("jump to the newest", a new reply); else
    a page starting a few posts before it. Two small keyset queries on (thread_id, id).
    """
    audience, params = thread_posts_audience(viewer)
    rule = thread_posts_rule(audience)
    shown = (Post.thread_id == thread.id, rule)
    before = db.session.execute(
        select(Post.id).where(*shown, Post.id < post_id).order_by(Post.id.desc()).limit(per_page), params
    ).scalars().all()
    if len(before) < per_page:
        return {}
    after = db.session.execute(
        select(Post.id).where(*shown, Post.id > post_id).order_by(Post.id.asc()).limit(per_page), params
    ).scalars().all()
    if len(after) < per_page:
        return {"page": "last"}
    return {"from": before[CONTEXT_BEFORE - 1]}


# ---------------------------------------------------------------- the thread page's viewer

@functools.cache
def _thread_viewer_union():
    """The thread page's two per-viewer reads in one flat UNION ALL: the follow/mutes/counts/own-posts
    selects (board.following) and the reactions/bookmarks/draft selects (board.gestures), each
    row tagged by a `part` column (their `kind` values could otherwise meet). Built once per process."""
    from sqlalchemy import String, Text, cast, literal, null

    from board.following.services import thread_state_selects
    from board.gestures.services import thread_viewer_selects

    state = [q.add_columns(cast(null(), Text).label("body"), literal("s", String).label("part"))
             for q in thread_state_selects()]
    mine = [q.add_columns(literal("g", String).label("part")) for q in thread_viewer_selects()]
    first, *rest = state + mine
    return first.union_all(*rest)


def thread_viewer(viewer, thread: Thread, posts):
    """(ThreadState, ViewerGestures) of a member on a thread page showing `posts`: one query
    (none for a visitor)."""
    from board.following.services import NO_STATE, thread_state_from_rows
    from board.gestures.services import NO_GESTURES, thread_viewer_params, viewer_gestures_from_rows

    if not getattr(viewer, "is_authenticated", False):
        return NO_STATE, NO_GESTURES
    rows = db.session.connection().execute(_thread_viewer_union(), thread_viewer_params(viewer, thread, posts)).all()
    return (thread_state_from_rows((ref, kind) for ref, kind, _, part in rows if part == "s"),
            viewer_gestures_from_rows((ref, kind, body) for ref, kind, body, part in rows if part == "g"))
