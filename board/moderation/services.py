"""Moderation services: screening, the shared queue, decisions, reports, trust levels.

Sanctions (sanctions.py), the audit log (audit.py), watched words and canned
reasons (lists.py) and thread actions (threads.py) live beside this module and
are re-exported from it.

Every state change a moderator makes goes through this module, which also
writes the audit row (`ModerationAction`, append-only). Services take the
acting user, raise `PermissionDenied` / `RuleViolation` / `Conflict`, `flush()`
and return; the view commits once.

INTERFACE CONTRACT (forum and member stories)
=============================================
Writers (forum posts, member stories) call:

* ``screen(author, text, kind, context) -> Verdict`` with ``kind`` one of
  ``"thread"``, ``"reply"``, ``"edit"``, ``"story"``. ``verdict.action`` is
  ``publish | review | flag | block``; on ``block`` refuse the write with
  ``verdict.message`` (keep the author's text in the form). ``verdict.crisis``
  means crisis language: never hold the content back for it.
* ``status_for(verdict) -> "published" | "pending"`` (posts).
* ``after_write(author=, verdict=, post=None, story=None)`` after the content is
  flushed. Posts: a pending post gets a ``pending_post`` item; a crisis verdict
  gets an urgent ``crisis`` item (or raises an open item to urgent); a ``flag``
  verdict gets a ``report`` item with the rules' reasons. Stories: ALWAYS an
  open ``pending_story`` item (one per story), urgent when ``verdict.crisis``.
* ``report_content(reporter, reason, note, *, post=None, story=None) -> Report``:
  raises ``RuleViolation`` (clear message) for an unknown reason, a missing note
  for "other", a duplicate or a self report, content that can't be reported;
  ``PermissionDenied`` for silenced, suspended or unverified members. When the
  open reports' weight reaches ``BOARD_REPORT_HIDE_WEIGHT`` (a moderator's report
  at once) the content is hidden: posts through ``forum.services.set_post_status``,
  stories by setting ``story.status = "hidden"``; the author is told.
* ``board.moderation.care``: the crisis notice (``needs_crisis_notice``, ``flash_crisis_notice``).

Queue actions on an item with ``story_id`` call, in ``board.stories.services``
(imported lazily): ``publish_story(story, moderator)``,
``reject_story(story, moderator, reason: str)``,
``edit_and_publish_story(story, moderator, title: str, body: str)``,
``remove_story(story, moderator, note)`` (this module tells the author) and, for
undo, ``return_story_to_pending(story, status_before_the_decision)``. Restoring a
story hidden by reports (keep / dismiss) sets ``status = "published"``.

Concurrency: every decision starts with one conditional ``UPDATE`` on the item
(``WHERE state='open' AND`` not claimed by someone else) and checks the row
count, so two moderators can never both act; "next item" uses
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.markup import clean_text
from board.models import (
    DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, CannedReason, ModerationAction,
    ModerationItem, Post, PostRevision, Report, Sanction, Story, Thread, User, WatchedWord, utcnow,
)
from board.models.base import as_utc
from board.models.moderation import (
    ITEM_DISMISSED, ITEM_KINDS, ITEM_OPEN, ITEM_RESOLVED, PRIORITY_NORMAL, PRIORITY_URGENT, REPORT_REASONS,
)
from board.moderation import rules
# The moderation API is this module. The audit log, sanctions, the admins' lists and
# thread actions live in modules beside it; they are re-exported here, so callers
# keep one name (`services.warn`, `services.audit`, ...).
from board.moderation.audit import (  # noqa: F401
    ACTION_LABELS, AuditLogIsAppendOnly, audit, log_entries, staff_members,
)
from board.moderation.lists import (  # noqa: F401
    add_reason, add_word, canned_reasons, change_reason, change_word, delete_reason, delete_word, seed_moderation,
    watched_words,
)
from board.moderation.rules import BLOCK, FLAG, PUBLISH, REVIEW, Verdict, evaluate
from board.moderation.sanctions import (  # noqa: F401
    SILENCE_DAYS, SUSPEND_DAYS, lift, silence, suspend, warn,
)
from board.moderation.threads import (  # noqa: F401
    feature_story, move_thread, rename_thread, set_locked, set_pinned,
)
from board.notifications.services import notify
from board.permissions import PermissionDenied, can_moderate_user, is_admin, is_moderator

CLAIM_MINUTES = 15
UNDO_MINUTES = 10
OLD_ITEM_HOURS = 24

KIND_LABELS = {
    "pending_post": "Pending posts",
    "pending_story": "Pending stories",
    "pending_message": "Pending private messages",
    "report": "Reports and flags",
    "crisis": "Crisis",
}
DECISIONS = ("approve", "reject", "edit_approve", "keep", "dismiss", "remove")


# ================================================================ screening (called by writers)

def _config(name: str, default):
    if has_app_context():
        return current_app.config.get(name, default)
    return default


def screen(author: User, text: str, kind: str, context: dict | None = None) -> Verdict:
    """Decide what happens to new or edited content (see the contract above)."""
    maybe_promote(author)
    now = utcnow()
    ctx = {"kind": kind, "now": now, "max_links": _config("BOARD_NEW_MEMBER_MAX_LINKS", rules.DEFAULT_MAX_LINKS)}
    ctx.update(context or {})
    ctx["kind"] = kind
    ctx["watched_words"] = [tuple(row) for row in db.session.execute(select(WatchedWord.phrase, WatchedWord.action))]
    if kind in ("thread", "reply"):
        if "thread" in ctx and ctx["thread"] is not None:
            ctx["thread_id"] = ctx["thread"].id
        ctx["recent_texts"] = _recent_texts(author, now)
    return evaluate(author, text, ctx)


def _recent_texts(author: User, now: datetime) -> list[tuple[str, datetime, int]]:
    if author is None or author.id is None:
        return []
    rows = db.session.execute(
        select(Post.body_source, Post.created_at, Post.thread_id, Post.is_first, Thread.title)
        .join(Thread, Post.thread_id == Thread.id)
        .where(Post.author_id == author.id, Post.created_at >= now - rules.DUPLICATE_WINDOW,
               Post.status != DELETED)
    )
    return [((f"{title}\n\n{body}" if first else body), created, tid) for body, created, tid, first, title in rows]


def status_for(verdict: Verdict) -> str:
    return PUBLISHED if verdict.action in (PUBLISH, FLAG) else PENDING


def after_write(*, author: User, verdict: Verdict, post: Post | None = None, story: Story | None = None,
                message=None) -> None:
    """Queue the content for moderators when the verdict (or its status) asks for it."""
    if message is not None:  # MERGE(w14): the "message" kind, as after_write(target=message) does for any kind
        kind = _adapter_named("message")
        if kind.awaits_review(message):
            item = _open_item(message=message, kinds=("pending_message",))
            reasons = list(verdict.reasons) or [kind.review_reason]
            priority = PRIORITY_URGENT if verdict.crisis else verdict.priority
            if item is None:
                _new_item("pending_message", message=message, priority=priority, reasons=reasons)
            else:
                _merge(item, priority, verdict.reasons)
        elif verdict.crisis or verdict.action == FLAG:
            item = _open_item(message=message)
            if item is None:
                _new_item("crisis" if verdict.crisis else "report", message=message, priority=verdict.priority,
                          reasons=list(verdict.reasons))
            else:
                _merge(item, verdict.priority, verdict.reasons)
        db.session.flush()
        return
    if story is not None:
        item = _open_item(story=story, kinds=("pending_story",))
        priority = PRIORITY_URGENT if verdict.crisis else verdict.priority
        if item is None:
            _new_item("pending_story", story=story, priority=priority, reasons=list(verdict.reasons))
        else:
            _merge(item, priority, verdict.reasons)
        db.session.flush()
        return
    if post is None:
        return
    if post.status == PENDING:
        item = _open_item(post=post)
        if item is None:
            _new_item("pending_post", post=post, priority=verdict.priority, reasons=list(verdict.reasons) or
                      ["Waiting for review"])
        else:
            _merge(item, verdict.priority, verdict.reasons)
    elif verdict.crisis or verdict.action == FLAG:
        item = _open_item(post=post)
        if item is None:
            _new_item("crisis" if verdict.crisis else "report", post=post, priority=verdict.priority,
                      reasons=list(verdict.reasons))
        else:
            _merge(item, verdict.priority, verdict.reasons)
    db.session.flush()


def _open_item(*, post: Post | None = None, story: Story | None = None, message=None,
               kinds=None) -> ModerationItem | None:
    stmt = select(ModerationItem).where(ModerationItem.state == ITEM_OPEN)
    if message is not None:  # MERGE(w14)
        stmt = stmt.where(ModerationItem.message_id == message.id)
    else:
        stmt = stmt.where(ModerationItem.post_id == post.id) if post is not None else stmt.where(
            ModerationItem.story_id == story.id)
    if kinds:
        stmt = stmt.where(ModerationItem.kind.in_(kinds))
    return db.session.scalar(stmt.order_by(ModerationItem.id).limit(1))


def _new_item(kind: str, *, post: Post | None = None, story: Story | None = None, message=None,
              priority: int = PRIORITY_NORMAL, reasons: list[str] | None = None) -> ModerationItem:
    target = post if post is not None else (story if story is not None else message)
    item = ModerationItem(
        kind=kind, priority=priority, state=ITEM_OPEN, reasons=list(dict.fromkeys(reasons or [])),
        post_id=post.id if post is not None else None, story_id=story.id if story is not None else None,
        message_id=message.id if message is not None else None,  # MERGE(w14)
        topic_id=post.thread.topic_id if post is not None else None,
        subject_user_id=target.author_id, created_at=utcnow(),
    )
    db.session.add(item)
    db.session.flush()
    if priority >= PRIORITY_URGENT:
        _alert_moderators(item)
    return item


def _merge(item: ModerationItem, priority: int, reasons) -> None:
    was_urgent = item.priority >= PRIORITY_URGENT
    item.priority = max(item.priority, priority)
    item.reasons = list(dict.fromkeys([*(item.reasons or []), *reasons]))
    if item.priority >= PRIORITY_URGENT and not was_urgent:
        _alert_moderators(item)


def _alert_moderators(item: ModerationItem) -> None:
    """Urgent items also reach each moderator's notifications (not the author's own)."""
    moderators = db.session.scalars(
        select(User).where(User.role.in_(("moderator", "admin")), User.deleted_at.is_(None))
    )
    for moderator in moderators:
        if moderator.id == item.subject_user_id:
            continue
        notify(moderator, "urgent_item", "Urgent: something in the moderation queue needs a look soon "
               "(a member may be at risk).", url=f"/moderation/items/{item.id}")


# ================================================================ trust levels

SANCTION_FREE_DAYS = 90  # level 2 needs no warning, silence or suspension in this many days


def maybe_promote(user: User | None, now: datetime | None = None) -> bool:
    """Level 0 → 1 after BOARD_TRUST_POSTS approved posts and BOARD_TRUST_DAYS since joining;
    level 1 → 2 ("established") after BOARD_TRUST2_POSTS approved posts and BOARD_TRUST2_DAYS,
    with no sanction in the last 90 days (one query, only once the counts are reached)."""
    if user is None or user.id is None or user.role != "member" or (user.trust_level or 0) >= 2:
        return False
    now = now or utcnow()
    joined = as_utc(user.created_at)
    if (user.trust_level or 0) < 1:
        posts = _config("BOARD_TRUST_POSTS", 3)
        days = _config("BOARD_TRUST_DAYS", 2)
        if (user.approved_post_count or 0) < posts or joined > now - timedelta(days=days):
            return False
        user.trust_level = 1
        notify(user, "trust", "Welcome as a full member of Circle: your posts now appear straight away.")
        return True
    posts = _config("BOARD_TRUST2_POSTS", 20)
    days = _config("BOARD_TRUST2_DAYS", 30)
    if (user.approved_post_count or 0) < posts or joined > now - timedelta(days=days):
        return False
    recent = db.session.scalar(select(Sanction.id).where(
        Sanction.user_id == user.id, Sanction.created_at >= now - timedelta(days=SANCTION_FREE_DAYS)).limit(1))
    if recent is not None:
        return False
    user.trust_level = 2
    notify(user, "trust", "You are now an established member of Circle: thank you for being part of it.")
    return True


def set_trust(actor: User | None, user: User, level: int, reason: str = "") -> None:
    """Set a member's trust level by hand (actor None: an operator at the command line)."""
    if level not in (0, 1, 2):
        raise RuleViolation("Trust level must be 0 (new), 1 (member) or 2 (established).", "level")
    if actor is not None and not can_moderate_user(actor, user):
        raise PermissionDenied("You can't change this person's trust level.")
    before = user.trust_level
    user.trust_level = level
    audit(actor, "set_trust", target_user=user, reason=reason,
          data={"before": before, "after": level, "via": "cli" if actor is None else "web"})
    db.session.flush()


# ================================================================ reports

def report_weight(reporter: User) -> float:
    if reporter.is_staff:
        return float(_config("BOARD_REPORT_HIDE_WEIGHT", 3.0))
    return 0.5 if (reporter.trust_level or 0) < 1 else 1.0


def require_can_report(user: User | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or user.deleted_at is not None:
        raise PermissionDenied("Please log in to report something.")
    if user.is_suspended():
        raise PermissionDenied("Your account is suspended.")
    if user.is_silenced():
        until = user.silenced_until.strftime("%d %B %Y at %H:%M UTC")
        raise PermissionDenied(
            f"A moderator has paused your posting and reporting until {until}. You can still read everything. "
            "If someone may be at risk right now, please contact local emergency services.", kind="silenced")
    if not user.is_verified:
        raise PermissionDenied("Please confirm your email address before reporting.")


def report_content(reporter: User, reason: str, note: str = "", *, post: Post | None = None,
                   story: Story | None = None, message=None) -> Report:
    """A member reports a post or a story (see the contract above)."""
    require_can_report(reporter)
    if reason not in REPORT_REASONS:
        raise RuleViolation("Please choose one of the reasons.", "reason")
    # clean_text: no NUL or other control characters (PostgreSQL refuses NUL in text: a 500).
    note = clean_text(note).strip()
    if reason == "other" and not note:
        raise RuleViolation("Please tell the moderators a little about the problem.", "note")
    if len(note) > 1000:
        raise RuleViolation("Please keep the note to 1,000 characters or fewer.", "note")
    target = post if post is not None else story
    if message is not None:  # MERGE(w14): kind.check_report(target, reporter) for every kind
        target = message
        _adapter_named("message").check_report(message, reporter)
    if target is None:
        raise RuleViolation("There is nothing to report.", None)
    if target.author_id == reporter.id:
        raise RuleViolation("You can't report your own writing. You can edit or delete it instead.", None)
    if target.status != PUBLISHED:
        if target.status == HIDDEN:
            raise RuleViolation("Thank you — this is already hidden while moderators review it.", None)
        raise RuleViolation("This can't be reported right now.", None)

    item = _open_item(post=post, story=story, message=message)
    if item is None:
        item = _new_item("report", post=post, story=story, message=message, reasons=[])
    elif db.session.scalar(select(Report.id).where(Report.item_id == item.id, Report.reporter_id == reporter.id)):
        raise RuleViolation("You've already reported this. Moderators will look at it — thank you.", None)

    # "Someone may be at risk" goes urgent but never counts towards hiding: a
    # person in crisis must not find their words hidden.
    weight = 0.0 if reason == "at_risk" else report_weight(reporter)
    report = Report(item_id=item.id, reporter_id=reporter.id, reason=reason, note=note, weight=weight,
                    created_at=utcnow())
    db.session.add(report)
    label = REPORT_REASONS[reason].split(" (")[0]
    _merge(item, PRIORITY_URGENT if reason == "at_risk" else item.priority, [f"Reported: {label}"])
    item.report_weight = (item.report_weight or 0) + weight
    db.session.flush()
    threshold = float(_config("BOARD_REPORT_HIDE_WEIGHT", 3.0))
    if weight > 0 and item.report_weight >= threshold and target.status == PUBLISHED:
        _hide(target, item, reporter if reporter.is_staff else None)
    db.session.flush()
    return report


def _hide(target, item: ModerationItem, moderator: User | None) -> None:
    from board.forum.services import set_post_status

    if item.message_id:  # MERGE(w14): kind.hide(target)
        kind = _adapter(item)
        kind.hide(target)
        audit(moderator, "hide" if moderator else "auto_hide", item=item, **kind.audit_refs(target),
              data={"before_status": PUBLISHED, "after_status": HIDDEN, "weight": item.report_weight,
                    **kind.audit_data(target)})
        return
    if isinstance(target, Post):
        set_post_status(target, HIDDEN)
        where = f"your post in “{target.thread.title}”"
        url = f"/posts/{target.id}"
        audit(moderator, "hide" if moderator else "auto_hide", item=item, post=target,
              data={"before_status": PUBLISHED, "after_status": HIDDEN, "weight": item.report_weight})
    else:
        target.status = HIDDEN
        where = f"your story “{target.title}”" if target.title else "your story"
        url = ""
        audit(moderator, "hide" if moderator else "auto_hide", item=item, story=target,
              data={"before_status": PUBLISHED, "after_status": HIDDEN, "weight": item.report_weight})
    notify(target.author, "content_hidden",
           f"Some members were worried about {where}, so it is hidden while moderators review it. "
           "Nothing is lost: you'll hear from us when they have looked.", url=url)


# ================================================================ the queue

@dataclass
class QueueSummary:
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    oldest_at: datetime | None = None
    urgent: int = 0


def queue_summary() -> QueueSummary:
    rows = db.session.execute(
        select(ModerationItem.kind, func.count(ModerationItem.id), func.min(ModerationItem.created_at),
               func.max(ModerationItem.priority))
        .where(ModerationItem.state == ITEM_OPEN).group_by(ModerationItem.kind)
    ).all()
    summary = QueueSummary(counts={k: 0 for k in ITEM_KINDS})
    for kind, n, oldest, _ in rows:
        summary.counts[kind] = n
        summary.total += n
        oldest = as_utc(oldest)
        if oldest is not None and (summary.oldest_at is None or oldest < summary.oldest_at):
            summary.oldest_at = oldest
    summary.urgent = db.session.scalar(
        select(func.count(ModerationItem.id)).where(ModerationItem.state == ITEM_OPEN,
                                                    ModerationItem.priority >= PRIORITY_URGENT)) or 0
    return summary


def open_item_count_for_queue() -> int:
    return db.session.scalar(select(func.count(ModerationItem.id)).where(ModerationItem.state == ITEM_OPEN)) or 0


def _item_loads():
    return (
        selectinload(ModerationItem.post).selectinload(Post.thread).selectinload(Thread.topic),
        selectinload(ModerationItem.post).selectinload(Post.author),
        selectinload(ModerationItem.story).selectinload(Story.author),
        selectinload(ModerationItem.message),  # MERGE(w14): kinds.load_contents
        selectinload(ModerationItem.subject_user),
        selectinload(ModerationItem.claimed_by),
        selectinload(ModerationItem.resolved_by),
        selectinload(ModerationItem.reports).selectinload(Report.reporter),
    )


def queue_items(*, kind: str | None = None, topic_id: int | None = None, limit: int = 50) -> list[ModerationItem]:
    """Open items: urgent first, then oldest first."""
    stmt = select(ModerationItem).where(ModerationItem.state == ITEM_OPEN)
    if kind:
        stmt = stmt.where(ModerationItem.kind == kind)
    if topic_id:
        stmt = stmt.where(ModerationItem.topic_id == topic_id)
    stmt = stmt.options(*_item_loads()).order_by(
        ModerationItem.priority.desc(), ModerationItem.created_at.asc(), ModerationItem.id.asc()).limit(limit)
    return list(db.session.scalars(stmt))


@dataclass
class AuthorHistory:
    rejected: int = 0
    removed: int = 0
    approved: int = 0
    sanctions: int = 0


def author_histories(user_ids) -> dict[int, AuthorHistory]:
    """Previous moderation per author, for a page of items, in two queries."""
    ids = {i for i in user_ids if i}
    result = {i: AuthorHistory() for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(ModerationItem.subject_user_id, ModerationItem.resolution, func.count(ModerationItem.id))
        .where(ModerationItem.subject_user_id.in_(ids), ModerationItem.state != ITEM_OPEN)
        .group_by(ModerationItem.subject_user_id, ModerationItem.resolution)
    )
    for uid, resolution, n in rows:
        if resolution == "rejected":
            result[uid].rejected += n
        elif resolution == "removed":
            result[uid].removed += n
        elif resolution in ("approved", "edited"):
            result[uid].approved += n
    for uid, n in db.session.execute(
        select(Sanction.user_id, func.count(Sanction.id)).where(Sanction.user_id.in_(ids)).group_by(Sanction.user_id)
    ):
        result[uid].sanctions = n
    return result


def load_item(item_id: int) -> ModerationItem | None:
    return db.session.scalar(select(ModerationItem).where(ModerationItem.id == item_id).options(*_item_loads()))


def author_recent_posts(user_id: int | None, limit: int = 10) -> list[Post]:
    if not user_id:
        return []
    return list(db.session.scalars(
        select(Post).where(Post.author_id == user_id).options(selectinload(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit)
    ))


def author_previous_items(user_id: int | None, exclude_id: int, limit: int = 10) -> list[ModerationItem]:
    if not user_id:
        return []
    return list(db.session.scalars(
        select(ModerationItem).where(ModerationItem.subject_user_id == user_id, ModerationItem.id != exclude_id,
                                     ModerationItem.state != ITEM_OPEN)
        .options(selectinload(ModerationItem.resolved_by))
        .order_by(ModerationItem.resolved_at.desc(), ModerationItem.id.desc()).limit(limit)
    ))


def user_sanctions(user_id: int, limit: int = 20) -> list[Sanction]:
    return list(db.session.scalars(
        select(Sanction).where(Sanction.user_id == user_id).options(selectinload(Sanction.moderator))
        .order_by(Sanction.created_at.desc(), Sanction.id.desc()).limit(limit)
    ))


def item_actions(item_id: int) -> list[ModerationAction]:
    return list(db.session.scalars(
        select(ModerationAction).where(ModerationAction.item_id == item_id)
        .options(selectinload(ModerationAction.moderator)).order_by(ModerationAction.id)
    ))


def is_old(item: ModerationItem, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return now - as_utc(item.created_at) > timedelta(hours=OLD_ITEM_HOURS)


def can_undo(item: ModerationItem, moderator: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if item.state == ITEM_OPEN or item.resolved_at is None or item.resolution in ("", "gone"):
        return False
    if item.resolved_by_id != moderator.id and not is_admin(moderator):
        return False
    return now - as_utc(item.resolved_at) <= timedelta(minutes=UNDO_MINUTES)


# ---------------------------------------------------------------- claiming

def _claimable(moderator: User, now: datetime):
    return and_(
        ModerationItem.state == ITEM_OPEN,
        or_(ModerationItem.claimed_by_id.is_(None), ModerationItem.claimed_by_id == moderator.id,
            ModerationItem.claimed_until < now),
    )


def _conflict(item: ModerationItem, moderator: User) -> Conflict:
    db.session.refresh(item)
    if item.state != ITEM_OPEN:
        name = item.resolved_by.public_name if item.resolved_by else "another moderator"
        if item.resolved_by_id == moderator.id:
            name = "you"
        return Conflict(f"This item was already handled by {name}. Nothing was changed.")
    name = item.claimed_by.public_name if item.claimed_by else "another moderator"
    until = as_utc(item.claimed_until).strftime("%H:%M UTC") if item.claimed_until else ""
    return Conflict(f"{name} is working on this item (until {until}). Nothing was changed.")


def check_may_act(item: ModerationItem, moderator: User) -> None:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators can do that.")
    if item.subject_user_id is not None and item.subject_user_id == moderator.id:
        raise PermissionDenied("You can't moderate your own writing or reports about it; another moderator will.")


def claim(item: ModerationItem, moderator: User) -> ModerationItem:
    """Claim an item for 15 minutes; others see who has it."""
    check_may_act(item, moderator)
    now = utcnow()
    result = db.session.execute(
        update(ModerationItem).where(ModerationItem.id == item.id, _claimable(moderator, now))
        .values(claimed_by_id=moderator.id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(item, moderator)
    db.session.refresh(item)
    return item


def release(item: ModerationItem, moderator: User) -> None:
    db.session.execute(
        update(ModerationItem).where(ModerationItem.id == item.id, ModerationItem.claimed_by_id == moderator.id)
        .values(claimed_by_id=None, claimed_until=None).execution_options(synchronize_session=False)
    )
    db.session.refresh(item)


def next_item(moderator: User, kind: str | None = None) -> ModerationItem | None:
    """Claim the most urgent, oldest unclaimed item this moderator may act on.

    PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so two moderators asking at the
    same moment get different items. SQLite (one writer at a time): a conditional
    UPDATE per candidate and a row-count check.
    """
    now = utcnow()
    stmt = select(ModerationItem.id).where(
        ModerationItem.state == ITEM_OPEN,
        or_(ModerationItem.claimed_by_id.is_(None), ModerationItem.claimed_until < now),
        or_(ModerationItem.subject_user_id.is_(None), ModerationItem.subject_user_id != moderator.id),
    ).order_by(ModerationItem.priority.desc(), ModerationItem.created_at.asc(), ModerationItem.id.asc())
    if kind:
        stmt = stmt.where(ModerationItem.kind == kind)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = [db.session.scalar(stmt.limit(1).with_for_update(skip_locked=True))]
    else:
        candidates = list(db.session.scalars(stmt.limit(20)))
    for item_id in candidates:
        if item_id is None:
            continue
        result = db.session.execute(
            update(ModerationItem).where(ModerationItem.id == item_id, _claimable(moderator, now))
            .values(claimed_by_id=moderator.id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            item = db.session.get(ModerationItem, item_id)
            db.session.refresh(item)
            return item
    return None


# ---------------------------------------------------------------- decisions

def _decide(item: ModerationItem, moderator: User, resolution: str, *, state: str = ITEM_RESOLVED,
            note: str = "") -> None:
    """Atomically close the item for this moderator, or raise Conflict ("already handled by NAME")."""
    check_may_act(item, moderator)
    now = utcnow()
    result = db.session.execute(
        update(ModerationItem).where(ModerationItem.id == item.id, _claimable(moderator, now))
        .values(state=state, resolution=resolution, resolved_by_id=moderator.id, resolved_at=now,
                note=clean_text(note), claimed_by_id=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(item, moderator)
    db.session.refresh(item)


def _ensure_open(item: ModerationItem, moderator: User) -> None:
    """Checked first, so a late click on a handled item says who handled it and changes nothing."""
    check_may_act(item, moderator)
    if item.state != ITEM_OPEN:
        raise _conflict(item, moderator)


def _target(item: ModerationItem):
    if item.message_id:  # MERGE(w14)
        return item.message
    return item.post if item.post_id else item.story


def _gone(target) -> bool:
    return target is None or target.status in (DELETED, "withdrawn", "draft")


# ================================================================ other kinds of content
# MERGE(w14): until board/moderation/kinds.py (issue 14) lands, private messages (issue 15) plug
# in here. board/messages/moderation.py registers an adapter shaped like kinds.ModeratedKind under
# app.extensions["circle.moderated_kinds"]["message"] (the key kinds.register_kind uses), and the
# decisions below hand an item with `message_id` to `_adapter_decision`, a copy of w14's generic
# decisions. Moderation never imports the messages package. At merge: delete this block and the
# `if _adapter(item)` lines; MessageKind subclasses ModeratedKind.

KINDS_KEY = "circle.moderated_kinds"


@dataclass(frozen=True)
class Undone:
    """The decision being undone, as the audit log recorded it (as in w14's kinds.Undone)."""

    action: str
    before_status: str
    before_text: str
    data: dict
    pending: bool


def _adapter_named(name: str):
    kinds = current_app.extensions.get(KINDS_KEY, {})
    if name not in kinds:
        raise RuntimeError(f"no moderated kind {name!r} is registered")
    return kinds[name]


def _adapter(item: ModerationItem):
    """The adapter for an item's content when it is not a post or a story; None otherwise."""
    return _adapter_named("message") if item.message_id else None


def _adapter_decision(item: ModerationItem, moderator: User, decision: str, *, note: str = "", reason=None,
                      body: str = "") -> ModerationItem:
    kind = _adapter(item)
    _ensure_open(item, moderator)
    note = clean_text(note)
    target = _target(item)
    gone = target is None or kind.is_gone(target)
    pending = item.kind.startswith("pending_")

    def log(action: str, before_status: str, *, reason: str | None = None, edit=None):
        audit(moderator, action, item=item, **(kind.audit_refs(target) if target is not None else {}),
              reason=note if reason is None else reason,
              before=edit.before if edit else "", after=edit.after if edit else "",
              data={"before_status": before_status,
                    "after_status": kind.status(target) if target is not None else "",
                    **(kind.audit_data(target) if target is not None else {}), **(edit.data if edit else {})})

    if decision == "dismiss":
        if pending and not gone:
            raise RuleViolation("Content waiting for review needs a decision: approve, return or remove it.", None)
        _decide(item, moderator, "gone" if gone else "dismissed", state=ITEM_DISMISSED, note=note)
        before = kind.status(target) if target is not None else ""
        if not gone and kind.status(target) == HIDDEN:
            kind.restore(target, moderator)
        log("dismiss", before)
    elif gone:
        raise RuleViolation("The author's account was deleted, so there is nothing to decide. You can dismiss it.",
                            None)
    elif decision == "approve":
        before = kind.status(target)
        if pending:
            _decide(item, moderator, "approved", note=note)
            kind.publish(target, moderator)
            log("approve", before)
        else:
            handled = item.kind == "crisis"
            _decide(item, moderator, "handled" if handled else "kept", note=note)
            if kind.status(target) == HIDDEN:
                kind.restore(target, moderator)
            log("handled" if handled else "keep", before)
    elif decision == "reject":
        if item.kind == "crisis":
            raise RuleViolation("Messages with crisis language are delivered: mark it handled, or remove it if it "
                                "must go.", None)
        message = rejection_text(reason, note)
        if not message:
            raise RuleViolation("Please choose a reason or write a note for the author.", "reason")
        if not pending and not kind.returns_published:
            raise RuleViolation(f"A delivered {kind.label} can be kept or removed; it can't be returned.", None)
        kind.check_return(target, pending)
        _decide(item, moderator, "rejected", note=message)
        before = kind.status(target)
        kind.return_to_author(target, moderator, message)
        log("reject", before, reason=message)
    elif decision == "edit_approve":
        if not pending and not kind.edits_published:
            raise RuleViolation(f"Delivered {kind.plural} can't be edited by moderators.", None)
        _, body = kind.check_edit(target, pending, None, body)
        _decide(item, moderator, "edited", note=note)
        before = kind.status(target)
        edit = kind.edit_and_publish(target, moderator, None, body, note, pending)
        log("edit_approve", before, edit=edit)
    elif decision == "remove":
        _decide(item, moderator, "removed", note=note)
        before = kind.status(target)
        kind.remove(target, moderator, note)
        log("remove", before)
    else:  # pragma: no cover - a programming error
        raise ValueError(decision)
    db.session.flush()
    return item


def _where(post: Post) -> str:
    return f"“{post.thread.title}”"


def approve(item: ModerationItem, moderator: User, note: str = "") -> ModerationItem:
    """Pending: publish. Report/crisis: keep (and restore if hidden)."""
    from board.forum.services import notify_reply, set_post_status

    if _adapter(item):  # MERGE(w14)
        return _adapter_decision(item, moderator, "approve", note=note)
    _ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications

    target = _target(item)
    if _gone(target):
        raise RuleViolation("The author deleted or took back this, so there is nothing to approve. You can dismiss it.", None)
    if item.kind == "pending_story":
        _decide(item, moderator, "approved", note=note)
        from board.stories import services as stories

        before = target.status
        stories.publish_story(target, moderator)
        audit(moderator, "approve", item=item, story=target, reason=note,
              data={"before_status": before, "after_status": target.status})
        db.session.flush()
        return item
    if item.kind == "pending_post":
        _decide(item, moderator, "approved", note=note)
        if target.status != PENDING:
            raise RuleViolation("This post is no longer waiting for review.", None)
        set_post_status(target, PUBLISHED)
        if target.author is not None:
            target.author.approved_post_count = (target.author.approved_post_count or 0) + 1
            maybe_promote(target.author)
        notify(target.author, "post_approved", f"Your post in {_where(target)} was approved and is now public.",
               url=f"/posts/{target.id}", actor=moderator)
        if not target.is_first:
            notify_reply(target)
        audit(moderator, "approve", item=item, post=target, reason=note,
              data={"before_status": PENDING, "after_status": PUBLISHED})
        db.session.flush()
        return item
    # report / crisis: keep the content (a crisis item is "handled", in the log too)
    handled = item.kind == "crisis"
    _decide(item, moderator, "handled" if handled else "kept", note=note)
    before = target.status
    _restore_if_hidden(target, moderator)
    audit(moderator, "handled" if handled else "keep", item=item, post=item.post, story=item.story, reason=note,
          data={"before_status": before, "after_status": target.status})
    db.session.flush()
    return item


def _restore_if_hidden(target, moderator: User) -> None:
    from board.forum.services import set_post_status

    if target.status != HIDDEN:
        return
    if isinstance(target, Post):
        set_post_status(target, PUBLISHED)
        notify(target.author, "content_restored", f"Moderators looked at your post in {_where(target)} and it "
               "is visible again. Thank you for your patience.", url=f"/posts/{target.id}", actor=moderator)
    else:
        target.status = PUBLISHED
        notify(target.author, "content_restored", "Moderators looked at your story and it is visible again. "
               "Thank you for your patience.", actor=moderator)


def rejection_text(reason: CannedReason | str | None, note: str = "") -> str:
    text = reason.text if isinstance(reason, CannedReason) else (reason or "")
    note = clean_text(note).strip()
    return " ".join(p for p in (text.strip(), note) if p)


def reject(item: ModerationItem, moderator: User, reason: CannedReason | str | None, note: str = "") -> ModerationItem:
    """Return the content to its author privately, with a reason; they can edit and resubmit."""
    from board.forum.services import set_post_status

    if _adapter(item):  # MERGE(w14)
        return _adapter_decision(item, moderator, "reject", note=note, reason=reason)
    _ensure_open(item, moderator)

    if item.kind == "crisis":
        raise RuleViolation("Posts with crisis language stay published: mark it handled, edit it, or remove it "
                            "if it must go.", None)
    message = rejection_text(reason, note)
    if not message:
        raise RuleViolation("Please choose a reason or write a note for the author.", "reason")
    target = _target(item)
    if _gone(target):
        raise RuleViolation("The author deleted or took back this, so there is nothing to return. You can dismiss it.", None)
    if item.story_id:
        if item.kind != "pending_story":
            raise RuleViolation("A published story can be kept or removed; it can't be returned.", None)
        _decide(item, moderator, "rejected", note=message)
        from board.stories import services as stories

        before = target.status
        stories.reject_story(target, moderator, message)
        audit(moderator, "reject", item=item, story=target, reason=message,
              data={"before_status": before, "after_status": target.status})
        db.session.flush()
        return item
    _decide(item, moderator, "rejected", note=message)
    if target.status not in (PENDING, PUBLISHED, HIDDEN):
        raise RuleViolation("This post can't be returned in its current state.", None)
    before = target.status
    set_post_status(target, REJECTED)
    target.moderator_note = message
    notify(target.author, "post_rejected",
           f"A moderator returned your post in {_where(target)} to you: {message} Only you can see it; "
           "you can edit it and send it again.", url=f"/posts/{target.id}", actor=moderator)
    audit(moderator, "reject", item=item, post=target, reason=message,
          data={"before_status": before, "after_status": REJECTED})
    db.session.flush()
    return item


def edit_and_approve(item: ModerationItem, moderator: User, body: str, title: str | None = None,
                     note: str = "") -> ModerationItem:
    """Publish an edited version. The original stays in private history only."""
    from board.forum.services import clean_body, clean_title, notify_reply, set_post_status, slugify
    from board.markup import render_markdown

    if _adapter(item):  # MERGE(w14)
        return _adapter_decision(item, moderator, "edit_approve", note=note, body=body)
    _ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications

    target = _target(item)
    if _gone(target):
        raise RuleViolation("The author deleted or took back this, so there is nothing to edit.", None)
    if item.story_id:
        if item.kind != "pending_story":
            raise RuleViolation("Published stories are edited by their authors.", None)
        _decide(item, moderator, "edited", note=note)
        from board.stories import services as stories

        if target.has_pending_edit:
            current_title, current_body = target.pending_title or "", target.pending_body_source or ""
        else:
            current_title, current_body = target.title or "", target.body_source
        before_text = f"{current_title}\n\n{current_body}"
        stories.edit_and_publish_story(target, moderator, (title or current_title).strip(), body)
        audit(moderator, "edit_approve", item=item, story=target, reason=note, before=before_text,
              after=f"{title or ''}\n\n{body}", data={"before_status": PENDING, "after_status": target.status})
        db.session.flush()
        return item
    body = clean_body(body)
    new_title = clean_title(title) if (target.is_first and title) else None
    _decide(item, moderator, "edited", note=note)
    if target.status not in (PENDING, PUBLISHED, HIDDEN):
        raise RuleViolation("This post can't be edited in its current state.", None)
    before_status = target.status
    before_text = target.body_source
    before_title = target.thread.title
    db.session.add(PostRevision(post_id=target.id, editor_id=moderator.id, body_source=target.body_source,
                                body_html=target.body_html, created_at=utcnow(), private=True))
    target.body_source = body
    target.body_html = render_markdown(body)
    target.edited_at = utcnow()
    if new_title and new_title != before_title:
        target.thread.title = new_title
        target.thread.slug = slugify(new_title)
    set_post_status(target, PUBLISHED)
    if item.kind == "pending_post" and target.author is not None:
        target.author.approved_post_count = (target.author.approved_post_count or 0) + 1
        maybe_promote(target.author)
    notify(target.author, "post_approved", f"Your post in {_where(target)} is public. A moderator made a small "
           "edit before approving it" + (f": {note}" if note else "."), url=f"/posts/{target.id}", actor=moderator)
    if item.kind == "pending_post" and not target.is_first:
        notify_reply(target)
    audit(moderator, "edit_approve", item=item, post=target, reason=note, before=before_text, after=body,
          data={"before_status": before_status, "after_status": PUBLISHED, "before_title": before_title,
                "after_title": target.thread.title})
    db.session.flush()
    return item


def dismiss(item: ModerationItem, moderator: User, note: str = "") -> ModerationItem:
    """Reports were unfounded (or the content is gone): close the item, restore anything hidden."""

    if _adapter(item):  # MERGE(w14)
        return _adapter_decision(item, moderator, "dismiss", note=note)
    _ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications
    target = _target(item)
    if item.kind in ("pending_post", "pending_story") and not _gone(target):
        raise RuleViolation("Content waiting for review needs a decision: approve, return or remove it.", None)
    _decide(item, moderator, "gone" if _gone(target) else "dismissed", state=ITEM_DISMISSED, note=note)
    before = target.status if target is not None else ""
    if not _gone(target):
        _restore_if_hidden(target, moderator)
    audit(moderator, "dismiss", item=item, post=item.post, story=item.story, reason=note,
          data={"before_status": before, "after_status": target.status if target is not None else ""})
    db.session.flush()
    return item


def remove(item: ModerationItem, moderator: User, note: str = "") -> ModerationItem:
    from board.forum.services import set_post_status

    if _adapter(item):  # MERGE(w14)
        return _adapter_decision(item, moderator, "remove", note=note)
    _ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications

    target = _target(item)
    if _gone(target):
        raise RuleViolation("The author already deleted this. You can dismiss it.", None)
    _decide(item, moderator, "removed", note=note)
    before = target.status
    if item.story_id:
        from board.stories import services as stories

        stories.remove_story(target, moderator, note)
        notify(target.author, "content_removed", "A moderator removed your story" + (f": {note}" if note else ".")
               + " You can still read your own copy.", actor=moderator)
        audit(moderator, "remove", item=item, story=target, reason=note,
              data={"before_status": before, "after_status": target.status})
    else:
        set_post_status(target, REMOVED)
        target.moderator_note = note or target.moderator_note
        notify(target.author, "content_removed", f"A moderator removed your post in {_where(target)}"
               + (f": {note}" if note else "."), url=f"/posts/{target.id}", actor=moderator)
        audit(moderator, "remove", item=item, post=target, reason=note,
              data={"before_status": before, "after_status": REMOVED})
    db.session.flush()
    return item


def undo(item: ModerationItem, moderator: User) -> ModerationItem:
    """Reopen a decision made in the last 10 minutes and put the content back as it was."""
    from board.forum.services import set_post_status
    from board.markup import render_markdown

    check_may_act(item, moderator)
    if not can_undo(item, moderator):
        if item.state == ITEM_OPEN:
            raise Conflict("This item is open: there is no decision to undo.")
        raise Conflict("A decision can be undone only by the moderator who made it, within 10 minutes.")
    last = db.session.scalar(
        select(ModerationAction).where(ModerationAction.item_id == item.id, ModerationAction.action.in_(DECISIONS))
        .order_by(ModerationAction.id.desc()).limit(1)
    )
    if last is None:
        raise Conflict("There is no decision to undo.")
    now = utcnow()
    result = db.session.execute(
        update(ModerationItem).where(ModerationItem.id == item.id, ModerationItem.state == item.state,
                                     ModerationItem.resolved_at == item.resolved_at)
        .values(state=ITEM_OPEN, resolution="", resolved_by_id=None, resolved_at=None, note="",
                claimed_by_id=moderator.id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("Someone changed this item a moment ago. Nothing was changed.")
    db.session.refresh(item)
    before_status = (last.data or {}).get("before_status") or PENDING
    target = _target(item)
    kind = _adapter(item)
    if kind is not None and target is not None:  # MERGE(w14): kind.undo(target, moderator, Undone(...))
        kind.undo(target, moderator, Undone(action=last.action, before_status=before_status,
                                            before_text=last.before_text, data=dict(last.data or {}),
                                            pending=item.kind.startswith("pending_")))
        audit(moderator, "undo", item=item, **kind.audit_refs(target),
              data={"undone_action_id": last.id, "undone": last.action, **kind.audit_data(target)})
    elif item.story_id and target is not None:
        from board.stories import services as stories

        stories.return_story_to_pending(target, before_status if before_status in (PENDING, PUBLISHED, HIDDEN)
                                        else PENDING)
        audit(moderator, "undo", item=item, story=target, data={"undone_action_id": last.id,
                                                               "undone": last.action})
    elif target is not None:
        if last.action == "edit_approve":
            db.session.add(PostRevision(post_id=target.id, editor_id=moderator.id, body_source=target.body_source,
                                        body_html=target.body_html, created_at=now, private=True))
            target.body_source = last.before_text
            target.body_html = render_markdown(last.before_text)
            before_title = (last.data or {}).get("before_title")
            if target.is_first and before_title:
                from board.forum.services import slugify

                target.thread.title = before_title
                target.thread.slug = slugify(before_title)
        if last.action in ("approve", "edit_approve") and item.kind == "pending_post" and target.author:
            target.author.approved_post_count = max((target.author.approved_post_count or 0) - 1, 0)
        if last.action == "reject":
            target.moderator_note = ""
        set_post_status(target, before_status)
        if before_status == PENDING:
            notify(target.author, "post_review", f"A moderator is taking another look at your post in "
                   f"{_where(target)}.", url=f"/posts/{target.id}", actor=moderator)
        audit(moderator, "undo", item=item, post=target, data={"undone_action_id": last.id, "undone": last.action})
    db.session.flush()
    return item


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def bulk(item_ids, moderator: User, action: str, reason: CannedReason | None = None, note: str = "") -> BulkResult:
    """Approve or reject several items; each one on its own (a conflict skips only that item)."""
    if action not in ("approve", "reject"):
        raise RuleViolation("Choose approve or return.", "action")
    result = BulkResult()
    items = db.session.scalars(select(ModerationItem).where(ModerationItem.id.in_(list(item_ids)))
                               .options(*_item_loads()).order_by(ModerationItem.id))
    for item in items:
        try:
            with db.session.begin_nested():
                if action == "approve":
                    approve(item, moderator, note)
                else:
                    reject(item, moderator, reason, note)
        except (Conflict, RuleViolation, PermissionDenied) as exc:
            result.skipped.append((item.id, exc.message))
        else:
            result.done.append(item.id)
    return result




__all__ = [
    "BLOCK", "FLAG", "PUBLISH", "REVIEW", "Verdict", "screen", "status_for", "after_write", "report_content",
]
