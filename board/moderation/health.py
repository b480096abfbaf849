"""Community health: is Circle answering its members, and how fast does the queue move?

A pure service for /moderation/health (board/moderation/health_views.py). Every figure
comes from a fixed number of aggregate queries (eight, whatever the size of the board),
never a query per thread or item:

1. time to first reply: median and 90th percentile for new threads in the last 7 and 30
   days, all threads and newcomers' first threads (one query: ROW_NUMBER() over each group);
2. how many new threads, answered or not;
3. threads still unanswered after 24 hours (oldest first, with links);
4. newcomers' first threads unanswered after the nudge time (default 12 hours);
5. the queue now: items waiting and the oldest, all and crisis;
6. median time to claim and to decision, all items and crisis items;
7. reports by reason;
8. new members, members who posted, stories published.

"First reply" is the earliest published reply by someone other than the thread's author
(the author's own "anyone?" doesn't count); percentiles are nearest-rank (the value at
rank ceil(p·n)), so they are exact on both engines and easy to check by hand. Only
threads that are published now are counted. Times are measured from when the thread was
written, so a newcomer's pre-moderated thread counts its wait for review too.

Time to claim needs the moment an item was first claimed: `first_claimed_at`, set by the
queue's claim statements (board/moderation/claims.py; COALESCE keeps the first one).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Float, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.expression import FunctionElement

from board.extensions import db
from board.models import (
    HealthSettings, ModerationItem, NewcomerNudge, Post, Report, Story, Thread, User, Welcomer, utcnow,
)
from board.models.forum import PUBLISHED
from board.models.moderation import ITEM_OPEN, REPORT_REASONS

WINDOWS = (7, 30)
UNANSWERED_AFTER = timedelta(hours=24)
LIST_LIMIT = 50
DEFAULT_NUDGE_HOURS = 12


# ---------------------------------------------------------------- seconds between two times, per engine

class seconds_between(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """seconds_between(later, earlier) as a float, on PostgreSQL and SQLite."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


# ---------------------------------------------------------------- results

@dataclass
class Spread:
    """Median and 90th percentile in whole seconds (None when there is nothing to measure)."""

    n: int = 0
    median: int | None = None
    p90: int | None = None


@dataclass
class Window:
    days: int
    threads: int = 0
    answered: int = 0
    first_reply: Spread = field(default_factory=Spread)
    newcomer_threads: int = 0
    newcomer_answered: int = 0
    newcomer_first_reply: Spread = field(default_factory=Spread)
    to_claim: Spread = field(default_factory=Spread)
    to_decision: Spread = field(default_factory=Spread)
    crisis_to_claim: Spread = field(default_factory=Spread)
    crisis_to_decision: Spread = field(default_factory=Spread)
    reports: dict[str, int] = field(default_factory=dict)
    new_members: int = 0
    members_posted: int = 0
    stories_published: int = 0


@dataclass
class Health:
    now: datetime
    nudge_hours: int
    windows: dict[int, Window]
    unanswered: list[Thread]
    unanswered_total: int
    newcomers_waiting: list[Thread]
    queue_waiting: int = 0
    queue_oldest: datetime | None = None
    crisis_waiting: int = 0
    crisis_oldest: datetime | None = None
    report_labels: dict[str, str] = field(default_factory=lambda: dict(REPORT_REASONS))


# ---------------------------------------------------------------- settings

def settings() -> HealthSettings:
    row = db.session.get(HealthSettings, 1)
    if row is None:
        row = HealthSettings(id=1, nudge_hours=DEFAULT_NUDGE_HOURS, announce_to_welcomers=False)
    return row


def save_settings(admin: User, *, nudge_hours: int, announce: bool) -> HealthSettings:
    row = db.session.get(HealthSettings, 1)
    if row is None:
        row = HealthSettings(id=1)
        db.session.add(row)
    row.nudge_hours = max(1, min(int(nudge_hours), 168))
    row.announce_to_welcomers = bool(announce)
    row.updated_at, row.updated_by_id = utcnow(), admin.id
    db.session.flush()
    return row


# ---------------------------------------------------------------- the queries

def _recent_threads(since: datetime, now: datetime):
    """New published threads since `since`: when written, first reply by someone else, newcomer's first?"""
    reply = aliased(Post)
    earlier = aliased(Thread)
    first_reply = (
        select(reply.created_at)
        .where(reply.thread_id == Thread.id, reply.is_first.is_(False), reply.status == PUBLISHED,
               or_(reply.author_id.is_(None), Thread.author_id.is_(None), reply.author_id != Thread.author_id))
        .order_by(reply.id).limit(1).correlate(Thread).scalar_subquery()
    )
    newcomer = and_(Thread.author_id.is_not(None),
                    ~exists().where(earlier.author_id == Thread.author_id, earlier.id < Thread.id))
    return (
        select(Thread.id.label("thread_id"), Thread.created_at.label("created_at"),
               first_reply.label("replied_at"), case((newcomer, 1), else_=0).label("newcomer"))
        .where(Thread.status == PUBLISHED, Thread.created_at >= since, Thread.created_at <= now)
        # Computed once per query: inlined, PostgreSQL would run the first-reply lookup once per use.
        .cte("recent_threads").prefix_with("MATERIALIZED", dialect="postgresql")
    )


def _spreads(parts) -> dict[str, Spread]:
    """Nearest-rank median and 90th percentile of `secs` for each `grp`, in one query."""
    values = union_all(*parts).subquery("measured")
    ranked = select(
        values.c.grp, values.c.secs,
        func.row_number().over(partition_by=values.c.grp, order_by=values.c.secs).label("rn"),
        func.count().over(partition_by=values.c.grp).label("n"),
    ).subquery("ranked")
    median_rank, p90_rank = (ranked.c.n + 1) // 2, (ranked.c.n * 9 + 9) // 10
    rows = db.session.execute(
        select(ranked.c.grp, ranked.c.n, ranked.c.rn, ranked.c.secs, median_rank.label("m"), p90_rank.label("p"))
        .where(or_(ranked.c.rn == median_rank, ranked.c.rn == p90_rank))
    ).all()
    out: dict[str, Spread] = {}
    for grp, n, rn, secs, m, p in rows:
        spread = out.setdefault(grp, Spread(n=int(n)))
        if rn == m:
            spread.median = max(round(float(secs)), 0)  # whole seconds (julianday is approximate)
        if rn == p:
            spread.p90 = max(round(float(secs)), 0)
    return out


def _reply_figures(recent, since: dict[int, datetime], health: Health) -> None:
    parts = []
    for days in WINDOWS:
        for who, only_newcomers in (("all", False), ("newcomers", True)):
            conditions = [recent.c.replied_at.is_not(None), recent.c.created_at >= since[days]]
            if only_newcomers:
                conditions.append(recent.c.newcomer == 1)
            parts.append(select(literal(f"{days}:{who}").label("grp"),
                                seconds_between(recent.c.replied_at, recent.c.created_at).label("secs"))
                         .where(*conditions))
    spreads = _spreads(parts)
    counts = []
    for days in WINDOWS:
        inside = recent.c.created_at >= since[days]
        answered = and_(inside, recent.c.replied_at.is_not(None))
        counts += [
            func.sum(case((inside, 1), else_=0)), func.sum(case((answered, 1), else_=0)),
            func.sum(case((and_(inside, recent.c.newcomer == 1), 1), else_=0)),
            func.sum(case((and_(answered, recent.c.newcomer == 1), 1), else_=0)),
        ]
    late = and_(recent.c.replied_at.is_(None), recent.c.created_at <= health.now - UNANSWERED_AFTER)
    counts.append(func.sum(case((late, 1), else_=0)))
    row = db.session.execute(select(*counts)).one()
    for i, days in enumerate(WINDOWS):
        w = health.windows[days]
        w.threads, w.answered, w.newcomer_threads, w.newcomer_answered = (int(v or 0) for v in row[i * 4:i * 4 + 4])
        w.first_reply = spreads.get(f"{days}:all", Spread())
        w.newcomer_first_reply = spreads.get(f"{days}:newcomers", Spread())
    health.unanswered_total = int(row[-1] or 0)


def _waiting_threads(recent, older_than: datetime, *, newcomers_only: bool) -> list[Thread]:
    conditions = [recent.c.replied_at.is_(None), recent.c.created_at <= older_than]
    if newcomers_only:
        conditions.append(recent.c.newcomer == 1)
    return list(db.session.scalars(
        select(Thread).join(recent, recent.c.thread_id == Thread.id).where(*conditions)
        .options(joinedload(Thread.author), joinedload(Thread.topic))
        .order_by(Thread.created_at.asc(), Thread.id.asc()).limit(LIST_LIMIT)
    ).unique())


def _queue_now(health: Health) -> None:
    crisis = ModerationItem.kind == "crisis"
    row = db.session.execute(
        select(func.count(), func.min(ModerationItem.created_at),
               func.sum(case((crisis, 1), else_=0)), func.min(case((crisis, ModerationItem.created_at))))
        .where(ModerationItem.state == ITEM_OPEN)
    ).one()
    health.queue_waiting, health.crisis_waiting = int(row[0] or 0), int(row[2] or 0)
    health.queue_oldest, health.crisis_oldest = _as_datetime(row[1]), _as_datetime(row[3])


def _queue_speed(since: dict[int, datetime], health: Health) -> None:
    item = ModerationItem
    parts = []
    for days in WINDOWS:
        for who, only_crisis in (("all", False), ("crisis", True)):
            base = [item.created_at >= since[days]]
            if only_crisis:
                base.append(item.kind == "crisis")
            parts.append(select(literal(f"{days}:{who}:claim").label("grp"),
                                seconds_between(item.first_claimed_at, item.created_at).label("secs"))
                         .where(*base, item.first_claimed_at.is_not(None)))
            parts.append(select(literal(f"{days}:{who}:decision").label("grp"),
                                seconds_between(item.resolved_at, item.created_at).label("secs"))
                         .where(*base, item.state != ITEM_OPEN, item.resolved_at.is_not(None)))
    spreads = _spreads(parts)
    for days in WINDOWS:
        w = health.windows[days]
        w.to_claim = spreads.get(f"{days}:all:claim", Spread())
        w.to_decision = spreads.get(f"{days}:all:decision", Spread())
        w.crisis_to_claim = spreads.get(f"{days}:crisis:claim", Spread())
        w.crisis_to_decision = spreads.get(f"{days}:crisis:decision", Spread())


def _reports(since: dict[int, datetime], health: Health) -> None:
    short, long = since[WINDOWS[0]], since[WINDOWS[-1]]
    rows = db.session.execute(
        select(Report.reason, func.sum(case((Report.created_at >= short, 1), else_=0)), func.count())
        .where(Report.created_at >= long).group_by(Report.reason)
    ).all()
    for reason, recent_count, total in rows:
        health.windows[WINDOWS[0]].reports[reason] = int(recent_count or 0)
        health.windows[WINDOWS[-1]].reports[reason] = int(total or 0)


def _members_and_stories(since: dict[int, datetime], health: Health) -> None:
    figures = []
    for days in WINDOWS:
        posted = (select(Post.id).where(Post.author_id == User.id, Post.created_at >= since[days],
                                        Post.created_at <= health.now).correlate(User).exists())
        figures += [
            select(func.count()).where(User.created_at >= since[days], User.created_at <= health.now,
                                       User.deleted_at.is_(None)).scalar_subquery(),
            select(func.count(User.id)).select_from(User).where(posted).scalar_subquery(),
            select(func.count()).where(Story.status == "published", Story.published_at >= since[days],
                                       Story.published_at <= health.now).scalar_subquery(),
        ]
    row = db.session.execute(select(*figures)).one()
    for i, days in enumerate(WINDOWS):
        w = health.windows[days]
        w.new_members, w.members_posted, w.stories_published = (int(v or 0) for v in row[i * 3:i * 3 + 3])


def _as_datetime(value) -> datetime | None:
    from board.models.base import as_utc

    return as_utc(value)


def compute(now: datetime | None = None, nudge_hours: int | None = None) -> Health:
    """Every figure on the dashboard, fresh (eight queries, plus one for the settings)."""
    now = now or utcnow()
    if nudge_hours is None:
        nudge_hours = settings().nudge_hours
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    health = Health(now=now, nudge_hours=nudge_hours, windows={d: Window(d) for d in WINDOWS},
                    unanswered=[], unanswered_total=0, newcomers_waiting=[])
    recent = _recent_threads(since[WINDOWS[-1]], now)
    _reply_figures(recent, since, health)
    health.unanswered = _waiting_threads(recent, now - UNANSWERED_AFTER, newcomers_only=False)
    health.newcomers_waiting = _waiting_threads(recent, now - timedelta(hours=nudge_hours), newcomers_only=True)
    _queue_now(health)
    _queue_speed(since, health)
    _reports(since, health)
    _members_and_stories(since, health)
    return health


_cache: dict = {}


def dashboard(max_age: float = 60.0) -> Health:
    """`compute()`, kept for up to `max_age` seconds per process (the page is read often,
    the figures move slowly). Threads in the lists are detached snapshots."""
    hit = _cache.get("health")
    if hit is not None and time.monotonic() - hit[0] < max_age:
        return hit[1]
    health = compute()
    for thread in health.unanswered + health.newcomers_waiting:
        db.session.expunge(thread)
    _cache["health"] = (time.monotonic(), health)
    return health


def forget_cache() -> None:
    _cache.clear()


# ---------------------------------------------------------------- the nudge to welcomers

def announce_newcomers_waiting(now: datetime | None = None) -> int:
    """Tell welcomers about newcomers' first threads unanswered past the nudge time, once per
    thread (when the admin setting is on). Returns how many threads were announced."""
    from board.mail import absolute_url
    from board.notifications.services import notify

    config = settings()
    if not config.announce_to_welcomers:
        return 0
    now = now or utcnow()
    recent = _recent_threads(now - timedelta(days=WINDOWS[-1]), now)
    waiting = [t for t in _waiting_threads(recent, now - timedelta(hours=config.nudge_hours), newcomers_only=True)
               if db.session.get(NewcomerNudge, t.id) is None and not _has_crisis_item(t)]
    if not waiting:
        return 0
    welcomers = list(db.session.scalars(
        select(User).join(Welcomer, Welcomer.user_id == User.id)
        .where(User.deleted_at.is_(None), User.memorial_at.is_(None))
    ))
    for thread in waiting:
        url = absolute_url("forum.thread", thread_id=thread.id, slug=thread.slug)
        told = 0
        for member in welcomers:
            if member.id == thread.author_id:
                continue
            # Only the topic and the link: never the newcomer's words or title.
            notify(member, "newcomer_waiting",
                   f"A newcomer's first thread in {thread.topic.title} hasn't had a reply yet. Could you welcome them?",
                   url)
            told += 1
        db.session.add(NewcomerNudge(thread_id=thread.id, announced_at=now, welcomers=told))
    db.session.flush()
    return len(waiting)


def _has_crisis_item(thread: Thread) -> bool:
    return db.session.scalar(select(exists().where(
        ModerationItem.kind == "crisis", ModerationItem.content_kind == "post",
        ModerationItem.target_id == thread.first_post_id))) is True
