"""Forum business rules: threads, replies, edits, deletion and the counters they move.

Services take the acting user, check rules and permissions, change state,
`flush()` and return. The view commits once.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.following import services as following
from board.limits import POST_BODY_MAX
from board.markup import clean_text, render_markdown
from board.media import services as media
from board.media.gallery import keep_gallery
from board.models import (
    DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Post, PostRevision, Thread, Topic, User, utcnow,
)
from board.moderation import intake as moderation
from board.permissions import PermissionDenied, can_delete_post, can_edit_post, can_reply, require_can_post
from board.titles import clean_title, slugify

BODY_MIN, BODY_MAX = 1, POST_BODY_MAX


def clean_body(body: str | None) -> str:
    body = clean_text(body).strip()
    if len(body) < BODY_MIN:
        raise RuleViolation("Please write something before posting.", "body")
    if len(body) > BODY_MAX:
        raise RuleViolation(
            f"Your post is {len(body):,} characters long; the limit is {BODY_MAX:,}. "
            "Please shorten it or split it into two posts.",
            "body",
        )
    return body


# ---------------------------------------------------------------- counters

def _post_became_public(post: Post) -> None:
    """A post turned published: move the thread, topic and author counters in this transaction."""
    thread = post.thread
    topic = thread.topic
    thread.post_count += 1
    topic.post_count += 1
    if post.author is not None:
        post.author.post_count += 1
    if thread.last_post_id is None or post.id >= thread.last_post_id:
        thread.last_post_id = post.id
        thread.last_poster_id = post.author_id
        thread.last_activity_at = max(thread.last_activity_at, post.created_at) if thread.post_count > 1 else post.created_at
    if post.is_first and thread.status != PUBLISHED:
        _thread_became_public(thread)
    elif thread.status == PUBLISHED:
        _touch_topic(topic, thread)


def _post_left_public(post: Post) -> None:
    thread = post.thread
    thread.post_count = max(thread.post_count - 1, 0)
    thread.topic.post_count = max(thread.topic.post_count - 1, 0)
    if post.author is not None:
        post.author.post_count = max(post.author.post_count - 1, 0)
    if thread.last_post_id == post.id:
        previous = db.session.execute(
            select(Post.id, Post.author_id, Post.created_at)
            .where(Post.thread_id == thread.id, Post.status == PUBLISHED, Post.id != post.id)
            .order_by(Post.id.desc())
            .limit(1)
        ).first()
        if previous is not None:
            thread.last_post_id, thread.last_poster_id, thread.last_activity_at = previous
        else:
            thread.last_post_id = None
            thread.last_poster_id = None


def _thread_became_public(thread: Thread) -> None:
    thread.status = PUBLISHED
    thread.topic.thread_count += 1
    _touch_topic(thread.topic, thread)


def _thread_left_public(thread: Thread, status: str) -> None:
    if thread.status == PUBLISHED:
        thread.topic.thread_count = max(thread.topic.thread_count - 1, 0)
    thread.status = status


def _touch_topic(topic: Topic, thread: Thread) -> None:
    if topic.last_activity_at is None or thread.last_activity_at >= topic.last_activity_at:
        topic.last_activity_at = thread.last_activity_at
        topic.last_thread_id = thread.id


def set_post_status(post: Post, status: str) -> None:
    """The one way a post's status changes; keeps every counter right."""
    if post.status == status:
        return
    was_public = post.status == PUBLISHED
    post.status = status
    post.status_changed_at = utcnow()
    db.session.flush()
    if status == PUBLISHED and not was_public:
        _post_became_public(post)
        following.post_published(post)  # followers and @mentions hear of it once, whatever the path
    elif was_public and status != PUBLISHED:
        _post_left_public(post)
    if post.is_first and status in (PENDING, HIDDEN, REJECTED):
        _thread_left_public(post.thread, status)
    elif post.is_first and status in (DELETED, REMOVED) and post.thread.post_count == 0:
        _thread_left_public(post.thread, status)
    db.session.flush()


# ---------------------------------------------------------------- writing

def _recent_texts(author: User, since: datetime) -> list[tuple[str, datetime, int]]:
    """This author's posts since `since`, for the rules' duplicate check: (text, created_at, thread_id)."""
    if author is None or author.id is None:
        return []
    rows = db.session.execute(
        select(Post.body_source, Post.created_at, Post.thread_id, Post.is_first, Thread.title)
        .join(Thread, Post.thread_id == Thread.id)
        .where(Post.author_id == author.id, Post.created_at >= since, Post.status != DELETED)
    )
    return [((f"{title}\n\n{body}" if first else body), created, tid) for body, created, tid, first, title in rows]


def _screen(author: User, text: str, kind: str, context: dict | None = None):
    context = dict(context or {})
    if kind in ("thread", "reply"):
        if context.get("thread") is not None:
            context["thread_id"] = context["thread"].id
        context["recent_texts"] = lambda since: _recent_texts(author, since)  # screen picks the window
    verdict = moderation.screen(author, text, kind, context)
    if verdict.action == "block":
        raise RuleViolation(verdict.message or "Your post contains wording that isn't allowed here.", "body")
    return verdict


def create_thread(author: User, topic: Topic, title: str, body: str, *, images=()) -> Thread:
    """`images`: accepted pictures (board.media.services.collect) to place in the first post."""
    require_can_post(author)
    title = clean_title(title)
    body = clean_body(body)
    verdict = _screen(author, f"{title}\n\n{body}", "thread", {"topic": topic})
    status = moderation.status_for(verdict)
    now = utcnow()
    thread = Thread(
        topic=topic, author=author, title=title, slug=slugify(title), status=PENDING,
        created_at=now, last_activity_at=now,
    )
    post = Post(
        thread=thread, author=author, body_source=body, body_html=render_markdown(body),
        status=PENDING, is_first=True, created_at=now,
    )
    db.session.add_all([thread, post])
    db.session.flush()
    thread.first_post_id = post.id
    set_post_status(post, status)
    moderation.after_write(author=author, verdict=verdict, target=post)
    media.attach(author, list(images), "post", post.id)
    db.session.flush()
    return thread


def create_reply(author: User, thread: Thread, body: str, *, reply_to: Post | None = None, images=()) -> Post:
    """A reply; `reply_to` is the post it answers ("in reply to NAME"), which must be a
    published post of the same thread."""
    require_can_post(author)
    if not can_reply(author, thread):
        raise PermissionDenied("This thread is locked, so new replies are closed.")
    if thread.status != PUBLISHED and thread.author_id != author.id and not author.is_staff:
        raise PermissionDenied("This thread is not open for replies.")
    body = clean_body(body)
    verdict = _screen(author, body, "reply", {"thread": thread, "topic": thread.topic})
    if reply_to is not None and (reply_to.thread_id != thread.id or reply_to.status != PUBLISHED):
        reply_to = None  # the answered post has gone meanwhile: the reply still goes in
    post = Post(
        thread=thread, author=author, body_source=body, body_html=render_markdown(body),
        status=PENDING, created_at=utcnow(), reply_to_id=reply_to.id if reply_to is not None else None,
    )
    db.session.add(post)
    db.session.flush()
    set_post_status(post, moderation.status_for(verdict))
    moderation.after_write(author=author, verdict=verdict, target=post)
    media.attach(author, list(images), "post", post.id)
    if post.status == PUBLISHED:
        notify_reply(post)
    db.session.flush()
    return post


def notify_reply(post: Post) -> None:
    """Tell followers (the thread's author follows it) about a reply that became public.

    `set_post_status` already does this when a post turns published; this stays for callers
    and is idempotent (board/following/services.py: post_published).
    """
    following.post_published(post)


SHORT_QUOTE = 280


def quote_markdown(post: Post, *, short: bool = False) -> str:
    """Markdown that quotes `post` at the start of a reply (`short`: its opening paragraph,
    at most about 280 characters, for "Reply" on a post)."""
    author = post.author.public_name if post.author else "a former member"
    text = clean_text(post.body_source).strip()
    if short:
        text = _short_quote(text)
    lines = text.splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"{author} wrote:\n\n{quoted}\n\n"


def _short_quote(text: str) -> str:
    """The opening paragraph (quoted lines skipped: they are someone else's words), cut at a word."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    own = [p for p in paragraphs if not p.lstrip().startswith(">")]
    first = (own or paragraphs or [""])[0]
    if len(first) <= SHORT_QUOTE:
        return first
    cut = first[:SHORT_QUOTE].rsplit(None, 1)[0]
    return cut.rstrip(",;:") + " …"


def edit_post(editor: User, post: Post, body: str, title: str | None = None) -> Post:
    if not can_edit_post(editor, post):
        raise PermissionDenied("You can only edit your own posts.")
    body = clean_body(body)
    new_title = clean_title(title) if (post.is_first and title is not None) else None
    if body == post.body_source and (new_title is None or new_title == post.thread.title):
        return post
    verdict = _screen(editor, f"{new_title or ''}\n\n{body}", "edit", {"post": post, "thread": post.thread})
    db.session.add(PostRevision(
        post_id=post.id, editor_id=editor.id, body_source=post.body_source, body_html=post.body_html,
        created_at=utcnow(),
    ))
    post.body_source = body
    post.body_html = keep_gallery(post.body_html, render_markdown(body))  # the pictures stay
    post.edited_at = utcnow()
    if new_title is not None:
        post.thread.title = new_title
        post.thread.slug = slugify(new_title)
    if post.status == REJECTED:
        # An author fixing a returned post sends it back to moderators.
        set_post_status(post, PENDING)
        verdict = replace(verdict, action="review", reasons=(*verdict.reasons, "Edited after being returned"))
    if verdict.action == "review" and post.status == PUBLISHED:
        set_post_status(post, PENDING)
    moderation.after_write(author=editor, verdict=verdict, target=post)
    following.post_edited(post)  # anyone newly @mentioned in a published post
    db.session.flush()
    return post


def delete_post(user: User, post: Post) -> Post:
    if not can_delete_post(user, post):
        raise PermissionDenied("You can only delete your own posts.")
    set_post_status(post, DELETED)
    db.session.flush()
    return post
