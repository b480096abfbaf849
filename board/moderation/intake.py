"""What comes into the moderation queue: the entry points for content packages.

Writers (the forum, stories, later messages and images) import only this module
of moderation (besides the contract in `kinds.py` that their adapter implements):

* ``screen(author, text, kind, context) -> Verdict`` with ``kind`` one of
  ``"thread"``, ``"reply"``, ``"edit"``, ``"story"`` (the rules' word for the
  write). ``verdict.action`` is ``publish | review | flag | block``; on ``block``
  refuse the write with ``verdict.message`` (keep the author's text in the form).
  ``verdict.crisis`` means crisis language: never hold the content back for it.
  ``context["recent_texts"]`` may be a callable ``since -> [(text, created_at,
  thread_id)]`` for the duplicate rule; screen picks the window.
* ``status_for(verdict) -> "published" | "pending"``.
* ``after_write(author=, verdict=, target=)`` after the content is flushed.
  Content that waits for review (``kind.awaits_review``) gets one open
  ``pending_<kind>`` item (urgent when ``verdict.crisis``); published content with
  a crisis verdict gets an urgent ``crisis`` item (or raises an open item to
  urgent), a ``flag`` verdict a ``report`` item with the rules' reasons.
* ``report_content(reporter, reason, note, *, target) -> Report``: raises
  ``RuleViolation`` (clear message) for an unknown reason, a missing note for
  "other", a duplicate or a self report, content that can't be reported;
  ``PermissionDenied`` for silenced, suspended or unverified members. When the
  open reports' weight reaches ``BOARD_REPORT_HIDE_WEIGHT`` (a moderator's report
  at once) the content is hidden through its kind (``kind.hide``).
* ``maybe_promote(user)``: trust level 0 → 1, and 1 → 2 (adapters call it when they publish).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.markup import clean_text
from board.models import PUBLISHED, ModerationItem, Report, Sanction, User, WatchedWord, utcnow
from board.models.base import as_utc
from board.models.moderation import ITEM_OPEN, PRIORITY_NORMAL, PRIORITY_URGENT, REPORT_REASONS
from board.moderation import rules
from board.moderation.audit import audit
from board.moderation.kinds import ModeratedKind, kind_for, pending_kind
from board.moderation.rules import FLAG, PUBLISH, Verdict, evaluate
from board.notifications.services import notify
from board.permissions import PermissionDenied

PENDING = "pending"


def config(name: str, default):
    if has_app_context():
        return current_app.config.get(name, default)
    return default


# ================================================================ screening

def screen(author: User, text: str, kind: str, context: dict | None = None) -> Verdict:
    """Decide what happens to new or edited content (see the module docstring)."""
    maybe_promote(author)
    now = utcnow()
    ctx = {"kind": kind, "now": now, "max_links": config("BOARD_NEW_MEMBER_MAX_LINKS", rules.DEFAULT_MAX_LINKS)}
    ctx.update(context or {})
    ctx["kind"] = kind
    ctx["watched_words"] = [tuple(row) for row in db.session.execute(select(WatchedWord.phrase, WatchedWord.action))]
    if callable(ctx.get("recent_texts")):
        ctx["recent_texts"] = ctx["recent_texts"](now - rules.DUPLICATE_WINDOW)
    return evaluate(author, text, ctx)


def status_for(verdict: Verdict) -> str:
    return PUBLISHED if verdict.action in (PUBLISH, FLAG) else PENDING


def after_write(*, author: User, verdict: Verdict, target) -> None:
    """Queue the content for moderators when the verdict (or its status) asks for it."""
    kind = kind_for(target)
    if kind.awaits_review(target):
        item = open_item(kind, target, kinds=(pending_kind(kind.name),))
        priority = PRIORITY_URGENT if verdict.crisis else verdict.priority
        reasons = list(verdict.reasons) or ([kind.review_reason] if kind.review_reason else [])
        if item is None:
            new_item(pending_kind(kind.name), kind, target, priority=priority, reasons=reasons)
        else:
            merge(item, priority, verdict.reasons)
    elif verdict.crisis or verdict.action == FLAG:
        item = open_item(kind, target)
        if item is None:
            new_item("crisis" if verdict.crisis else "report", kind, target, priority=verdict.priority,
                     reasons=list(verdict.reasons))
        else:
            merge(item, verdict.priority, verdict.reasons)
    db.session.flush()


# ================================================================ queue items

def open_item(kind: ModeratedKind, target, kinds=None) -> ModerationItem | None:
    stmt = select(ModerationItem).where(ModerationItem.state == ITEM_OPEN, ModerationItem.content_kind == kind.name,
                                        ModerationItem.target_id == target.id)
    if kinds:
        stmt = stmt.where(ModerationItem.kind.in_(kinds))
    return db.session.scalar(stmt.order_by(ModerationItem.id).limit(1))


def new_item(item_kind: str, kind: ModeratedKind, target, *, priority: int = PRIORITY_NORMAL,
             reasons: list[str] | None = None) -> ModerationItem:
    if target.id is None:
        raise ValueError("flush the content before queueing it")
    item = ModerationItem(
        kind=item_kind, priority=priority, state=ITEM_OPEN, reasons=list(dict.fromkeys(reasons or [])),
        content_kind=kind.name, target_id=target.id, topic_id=kind.topic_id(target),
        subject_user_id=kind.author_id(target), created_at=utcnow(),
    )
    db.session.add(item)
    db.session.flush()
    if priority >= PRIORITY_URGENT:
        _alert_moderators(item)
    return item


UNPOSTED_WORDS = "Their words: "  # how an item about unposted crisis words keeps them (see below)
UNPOSTED_MAX = 4000


def alert_unposted_crisis(author: User, text: str, why: str) -> ModerationItem:
    """Crisis words a member could not post (silenced, suspended, unconfirmed address, a topic she
    may not write in): her text went back to her with the helplines, and moderators hear of it all
    the same: an urgent item about her (not about content: nothing was saved), carrying her words.
    One open item per member; a second attempt adds its words to it."""
    words = UNPOSTED_WORDS + clean_text(text).strip()[:UNPOSTED_MAX]
    reason = f"Crisis words in something they could not post ({clean_text(why).strip()[:300]})"
    item = db.session.scalar(
        select(ModerationItem).where(ModerationItem.state == ITEM_OPEN, ModerationItem.kind == "crisis",
                                     ModerationItem.content_kind.is_(None), ModerationItem.user_id == author.id)
        .order_by(ModerationItem.id).limit(1))
    if item is not None:
        merge(item, PRIORITY_URGENT, [reason, words])
        return item
    item = ModerationItem(kind="crisis", priority=PRIORITY_URGENT, state=ITEM_OPEN, reasons=[reason, words],
                          user_id=author.id, subject_user_id=author.id, created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    _alert_moderators(item)
    return item


def unposted_words(item: ModerationItem) -> str:
    """The words kept on an item about unposted crisis words ("" for any other item)."""
    if item.content_kind is not None:
        return ""
    return "\n\n".join(r[len(UNPOSTED_WORDS):] for r in (item.reasons or []) if r.startswith(UNPOSTED_WORDS))


def merge(item: ModerationItem, priority: int, reasons) -> None:
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


def first_posts_reviewed(user: User | None) -> bool:
    """Will a moderator read this member's next post before it appears? (Forms say so before she writes.)"""
    return bool(user is not None and getattr(user, "role", "member") == "member" and (user.trust_level or 0) < 1)


def maybe_promote(user: User | None, now: datetime | None = None) -> bool:
    """Level 0 → 1 after BOARD_TRUST_POSTS approved posts and BOARD_TRUST_DAYS since joining;
    level 1 → 2 ("established": links in private messages) after BOARD_TRUST2_POSTS approved posts
    and BOARD_TRUST2_DAYS, with no sanction in the last 90 days (one query, only once the counts
    are reached)."""
    if user is None or user.id is None or user.role != "member" or (user.trust_level or 0) >= 2:
        return False
    now = now or utcnow()
    joined = as_utc(user.created_at)
    if (user.trust_level or 0) < 1:
        posts = config("BOARD_TRUST_POSTS", 3)
        days = config("BOARD_TRUST_DAYS", 2)
        if (user.approved_post_count or 0) < posts or joined > now - timedelta(days=days):
            return False
        user.trust_level = 1
        notify(user, "trust", "Welcome as a full member of Circle: your posts now appear straight away.")
        return True
    posts = config("BOARD_TRUST2_POSTS", 20)
    days = config("BOARD_TRUST2_DAYS", 30)
    if (user.approved_post_count or 0) < posts or joined > now - timedelta(days=days):
        return False
    recent = db.session.scalar(select(Sanction.id).where(
        Sanction.user_id == user.id, Sanction.created_at >= now - timedelta(days=SANCTION_FREE_DAYS)).limit(1))
    if recent is not None:
        return False
    user.trust_level = 2
    notify(user, "trust", "You are now an established member of Circle: thank you for being part of it.")
    return True


# ================================================================ reports

def report_weight(reporter: User) -> float:
    if reporter.is_staff:
        return float(config("BOARD_REPORT_HIDE_WEIGHT", 3.0))
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


def report_content(reporter: User, reason: str, note: str = "", *, target) -> Report:
    """A member reports a piece of content of any registered kind (see the module docstring)."""
    require_can_report(reporter)
    if reason not in REPORT_REASONS:
        raise RuleViolation("Please choose one of the reasons.", "reason")
    # clean_text: no NUL or other control characters (PostgreSQL refuses NUL in text: a 500).
    note = clean_text(note).strip()
    if reason == "other" and not note:
        raise RuleViolation("Please tell the moderators a little about the problem.", "note")
    if len(note) > 1000:
        raise RuleViolation("Please keep the note to 1,000 characters or fewer.", "note")
    if target is None:
        raise RuleViolation("There is nothing to report.", None)
    kind = kind_for(target)
    kind.check_report(target, reporter)

    item = open_item(kind, target)
    if item is None:
        item = new_item("report", kind, target, reasons=[])
    elif db.session.scalar(select(Report.id).where(Report.item_id == item.id, Report.reporter_id == reporter.id)):
        raise RuleViolation("You've already reported this. Moderators will look at it — thank you.", None)

    # "Someone may be at risk" goes urgent but never counts towards hiding: a
    # person in crisis must not find their words hidden.
    weight = 0.0 if reason == "at_risk" else report_weight(reporter)
    report = Report(item_id=item.id, reporter_id=reporter.id, reason=reason, note=note, weight=weight,
                    created_at=utcnow())
    db.session.add(report)
    label = REPORT_REASONS[reason].split(" (")[0]
    merge(item, PRIORITY_URGENT if reason == "at_risk" else item.priority, [f"Reported: {label}"])
    item.report_weight = (item.report_weight or 0) + weight
    db.session.flush()
    threshold = float(config("BOARD_REPORT_HIDE_WEIGHT", 3.0))
    if weight > 0 and item.report_weight >= threshold and kind.status(target) == PUBLISHED:
        moderator = reporter if reporter.is_staff else None
        kind.hide(target)
        audit(moderator, "hide" if moderator else "auto_hide", item=item, **kind.audit_refs(target),
              data={**kind.audit_data(target), "before_status": PUBLISHED, "after_status": kind.status(target),
                    "weight": item.report_weight})
    db.session.flush()
    return report
