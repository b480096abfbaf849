"""Following threads and topics, muting members, @mentions and unsubscribe links.

The one entry point for "something became public" is `post_published(post)`, called by
`forum.services.set_post_status` whenever a post turns published (whatever the path: a
member posting, a moderator approving or editing-then-approving, an undo, a restore).
It tells followers and mentioned members exactly once per post: a `PostPublication`
row marks the post as announced, and `Mention` rows mark who was told of a mention.

Services flush, never commit; the caller commits once.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import String, bindparam, delete, func, literal, select, update
from sqlalchemy.orm import contains_eager

from board.domain import RuleViolation
from board.extensions import db
from board.models import (
    PUBLISHED, Block, ConversationMember, Follow, Mention, Mute, Notification, NotificationSettings, Post, PostPublication, Thread, Topic, User, utcnow,
)
from board.models.following import DIGEST_MODES, FOLLOW_MODES, MODE_EACH, MODE_INAPP
from board.models.forum import HIDDEN, PENDING, REJECTED
from board.moderation.care import quotable, title_for_others
from board.notifications.services import notify
from board.visibility import can_see_thread, can_see_topic, one_of

MODE_LABELS = {
    "inapp": "In-app only",
    "each": "Email me about each new post",
    "daily": "A daily digest email",
    "weekly": "A weekly digest email",
}
DEFAULT_MODE = MODE_EACH
MAX_MENTIONS = 10
# @name: not part of an email address or a longer word; usernames are 3–30 of a–z 0–9 _ -
MENTION_RE = re.compile(r"(?<![\w@.+-])@([A-Za-z0-9_-]{3,30})(?![\w-])")


def _active(user: User | None) -> bool:
    return user is not None and user.deleted_at is None and user.memorial_at is None


# ---------------------------------------------------------------- settings

def settings_for(user: User, *, create: bool = False) -> NotificationSettings | None:
    found = db.session.get(NotificationSettings, user.id)
    if found is None and create:
        found = NotificationSettings(user_id=user.id, default_mode=DEFAULT_MODE, mail_paused=False)
        db.session.add(found)
        db.session.flush()
    return found


def default_mode(user: User) -> str:
    found = settings_for(user)
    return found.default_mode if found is not None else DEFAULT_MODE


def _check_mode(mode: str) -> str:
    if mode not in FOLLOW_MODES:
        raise RuleViolation("Please choose one of the options.", "mode")
    return mode


def current_cursor() -> int:
    """The newest publication so far: a follow switched to a digest starts after it."""
    return db.session.scalar(select(func.max(PostPublication.id))) or 0


# ---------------------------------------------------------------- follows

def find_follow(user: User, *, thread: Thread | None = None, topic: Topic | None = None) -> Follow | None:
    stmt = select(Follow).where(Follow.user_id == user.id)
    stmt = stmt.where(Follow.thread_id == thread.id) if thread is not None else stmt.where(Follow.topic_id == topic.id)
    return db.session.scalar(stmt)


def follow(user: User, *, thread: Thread | None = None, topic: Topic | None = None,
           mode: str | None = None) -> Follow:
    """Follow a thread (new replies) or a topic (new threads). Idempotent."""
    if (thread is None) == (topic is None):
        raise ValueError("follow exactly one thread or topic")
    if thread is not None and not can_see_thread(user, thread):
        raise RuleViolation("You can't follow this thread.", None)
    if topic is not None and not can_see_topic(user, topic):
        raise RuleViolation("You can't follow this topic.", None)
    existing = find_follow(user, thread=thread, topic=topic)
    if existing is not None:
        return existing
    mode = _check_mode(mode or default_mode(user))
    item = Follow(user_id=user.id, thread_id=thread.id if thread else None, topic_id=topic.id if topic else None,
                  mode=mode, digest_cursor=current_cursor(), created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    return item


def toggle_follow(user: User, *, thread: Thread | None = None, topic: Topic | None = None) -> Follow | None:
    """Follow, or stop following if already following. Returns the follow, or None after stopping."""
    existing = find_follow(user, thread=thread, topic=topic)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return None
    return follow(user, thread=thread, topic=topic)


def set_mode(user: User, item: Follow, mode: str) -> Follow:
    if item.user_id != user.id:
        raise RuleViolation("That isn't one of your follows.", None)
    mode = _check_mode(mode)
    if mode != item.mode:
        if mode in DIGEST_MODES and item.mode not in DIGEST_MODES:
            item.digest_cursor = current_cursor()  # what was already told by email/in-app isn't repeated
        item.mode = mode
        db.session.flush()
    return item


def follows_of(user: User) -> list[Follow]:
    """The settings page: every follow with its thread/topic, in one query."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Follow).where(Follow.user_id == user.id)
        .options(joinedload(Follow.thread).joinedload(Thread.topic), joinedload(Follow.topic))
        .order_by(Follow.created_at.desc(), Follow.id.desc())
    ).unique())


def visible_follow_ids(user: User, items: list[Follow]) -> set[int]:
    """Follows whose thread the member may still see (a removed thread's title isn't shown)."""
    return {f.id for f in items if f.topic_id or (f.thread is not None and can_see_thread(user, f.thread))}


def update_settings(user: User, *, default: str, mail_paused: bool, modes: dict[int, str]) -> None:
    """Save the settings page: the account default, the email pause, and each follow's mode
    ("off" stops following). Unknown follow ids are ignored."""
    found = settings_for(user, create=True)
    found.default_mode = _check_mode(default)
    found.mail_paused = bool(mail_paused)
    if modes:
        for item in db.session.scalars(select(Follow).where(Follow.user_id == user.id, Follow.id.in_(modes))):
            mode = modes[item.id]
            if mode == "off":
                db.session.delete(item)
            else:
                set_mode(user, item, mode)
    db.session.flush()


# ---------------------------------------------------------------- muting

def toggle_mute(user: User, other: User) -> bool:
    """Mute `other` (True) or unmute them (False)."""
    if other.id == user.id:
        raise RuleViolation("You can't mute yourself.", None)
    existing = db.session.scalar(select(Mute).where(Mute.user_id == user.id, Mute.muted_user_id == other.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return False
    if other.is_staff:
        raise RuleViolation("Moderators can't be muted, so that you always see their notices.", None)
    db.session.add(Mute(user_id=user.id, muted_user_id=other.id, created_at=utcnow()))
    db.session.flush()
    return True


def is_muted(user: User | None, other: User) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(
        select(Mute.id).where(Mute.user_id == user.id, Mute.muted_user_id == other.id)
    ) is not None


def mutes_of(user: User) -> list[Mute]:
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Mute).where(Mute.user_id == user.id).options(joinedload(Mute.muted_user)).order_by(Mute.id)
    ))


@dataclass(frozen=True)
class ThreadState:
    """What the thread page needs about the viewer: their follow mode and whom they muted."""

    follow_mode: str | None = None
    muted_ids: frozenset = field(default_factory=frozenset)
    # How many of the viewer's own posts in this thread only she (and moderators) can read
    # (pending, returned, hidden): a page with any of them is not the shared page.
    own_unpublished: int = 0

    @property
    def following(self) -> bool:
        return self.follow_mode is not None


NO_STATE = ThreadState()


@functools.cache
def thread_state_selects() -> tuple:
    """Follow + mutes + unread count in one UNION, built once per process (`viewer_id`, `thread_id`)."""
    viewer = bindparam("viewer_id")
    mutes = select(Mute.muted_user_id.label("ref"), literal("mute", String).label("kind")).where(
        Mute.user_id == viewer)
    follows = select(Follow.id.label("ref"), Follow.mode.label("kind")).where(
        Follow.user_id == viewer, Follow.thread_id == bindparam("thread_id"))
    # The navigation's unread-notification count rides along (one query instead of two per page).
    unread = select(func.count(Notification.id).label("ref"), literal("unread", String).label("kind")).where(
        Notification.user_id == viewer, Notification.read_at.is_(None))
    # ...and the private messages' counts (conversations with unread messages, requests waiting).
    messages = select(func.count(ConversationMember.id).label("ref"), literal("messages", String).label("kind")).where(
        ConversationMember.user_id == viewer, ConversationMember.unread_count > 0, ConversationMember.state == "active")
    requests = select(func.count(ConversationMember.id).label("ref"), literal("requests", String).label("kind")).where(
        ConversationMember.user_id == viewer, ConversationMember.state == "request",
        ConversationMember.last_activity_at.is_not(None))
    # ...and whether the viewer has posts in this thread that only she can read (not the shared page).
    own = select(func.count(Post.id).label("ref"), literal("own_unpublished", String).label("kind")).where(
        Post.thread_id == bindparam("thread_id"), Post.author_id == viewer,
        one_of(Post.status, (PENDING, REJECTED, HIDDEN)))
    return mutes, follows, unread, messages, requests, own


def thread_state_from_rows(rows) -> ThreadState:
    """The ThreadState from the (ref, kind) rows of `thread_state_selects()` (forum.queries.thread_viewer);
    the navigation's counts go to g."""
    mode, muted, own = None, set(), 0
    for ref, kind in rows:
        if kind == "mute":
            muted.add(ref)
        elif kind == "unread":
            g.unread_notifications = ref or 0  # read by board.templating.header_counts
        elif kind == "messages":
            g.unread_messages = ref or 0
        elif kind == "requests":
            g.message_requests = ref or 0
        elif kind == "own_unpublished":
            own = ref or 0
        else:
            mode = kind
    return ThreadState(follow_mode=mode, muted_ids=frozenset(muted), own_unpublished=own)


@dataclass(frozen=True)
class ListingState:
    """What a topic or home page needs about a member: her follow mode for the topic and
    whether she has threads only she is shown in lists (then her list is not the shared one)."""

    follow_mode: str | None = None
    own_unlisted: bool = False


@functools.cache
def _listing_state_stmt(with_topic: bool):
    """The navigation's counts, the topic's follow mode and "has own unlisted threads" in one
    row, built once per process (`viewer_id`, and `topic_id` when `with_topic`)."""
    from board.notifications.services import header_count_columns

    viewer = bindparam("viewer_id")
    own = select(Thread.id).where(Thread.author_id == viewer, one_of(Thread.status, (PENDING, HIDDEN, REJECTED)))
    mode = literal(None, String)
    if with_topic:
        topic_id = bindparam("topic_id")
        own = own.where(Thread.topic_id == topic_id)
        mode = select(Follow.mode).where(Follow.user_id == viewer, Follow.topic_id == topic_id).limit(1).scalar_subquery()
    return select(*header_count_columns(viewer), mode.label("follow_mode"),
                  own.limit(1).scalar_subquery().label("own_unlisted"))


def listing_page_state(viewer, topic: Topic | None = None) -> ListingState:
    """One query for a logged-in viewer (it also fills the navigation's counts), none for a visitor."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return ListingState()
    params = {"viewer_id": viewer.id}
    if topic is not None:
        params["topic_id"] = topic.id
    row = db.session.connection().execute(_listing_state_stmt(topic is not None), params).one()
    g.unread_notifications, g.unread_messages, g.message_requests = (n or 0 for n in row[:3])
    return ListingState(follow_mode=row[3], own_unlisted=row[4] is not None)


# ---------------------------------------------------------------- mentions

_FENCE_RE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_RE = re.compile(r"`[^`\n]*`")


def parse_mentions(source: str, limit: int = MAX_MENTIONS) -> list[str]:
    """Usernames @mentioned in Markdown source, in order, lower-case, at most `limit`.

    Code (fenced, indented or inline) and quoted lines (someone else's words) don't count.
    """
    text = _FENCE_RE.sub("", source or "")
    names: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith(">") or line.startswith(("    ", "\t")):
            continue
        for match in MENTION_RE.finditer(_CODE_RE.sub("", line)):
            name = match.group(1).lower()
            if name not in names:
                names.append(name)
                if len(names) >= limit:
                    return names
    return names


def _mention(post: Post, muters: set[int] | None = None) -> set[int]:
    """Tell members newly @mentioned in this public post (never twice). Returns their ids."""
    names = parse_mentions(post.body_source)
    if not names:
        return set()
    already = set(db.session.scalars(select(Mention.user_id).where(Mention.post_id == post.id)))
    room = MAX_MENTIONS - len(already)
    if room <= 0:
        return set()
    thread = post.thread
    users = db.session.scalars(select(User).where(User.username.in_(names)))
    if muters is None:
        muters = _muters_of(post.author_id)
    told = set()
    for user in sorted(users, key=lambda u: names.index(u.username)):
        if len(told) >= room:
            break
        if user.id in already or user.id == post.author_id or not _active(user) or user.id in muters:
            continue
        if not can_see_thread(user, thread):
            continue
        db.session.add(Mention(post_id=post.id, user_id=user.id, created_at=utcnow()))
        name = post.author.public_name if post.author else "A former member"
        notify(user, "mention", f"{name} mentioned you in {title_for_others(thread)}.", url=f"/posts/{post.id}",
               actor=post.author)
        told.add(user.id)
    db.session.flush()
    return told


def _muters_of(author_id: int | None, among=None) -> set[int]:
    """Members who muted or blocked the author: no notifications or mentions from them reach them."""
    if author_id is None:
        return set()
    mutes = select(Mute.user_id).where(Mute.muted_user_id == author_id)
    blocks = select(Block.user_id).where(Block.blocked_user_id == author_id)
    if among is not None:
        mutes = mutes.where(Mute.user_id.in_(among))
        blocks = blocks.where(Block.user_id.in_(among))
    return set(db.session.scalars(mutes.union(blocks)))


# ---------------------------------------------------------------- a post became public

def post_published(post: Post) -> PostPublication | None:
    """Tell followers (and @mentioned members) about a post that just became public. Idempotent:
    the followers hear of each post once, however many times it is published again."""
    thread = post.thread
    if post.status != PUBLISHED or thread.status != PUBLISHED:
        return None  # e.g. the author's reply in their own thread that waits for review
    existing = db.session.scalar(select(PostPublication).where(PostPublication.post_id == post.id))
    if existing is not None:
        _mention(post)  # an edit that waited for review may have added a mention
        return None
    publication = PostPublication(post_id=post.id, published_at=utcnow())
    db.session.add(publication)
    db.session.flush()
    author = post.author
    if _active(author):
        try:
            follow(author, thread=thread)  # posting in a thread follows it
        except RuleViolation:
            pass
    _fan_out(post, publication)
    return publication


def post_edited(post: Post) -> None:
    """A published post was edited: tell anyone newly @mentioned (only them)."""
    if post.status == PUBLISHED and post.thread.status == PUBLISHED:
        _mention(post)


def _fan_out(post: Post, publication: PostPublication) -> None:
    from board.mail import can_email

    thread = post.thread
    if post.is_first:
        where = Follow.topic_id == thread.topic_id
    else:
        where = Follow.thread_id == thread.id
    rows = db.session.execute(
        select(Follow, NotificationSettings.mail_paused)
        .join(User, Follow.user_id == User.id)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == Follow.user_id)
        .where(where, Follow.user_id != (post.author_id or 0), User.deleted_at.is_(None), User.memorial_at.is_(None))
        .options(contains_eager(Follow.user))
    ).all()
    muters = _muters_of(post.author_id)
    mentioned = _mention(post, muters)
    name = post.author.public_name if post.author else "A former member"
    title = title_for_others(thread)  # crisis wording in a title stays out of others' inboxes
    for item, paused in rows:
        user = item.user
        if user.id in muters or not can_see_thread(user, thread):
            continue
        if user.id not in mentioned:
            if post.is_first:
                text = f"{name} started {title} in {thread.topic.title}."
                kind = "new_thread"
            elif thread.author_id == user.id:
                text, kind = f"{name} replied to your thread {title}.", "reply"
            else:
                text, kind = f"{name} replied in {title}.", "reply"
            notify(user, kind, text, url=f"/posts/{post.id}", actor=post.author)
        if item.mode == MODE_EACH and not paused and can_email(user):
            _email_each(user, item, post)
    db.session.flush()


def _email_each(user: User, item: Follow, post: Post) -> None:
    from board.mail import absolute_url, notify_by_email, render_mail
    from board.markup import excerpt

    thread = post.thread
    author = post.author.public_name if post.author else "a former member"
    stop_follow = unsubscribe_url(user, follow=item)
    # Crisis wording is never quoted in mail (often read on shared devices and lock screens):
    # the email says there is something new, with the link.
    title = title_for_others(thread)
    quote = quotable(post.body_source) and title.startswith("“")
    if not quote:  # say only where: "a thread in Bone metastases"
        title = f"a thread in {thread.topic.title}"
    if post.is_first:
        subject = f"New thread in {thread.topic.title}" + (f": {thread.title}" if quote else "")
    elif thread.author_id == user.id:
        subject = f"New reply to your thread {title}"
    else:
        subject = f"New reply in {title}"
    body = render_mail(
        "following_post", user=user, post=post, thread=thread, author=author, is_first=post.is_first,
        title=title, topic=thread.topic, following_topic=item.topic_id is not None,
        excerpt=excerpt(post.body_source, 300) if quote else "",
        link=absolute_url("forum.post_permalink", post_id=post.id), stop_follow=stop_follow,
        stop_all=unsubscribe_url(user), settings=absolute_url("following.settings"),
    )
    notify_by_email(user, subject, body, "following", list_unsubscribe=stop_follow)


# ---------------------------------------------------------------- unsubscribe links

_SALT = "circle-unsubscribe-v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user: User, *, follow: Follow | None = None, cadence: str | None = None) -> str:
    """A signed token: stop email for one follow, one digest cadence, or all notification email."""
    if follow is not None:
        data = {"u": user.id, "f": follow.id}
    elif cadence is not None:
        data = {"u": user.id, "d": cadence}
    else:
        data = {"u": user.id, "a": 1}
    return _serializer().dumps(data)


def unsubscribe_url(user: User, *, follow: Follow | None = None, cadence: str | None = None) -> str:
    from board.mail import absolute_url

    return absolute_url("following.unsubscribe", token=unsubscribe_token(user, follow=follow, cadence=cadence))


@dataclass
class Unsubscribe:
    """What a valid token stops, in words, and the objects it acts on."""

    user: User
    what: str
    follow: Follow | None = None
    cadence: str | None = None
    everything: bool = False
    gone: bool = False  # the follow no longer exists: nothing to stop


def read_token(token: str) -> Unsubscribe | None:
    if not token or len(token) > 400:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or user.deleted_at is not None:
        return None
    if "f" in data:
        item = db.session.get(Follow, data["f"]) if isinstance(data["f"], int) else None
        if item is None or item.user_id != user.id:
            return Unsubscribe(user=user, what="emails about a thread or topic you no longer follow", gone=True)
        if item.topic_id:
            target = f"new threads in {item.topic.title}"
        else:
            target = f"“{item.thread.title}”" if can_see_thread(user, item.thread) else "a thread you followed"
        return Unsubscribe(user=user, what=f"emails about {target}", follow=item)
    if data.get("d") in DIGEST_MODES:
        return Unsubscribe(user=user, what=f"your {data['d']} digest emails", cadence=data["d"])
    if data.get("a") == 1:
        return Unsubscribe(user=user, what="all notification emails from Circle", everything=True)
    return None


def apply_unsubscribe(request: Unsubscribe) -> None:
    """Stop the email (in-app notifications carry on). Safe to repeat."""
    user = request.user
    if request.follow is not None:
        request.follow.mode = MODE_INAPP
    elif request.cadence is not None:
        db.session.execute(
            update(Follow).where(Follow.user_id == user.id, Follow.mode == request.cadence)
            .values(mode=MODE_INAPP).execution_options(synchronize_session=False)
        )
    elif request.everything:
        settings_for(user, create=True).mail_paused = True
    db.session.flush()


def export_for(user: User) -> dict:
    """The member's own following data for their data download (no one else's private data)."""
    found = settings_for(user)
    return {
        "default_mode": found.default_mode if found else DEFAULT_MODE,
        "emails_paused": bool(found and found.mail_paused),
        "follows": [
            {"thread_id": f.thread_id, "thread": f.thread.title if f.thread and can_see_thread(user, f.thread) else None,
             "topic": f.topic.slug if f.topic else None, "mode": f.mode, "since": f.created_at.isoformat()}
            for f in follows_of(user)
        ],
        "muted_members": [m.muted_user.username for m in mutes_of(user)],
    }


def forget_user(user: User) -> None:
    """Remove a member's follows, mutes and settings (account deletion)."""
    for model, column in ((Follow, Follow.user_id), (Mute, Mute.user_id), (Mute, Mute.muted_user_id),
                          (NotificationSettings, NotificationSettings.user_id), (Mention, Mention.user_id)):
        db.session.execute(delete(model).where(column == user.id).execution_options(synchronize_session=False))
    db.session.flush()
