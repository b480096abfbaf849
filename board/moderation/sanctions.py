"""Actions on members: warn, silence, suspend, lift, set a trust level. Each is audited; sanctions tell the member."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.markup import clean_text
from board.models import Sanction, User, utcnow
from board.moderation.audit import audit
from board.notifications.services import notify
from board.permissions import PermissionDenied, can_moderate_user

SILENCE_DAYS = (1, 3, 7, 30)
SUSPEND_DAYS = (1, 3, 7, 30, 90, 365)
INDEFINITE = datetime(9999, 12, 31, tzinfo=UTC)


def _require_can_sanction(moderator: User, user: User) -> None:
    if not can_moderate_user(moderator, user):
        if moderator.id == user.id:
            raise PermissionDenied("You can't take moderator actions on yourself.")
        raise PermissionDenied("Moderators can't take these actions on admins or other moderators.")


def _fmt(until: datetime) -> str:
    if until >= INDEFINITE - timedelta(days=1):
        return "until further notice"
    return f"until {until.strftime('%d %B %Y at %H:%M UTC')}"


def warn(moderator: User, user: User, reason: str) -> Sanction:
    _require_can_sanction(moderator, user)
    reason = clean_text(reason).strip()
    if not reason:
        raise RuleViolation("Please write the reason: the member will read it.", "reason")
    sanction = Sanction(user_id=user.id, moderator_id=moderator.id, kind="warn", reason=reason, created_at=utcnow())
    db.session.add(sanction)
    notify(user, "warned", f"A message from the moderators: {reason}", actor=moderator)
    audit(moderator, "warn", target_user=user, reason=reason)
    db.session.flush()
    return sanction


def silence(moderator: User, user: User, days: int, reason: str) -> Sanction:
    _require_can_sanction(moderator, user)
    if days not in SILENCE_DAYS:
        raise RuleViolation("Choose 1, 3, 7 or 30 days.", "days")
    reason = clean_text(reason).strip()
    if not reason:
        raise RuleViolation("Please write the reason: the member will read it.", "reason")
    now = utcnow()
    until = now + timedelta(days=days)
    user.silenced_until = until
    sanction = Sanction(user_id=user.id, moderator_id=moderator.id, kind="silence", reason=reason,
                        created_at=now, ends_at=until)
    db.session.add(sanction)
    notify(user, "silenced", f"A moderator has paused your posting {_fmt(until)}: {reason} "
           "You can still read everything.", actor=moderator)
    audit(moderator, "silence", target_user=user, reason=reason, data={"days": days, "until": until.isoformat()})
    db.session.flush()
    return sanction


def suspend(moderator: User, user: User, days: int | None, reason: str) -> Sanction:
    """Suspend for `days` (None: indefinitely). Their sessions end at once."""
    _require_can_sanction(moderator, user)
    if days is not None and days not in SUSPEND_DAYS:
        raise RuleViolation("Choose a listed period or “until further notice”.", "days")
    reason = clean_text(reason).strip()
    if not reason:
        raise RuleViolation("Please write the reason: the member will read it.", "reason")
    now = utcnow()
    until = INDEFINITE if days is None else now + timedelta(days=days)
    user.suspended_until = until
    user.suspension_reason = reason
    user.rotate_session_token()
    sanction = Sanction(user_id=user.id, moderator_id=moderator.id, kind="suspend", reason=reason,
                        created_at=now, ends_at=None if days is None else until)
    db.session.add(sanction)
    notify(user, "suspended", f"Your account was suspended {_fmt(until)}: {reason}", actor=moderator)
    audit(moderator, "suspend", target_user=user, reason=reason,
          data={"days": days, "until": None if days is None else until.isoformat()})
    db.session.flush()
    return sanction


def lift(moderator: User, user: User, kind: str, reason: str = "") -> None:
    """Lift a silence or a suspension early."""
    _require_can_sanction(moderator, user)
    now = utcnow()
    if kind == "silence":
        if not user.is_silenced(now):
            raise RuleViolation("This member isn't silenced.", None)
        user.silenced_until = None
        message = "The moderators lifted the pause on your posting. Welcome back."
    elif kind == "suspend":
        if not user.is_suspended(now):
            raise RuleViolation("This member isn't suspended.", None)
        user.suspended_until = None
        user.suspension_reason = ""
        message = "Your suspension was lifted. Welcome back."
    else:
        raise RuleViolation("Unknown action.", None)
    for sanction in db.session.scalars(select(Sanction).where(
            Sanction.user_id == user.id, Sanction.kind == kind, Sanction.lifted_at.is_(None))):
        sanction.lifted_at = now
    notify(user, "sanction_lifted", message, actor=moderator)
    audit(moderator, "lift_silence" if kind == "silence" else "lift_suspension", target_user=user, reason=reason)
    db.session.flush()


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
