"""In-app notifications (email copies arrive with the mail outbox)."""
from __future__ import annotations

from sqlalchemy import func, select, update

from board.extensions import db
from board.models import ConversationMember, Notification, User, utcnow


def notify(user: User | None, kind: str, text: str, url: str = "", actor: User | None = None) -> Notification | None:
    """Tell `user` something. Nobody is notified of their own action; memorial and deleted accounts get nothing."""
    if user is None or user.deleted_at is not None or user.memorial_at is not None:
        return None
    if actor is not None and actor.id == user.id:
        return None
    note = Notification(user_id=user.id, kind=kind, text=text[:1000], url=url, actor_id=actor.id if actor else None)
    db.session.add(note)
    return note


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def header_count_columns(viewer):
    """The navigation's three counts as scalar subqueries for `viewer` (an id or a bound parameter):
    unread notifications, conversations with unread messages, message requests waiting. Pages that
    already run a query for the member add these as columns instead of a query of their own."""
    notes = select(func.count(Notification.id)).where(
        Notification.user_id == viewer, Notification.read_at.is_(None)).scalar_subquery()
    unread = select(func.count(ConversationMember.id)).where(
        ConversationMember.user_id == viewer, ConversationMember.unread_count > 0,
        ConversationMember.state == "active").scalar_subquery()
    requests = select(func.count(ConversationMember.id)).where(
        ConversationMember.user_id == viewer, ConversationMember.state == "request",
        ConversationMember.last_activity_at.is_not(None)).scalar_subquery()
    return notes.label("unread_notifications"), unread.label("unread_messages"), requests.label("message_requests")


def header_counts(user: User) -> tuple[int, int, int]:
    """(unread notifications, conversations with unread messages, message requests) in one query."""
    row = db.session.execute(select(*header_count_columns(user.id))).one()
    return tuple(n or 0 for n in row)


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


PAGE_SIZE = 50


def recent(user: User, before_id: int | None = None, limit: int = PAGE_SIZE) -> list[Notification]:
    """Newest first, keyset on id."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def mark_read(user: User, note: Notification) -> None:
    if note.user_id == user.id and note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
