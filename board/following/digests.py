"""Daily and weekly digest emails (`flask --app board mail send-digests`).

A digest lists, for one member and one cadence, what became public since that follow's
last digest (`Follow.digest_cursor`, a `PostPublication.id`): new replies in followed
threads, new threads in followed topics. Only what the member may see right now
(published, in a published thread and a topic they may see, not by someone they muted,
not their own). Nothing new: no email and nothing recorded. After a digest is queued the
cursors move past what it covered, in the same transaction, so nothing is sent twice; a
conditional UPDATE on the member's "last digest at" makes two runs at once send one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from board.extensions import db
from board.models import (
    PUBLISHED, Block, Follow, NotificationSettings, Post, PostPublication, Thread, User, utcnow,
)
from board.models.following import DIGEST_MODES, MODE_DAILY, MODE_WEEKLY
from board.moderation.care import quotable
from board.visibility import can_see_thread

# A little under a day / a week, so a cron job that runs a few seconds early still sends.
INTERVALS = {MODE_DAILY: timedelta(hours=23), MODE_WEEKLY: timedelta(days=6, hours=23)}
MAX_THREADS = 40  # per digest; the rest is summarised with a link to the site


@dataclass
class DigestThread:
    thread: Thread
    posts: list[Post] = field(default_factory=list)
    new_thread: bool = False  # from a topic follow: the thread itself is new

    @property
    def shown_title(self) -> str:
        """The title, or "a thread in TOPIC" when the title, or the new thread's first post, is crisis
        wording (never quoted in anyone else's inbox)."""
        first = self.posts[0] if self.new_thread and self.posts and self.posts[0].is_first else None
        if quotable(self.thread.title) and (first is None or quotable(first.body_source)):
            return self.thread.title
        return f"A thread in {self.thread.topic.title}"

    @property
    def authors(self) -> list[str]:
        names: list[str] = []
        for post in self.posts:
            name = post.author.public_name if post.author else "a former member"
            if name not in names:
                names.append(name)
        return names


@dataclass
class Digest:
    user: User
    cadence: str
    items: list[DigestThread]
    follows: list[Follow]
    upto: int  # the newest PostPublication.id it covers
    more: int = 0

    @property
    def post_count(self) -> int:
        return sum(len(i.posts) for i in self.items)


@dataclass
class DigestReport:
    sent: int = 0
    empty: int = 0
    not_due: int = 0
    skipped: int = 0


def _last_at(settings: NotificationSettings | None, cadence: str) -> datetime | None:
    if settings is None:
        return None
    return settings.last_daily_digest_at if cadence == MODE_DAILY else settings.last_weekly_digest_at


def is_due(settings: NotificationSettings | None, cadence: str, now: datetime) -> bool:
    last = _last_at(settings, cadence)
    return last is None or now - last >= INTERVALS[cadence]


def build_digest(user: User, cadence: str, now: datetime | None = None, upto: int | None = None) -> Digest | None:
    """What `user`'s `cadence` digest would contain at `now`; None when there's nothing new."""
    from board.models import Mute

    now = now or utcnow()
    follows = list(db.session.scalars(
        select(Follow).where(Follow.user_id == user.id, Follow.mode == cadence).order_by(Follow.id)
    ))
    if not follows:
        return None
    if upto is None:
        upto = db.session.scalar(
            select(PostPublication.id).where(PostPublication.published_at <= now)
            .order_by(PostPublication.id.desc()).limit(1)
        ) or 0
    low = min(f.digest_cursor for f in follows)
    if upto <= low:
        return None
    by_thread = {f.thread_id: f for f in follows if f.thread_id}
    by_topic = {f.topic_id: f for f in follows if f.topic_id}
    conditions = []
    if by_thread:
        conditions.append(Post.thread_id.in_(by_thread))
    if by_topic:
        conditions.append(Post.is_first.is_(True) & Thread.topic_id.in_(by_topic))
    # Nobody she muted or blocked
    muted = select(Mute.muted_user_id).where(Mute.user_id == user.id).union(
        select(Block.blocked_user_id).where(Block.user_id == user.id))
    rows = db.session.execute(
        select(PostPublication.id, Post)
        .join(Post, PostPublication.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id)
        .where(PostPublication.id > low, PostPublication.id <= upto, PostPublication.published_at <= now,
               Post.status == PUBLISHED, Thread.status == PUBLISHED, or_(*conditions),
               or_(Post.author_id.is_(None), Post.author_id != user.id), or_(Post.author_id.is_(None),
                                                                              Post.author_id.not_in(muted)))
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.topic))
        .order_by(PostPublication.id)
    ).unique().all()
    items: dict[int, DigestThread] = {}
    for pub_id, post in rows:
        thread = post.thread
        by_t = by_thread.get(thread.id)
        by_p = by_topic.get(thread.topic_id) if post.is_first else None
        if not ((by_t and pub_id > by_t.digest_cursor) or (by_p and pub_id > by_p.digest_cursor)):
            continue
        if not can_see_thread(user, thread):
            continue
        entry = items.setdefault(thread.id, DigestThread(thread=thread))
        entry.posts.append(post)
        entry.new_thread = entry.new_thread or post.is_first
    if not items:
        return None
    ordered = sorted(items.values(), key=lambda i: (not i.new_thread, -i.posts[-1].id))
    return Digest(user=user, cadence=cadence, items=ordered[:MAX_THREADS], follows=follows, upto=upto,
                  more=max(len(ordered) - MAX_THREADS, 0))


def _claim(user_id: int, cadence: str, before: datetime | None, now: datetime) -> bool:
    column = (NotificationSettings.last_daily_digest_at if cadence == MODE_DAILY
              else NotificationSettings.last_weekly_digest_at)
    stmt = update(NotificationSettings).where(NotificationSettings.user_id == user_id)
    stmt = stmt.where(column.is_(None) if before is None else column == before)
    result = db.session.execute(stmt.values({column.key: now}).execution_options(synchronize_session=False))
    return result.rowcount == 1


def queue_digest(digest: Digest, now: datetime) -> bool:
    """Queue the email and move the cursors (flushes; the caller commits)."""
    from board.following.services import settings_for, unsubscribe_url
    from board.mail import absolute_url, notify_by_email, render_mail

    user = digest.user
    settings = settings_for(user, create=True)
    if not _claim(user.id, digest.cadence, _last_at(settings, digest.cadence), now):
        return False  # another run took it
    for item in digest.follows:
        item.digest_cursor = max(item.digest_cursor, digest.upto)
    stop = unsubscribe_url(user, cadence=digest.cadence)
    body = render_mail(
        "following_digest", user=user, digest=digest, cadence=digest.cadence,
        link_for=lambda post: absolute_url("forum.post_permalink", post_id=post.id),
        stop_digest=stop, stop_all=unsubscribe_url(user), settings=absolute_url("following.settings"),
    )
    count = digest.post_count
    subject = f"Your {digest.cadence} Circle digest: {count} new post{'s' if count != 1 else ''}"
    notify_by_email(user, subject, body, f"digest_{digest.cadence}", list_unsubscribe=stop)
    db.session.flush()
    return True


def send_digests(now: datetime | None = None) -> DigestReport:
    """Build and queue every due digest; commits after each member."""
    from board.mail import can_email

    now = now or utcnow()
    report = DigestReport()
    candidates = db.session.execute(
        select(Follow.user_id, Follow.mode).where(Follow.mode.in_(DIGEST_MODES)).distinct()
        .order_by(Follow.user_id, Follow.mode)
    ).all()
    db.session.commit()
    for user_id, cadence in candidates:
        user = db.session.get(User, user_id)
        settings = db.session.get(NotificationSettings, user_id)
        if user is None or not can_email(user) or (settings is not None and settings.mail_paused):
            report.skipped += 1
            continue
        if not is_due(settings, cadence, now):
            report.not_due += 1
            continue
        digest = build_digest(user, cadence, now)
        if digest is None:
            report.empty += 1
            db.session.rollback()
            continue
        if queue_digest(digest, now):
            report.sent += 1
            db.session.commit()
        else:
            db.session.rollback()
    return report
