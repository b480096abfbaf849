"""Reading the moderation queue: summaries, pages of items with their content, an author's history.

Pages run a fixed number of queries: items with their people and reports by
`selectinload`, then each kind's content in one `kind.load` per kind present
(`board.moderation.kinds.load_contents`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from board.extensions import db
from board.models import ModerationAction, ModerationItem, Post, Report, Sanction, utcnow
from board.models.base import as_utc
from board.models.moderation import ITEM_OPEN, PRIORITY_URGENT
from board.moderation.kinds import load_contents, queue_kinds

OLD_ITEM_HOURS = 24


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
    summary = QueueSummary(counts={k: 0 for k in queue_kinds()})
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


def _item_loads():
    return (
        selectinload(ModerationItem.subject_user),
        selectinload(ModerationItem.claimed_by),
        selectinload(ModerationItem.resolved_by),
        selectinload(ModerationItem.reports).selectinload(Report.reporter),
    )


def queue_items(*, kind: str | None = None, topic_id: int | None = None, limit: int = 50) -> list[ModerationItem]:
    """Open items with their content: urgent first, then oldest first."""
    stmt = select(ModerationItem).where(ModerationItem.state == ITEM_OPEN)
    if kind:
        stmt = stmt.where(ModerationItem.kind == kind)
    if topic_id:
        stmt = stmt.where(ModerationItem.topic_id == topic_id)
    stmt = stmt.options(*_item_loads()).order_by(
        ModerationItem.priority.desc(), ModerationItem.created_at.asc(), ModerationItem.id.asc()).limit(limit)
    items = list(db.session.scalars(stmt))
    load_contents(items)
    return items


def load_item(item_id: int) -> ModerationItem | None:
    item = db.session.scalar(select(ModerationItem).where(ModerationItem.id == item_id).options(*_item_loads()))
    if item is not None:
        load_contents([item])
    return item


def load_items(item_ids) -> list[ModerationItem]:
    items = list(db.session.scalars(select(ModerationItem).where(ModerationItem.id.in_(list(item_ids)))
                                    .options(*_item_loads()).order_by(ModerationItem.id)))
    load_contents(items)
    return items


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


def author_recent_posts(user_id: int | None, limit: int = 10) -> list[Post]:
    """The author's recent forum posts, shown beside an item and on a member's page."""
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
