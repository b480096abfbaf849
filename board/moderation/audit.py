"""The moderation audit log: every moderator and admin action is one append-only row.

`audit()` writes the row in the caller's transaction; rows are never changed or
deleted (enforced below for the ORM and for bulk statements). The log page reads
them with `log_entries()`.
"""
from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from board.extensions import db
from board.markup import clean_text
from board.models import ModerationAction, ModerationItem, Post, Story, Thread, User, utcnow

# Audit actions and how the log names them.
ACTION_LABELS = {
    "approve": "Approved",
    "reject": "Returned to author",
    "edit_approve": "Edited and approved",
    "keep": "Kept after reports",
    "handled": "Marked crisis as handled",
    "page_edit": "Edited a site page",
    "dismiss": "Dismissed",
    "remove": "Removed",
    "undo": "Undid a decision",
    "hide": "Hid (moderator report)",
    "auto_hide": "Hidden by member reports",
    "lock": "Locked thread", "unlock": "Unlocked thread",
    "pin": "Pinned thread", "unpin": "Unpinned thread",
    "feature": "Featured story", "unfeature": "Stopped featuring story",
    "move": "Moved thread", "rename": "Renamed thread",
    "warn": "Warned", "silence": "Silenced", "suspend": "Suspended",
    "lift_silence": "Lifted silence", "lift_suspension": "Lifted suspension",
    "set_trust": "Set trust level",
    # board/messages: a moderator read a private message through a queue item, or wrote to a member
    "view_private": "Read a private message (queue item)",
    "message_member": "Messaged a member as Circle moderators",
    "word_add": "Added watched phrase", "word_change": "Changed watched phrase", "word_delete": "Deleted watched phrase",
    "reason_add": "Added canned reason", "reason_change": "Changed canned reason", "reason_delete": "Deleted canned reason",
    # board/privacy (never any personal data in these rows)
    "account_deleted": "Account deleted by its member", "memorial": "Marked in memoriam",
    "members_only_on": "Made a topic members-only", "members_only_off": "Opened a topic to everyone",
    # board/auth/cli.py
    "second_factor_reset": "Reset two-factor authentication",
}


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _audit_rows_never_change(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, ModerationAction):
            raise AuditLogIsAppendOnly("Audit log rows (ModerationAction) are never deleted.")
    for obj in session.dirty:
        if isinstance(obj, ModerationAction) and session.is_modified(obj, include_collections=False):
            raise AuditLogIsAppendOnly("Audit log rows (ModerationAction) are never changed.")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_audit_changes(state):
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is ModerationAction:
        raise AuditLogIsAppendOnly("Audit log rows (ModerationAction) are never changed or deleted.")


def audit(moderator: User | None, action: str, *, item: ModerationItem | None = None, post: Post | None = None,
          thread: Thread | None = None, story: Story | None = None, target_user: User | None = None,
          reason: str = "", before: str = "", after: str = "", data: dict | None = None) -> ModerationAction:
    if post is not None and thread is None:
        thread = post.thread
    if target_user is None:
        owner = (post.author if post is not None else None) or (story.author if story is not None else None)
        target_user = owner
    row = ModerationAction(
        moderator_id=moderator.id if moderator else None, action=action,
        item_id=item.id if item else None, post_id=post.id if post else None,
        thread_id=thread.id if thread else None, story_id=story.id if story else None,
        target_user_id=target_user.id if target_user else None,
        reason=clean_text(reason), before_text=before or "", after_text=after or "", data=data or {},
        created_at=utcnow(),
    )
    db.session.add(row)
    return row


def log_entries(*, moderator_id: int | None = None, user_id: int | None = None, action: str | None = None,
                before_id: int | None = None, limit: int = 50) -> list[ModerationAction]:
    stmt = select(ModerationAction).options(
        selectinload(ModerationAction.moderator), selectinload(ModerationAction.target_user))
    if moderator_id:
        stmt = stmt.where(ModerationAction.moderator_id == moderator_id)
    if user_id:
        stmt = stmt.where(ModerationAction.target_user_id == user_id)
    if action:
        stmt = stmt.where(ModerationAction.action == action)
    if before_id:
        stmt = stmt.where(ModerationAction.id < before_id)
    return list(db.session.scalars(stmt.order_by(ModerationAction.id.desc()).limit(limit)))


def staff_members() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.in_(("moderator", "admin"))).order_by(User.username)))
