"""Moderators' decisions on queue items: approve (or keep), return, edit then approve, dismiss, remove, undo, bulk.

Each decision closes the item atomically (`claims.decide`), changes the content
through its kind (`board.moderation.kinds`), writes the audit row
(`ModerationAction`, append-only), `flush()`es and returns; the view commits once.
The content's own package tells its author.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.markup import clean_text
from board.models import HIDDEN, PENDING, CannedReason, ModerationAction, ModerationItem, Report, User, utcnow
from board.models.base import as_utc
from board.models.moderation import ITEM_DISMISSED, ITEM_OPEN
from board.moderation.audit import audit
from board.moderation.claims import CLAIM_MINUTES, check_may_act, decide, ensure_open
from board.moderation.kinds import Content, Undone, content_of
from board.moderation.queue import load_items
from board.notifications.services import notify
from board.permissions import PermissionDenied, is_admin

UNDO_MINUTES = 10
DECISIONS = ("approve", "reject", "edit_approve", "keep", "dismiss", "remove")


def _content(item: ModerationItem) -> Content:
    return content_of(item) or Content(None)


OUTCOMES = {  # resolution -> what reporters are told the moderator did
    "kept": "kept it", "handled": "kept it", "dismissed": "kept it", "approved": "kept it",
    "removed": "removed it", "rejected": "returned it to its author to change", "edited": "edited it",
}


def tell_reporters(item: ModerationItem, moderator: User, content: Content) -> int:
    """Every member who reported this item hears the outcome (never who decided, never the reason)."""
    outcome = OUTCOMES.get(item.resolution)
    if outcome is None:
        return 0
    label = content.kind.label if content.kind is not None else "content"
    url = ""
    if content.target is not None and item.resolution not in ("removed", "rejected"):
        try:
            url = content.kind.place(content.target).url or ""
        except Exception:  # noqa: BLE001 - a missing place never stops the notice
            url = ""
    told = 0
    for report in db.session.scalars(select(Report).where(Report.item_id == item.id)):
        if report.reporter is None:
            continue
        if notify(report.reporter, "report_outcome", f"A moderator reviewed the {label} you reported and {outcome}. "
                  "Thank you for helping to keep Circle safe.", url=url, actor=moderator) is not None:
            told += 1
    return told


def _restore_if_hidden(content: Content, moderator: User) -> None:
    if content.kind.status(content.target) == HIDDEN:
        content.kind.restore(content.target, moderator)


def approve(item: ModerationItem, moderator: User, note: str = "") -> ModerationItem:
    """Pending: publish. Report/crisis: keep (and restore if hidden)."""
    ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications
    content = _content(item)
    if item.kind == "crisis" and item.content_kind is None and item.user_id is not None:
        # About a member whose crisis words could not be posted: nothing to keep, only care to log
        decide(item, moderator, "handled", note=note)
        audit(moderator, "handled", item=item, target_user=item.user, reason=note,
              data={"before_status": "", "after_status": ""})
        db.session.flush()
        return item
    if content.gone:
        raise RuleViolation("The author deleted or took back this, so there is nothing to approve. You can dismiss it.", None)
    kind, target = content.kind, content.target
    if item.is_pending:
        decide(item, moderator, "approved", note=note)
        before = kind.status(target)
        kind.publish(target, moderator)
        audit(moderator, "approve", item=item, **kind.audit_refs(target), reason=note,
              data={**kind.audit_data(target), "before_status": before, "after_status": kind.status(target)})
    else:  # report / crisis: keep the content (a crisis item is "handled", in the log too)
        handled = item.kind == "crisis"
        decide(item, moderator, "handled" if handled else "kept", note=note)
        before = kind.status(target)
        _restore_if_hidden(content, moderator)
        audit(moderator, "handled" if handled else "keep", item=item, **kind.audit_refs(target), reason=note,
              data={**kind.audit_data(target), "before_status": before, "after_status": kind.status(target)})
    tell_reporters(item, moderator, content)
    db.session.flush()
    return item


def rejection_text(reason: CannedReason | str | None, note: str = "") -> str:
    text = reason.text if isinstance(reason, CannedReason) else (reason or "")
    note = clean_text(note).strip()
    return " ".join(p for p in (text.strip(), note) if p)


def reject(item: ModerationItem, moderator: User, reason: CannedReason | str | None, note: str = "") -> ModerationItem:
    """Return the content to its author privately, with a reason; they can edit and resubmit."""
    ensure_open(item, moderator)
    if item.kind == "crisis":
        raise RuleViolation("Posts with crisis language stay published: mark it handled, edit it, or remove it "
                            "if it must go.", None)
    message = rejection_text(reason, note)
    if not message:
        raise RuleViolation("Please choose a reason or write a note for the author.", "reason")
    content = _content(item)
    if content.gone:
        raise RuleViolation("The author deleted or took back this, so there is nothing to return. You can dismiss it.", None)
    kind, target = content.kind, content.target
    if not item.is_pending and not kind.returns_published:
        raise RuleViolation(f"A published {kind.label} can be kept or removed; it can't be returned.", None)
    kind.check_return(target, item.is_pending)
    decide(item, moderator, "rejected", note=message)
    before = kind.status(target)
    kind.return_to_author(target, moderator, message)
    audit(moderator, "reject", item=item, **kind.audit_refs(target), reason=message,
          data={**kind.audit_data(target), "before_status": before, "after_status": kind.status(target)})
    tell_reporters(item, moderator, content)
    db.session.flush()
    return item


def edit_and_approve(item: ModerationItem, moderator: User, body: str, title: str | None = None,
                     note: str = "") -> ModerationItem:
    """Publish an edited version. The original stays in private history only."""
    ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications
    content = _content(item)
    if content.gone:
        raise RuleViolation("The author deleted or took back this, so there is nothing to edit.", None)
    kind, target = content.kind, content.target
    if not item.is_pending and not kind.edits_published:
        raise RuleViolation(f"Published {kind.plural} are edited by their authors.", None)
    title, body = kind.check_edit(target, item.is_pending, title, body)
    decide(item, moderator, "edited", note=note)
    before_status = kind.status(target)
    edit = kind.edit_and_publish(target, moderator, title, body, note, item.is_pending)
    audit(moderator, "edit_approve", item=item, **kind.audit_refs(target), reason=note, before=edit.before,
          after=edit.after, data={**kind.audit_data(target), "before_status": before_status,
                                  "after_status": kind.status(target), **edit.data})
    tell_reporters(item, moderator, content)
    db.session.flush()
    return item


def dismiss(item: ModerationItem, moderator: User, note: str = "") -> ModerationItem:
    """Reports were unfounded (or the content is gone, or of a kind no longer installed): close, restore."""
    ensure_open(item, moderator)
    note = clean_text(note)  # no NUL/control characters in notes, audit rows or notifications
    content = _content(item)
    if item.is_pending and not content.gone:
        raise RuleViolation("Content waiting for review needs a decision: approve, return or remove it.", None)
    decide(item, moderator, "gone" if content.gone else "dismissed", state=ITEM_DISMISSED, note=note)
    if content.kind is None or content.target is None:
        audit(moderator, "dismiss", item=item, reason=note, data={"before_status": "", "after_status": ""})
    else:
        kind, target = content.kind, content.target
        before = kind.status(target)
        if not content.gone:
            _restore_if_hidden(content, moderator)
        audit(moderator, "dismiss", item=item, **kind.audit_refs(target), reason=note,
              data={**kind.audit_data(target), "before_status": before, "after_status": kind.status(target)})
        if not content.gone:
            tell_reporters(item, moderator, content)
    db.session.flush()
    return item


def remove(item: ModerationItem, moderator: User, reason: CannedReason | str | None, note: str = "") -> ModerationItem:
    """Take the content down for everyone. Needs a reason (canned, written, or both): its author reads it."""
    ensure_open(item, moderator)
    note = rejection_text(reason, note)  # also strips NUL/control characters
    if not note:
        raise RuleViolation("Please choose a reason or write a note for the author: they are told why.", "reason")
    content = _content(item)
    if content.gone:
        raise RuleViolation("The author already deleted this. You can dismiss it.", None)
    kind, target = content.kind, content.target
    decide(item, moderator, "removed", note=note)
    before = kind.status(target)
    kind.remove(target, moderator, note)
    audit(moderator, "remove", item=item, **kind.audit_refs(target), reason=note,
          data={**kind.audit_data(target), "before_status": before, "after_status": kind.status(target)})
    tell_reporters(item, moderator, content)
    db.session.flush()
    return item


def can_undo(item: ModerationItem, moderator: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if item.state == ITEM_OPEN or item.resolved_at is None or item.resolution in ("", "gone"):
        return False
    if item.resolved_by_id != moderator.id and not is_admin(moderator):
        return False
    return now - as_utc(item.resolved_at) <= timedelta(minutes=UNDO_MINUTES)


def undo(item: ModerationItem, moderator: User) -> ModerationItem:
    """Reopen a decision made in the last 10 minutes and put the content back as it was."""
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
    content = _content(item)
    if content.kind is not None and content.target is not None:
        kind, target = content.kind, content.target
        undone = Undone(action=last.action, before_status=(last.data or {}).get("before_status") or PENDING,
                        before_text=last.before_text or "", data=dict(last.data or {}), pending=item.is_pending)
        kind.undo(target, moderator, undone)
        audit(moderator, "undo", item=item, **kind.audit_refs(target),
              data={**kind.audit_data(target), "undone_action_id": last.id, "undone": last.action})
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
    for item in load_items(item_ids):
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

