"""Who may act on a queue item, and claiming it: one moderator at a time, never two decisions.

Every decision starts with one conditional ``UPDATE`` on the item (``WHERE
state='open' AND`` not claimed by someone else) and checks the row count, so two
moderators can never both act; "next item" uses ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from board.domain import Conflict
from board.extensions import db
from board.markup import clean_text
from board.models import ModerationItem, User, utcnow
from board.models.base import as_utc
from board.models.moderation import ITEM_OPEN, ITEM_RESOLVED
from board.permissions import PermissionDenied, is_moderator

CLAIM_MINUTES = 15


def _claimable(moderator: User, now: datetime):
    return and_(
        ModerationItem.state == ITEM_OPEN,
        or_(ModerationItem.claimed_by_id.is_(None), ModerationItem.claimed_by_id == moderator.id,
            ModerationItem.claimed_until < now),
    )


def conflict(item: ModerationItem, moderator: User) -> Conflict:
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
        .values(claimed_by_id=moderator.id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES),
                first_claimed_at=func.coalesce(ModerationItem.first_claimed_at, now))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise conflict(item, moderator)
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
            .values(claimed_by_id=moderator.id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES),
                first_claimed_at=func.coalesce(ModerationItem.first_claimed_at, now))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            item = db.session.get(ModerationItem, item_id)
            db.session.refresh(item)
            return item
    return None


def decide(item: ModerationItem, moderator: User, resolution: str, *, state: str = ITEM_RESOLVED,
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
        raise conflict(item, moderator)
    db.session.refresh(item)


def ensure_open(item: ModerationItem, moderator: User) -> None:
    """Checked first, so a late click on a handled item says who handled it and changes nothing."""
    check_may_act(item, moderator)
    if item.state != ITEM_OPEN:
        raise conflict(item, moderator)
