"""What admins keep for moderators: watched words (screening) and canned reasons (rejections)."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from board.domain import RuleViolation
from board.extensions import db
from board.markup import clean_text
from board.models import CannedReason, User, WatchedWord, utcnow
from board.models.moderation import WORD_ACTIONS
from board.moderation.audit import audit
from board.permissions import PermissionDenied, is_admin

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def canned_reasons() -> list[CannedReason]:
    return list(db.session.scalars(select(CannedReason).order_by(CannedReason.position, CannedReason.id)))


def watched_words() -> list[WatchedWord]:
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.action, WatchedWord.phrase)))


def _clean_phrase(phrase: str) -> str:
    phrase = " ".join(clean_text(phrase).split()).lower()
    if len(phrase) < 2 or not any(c.isalnum() for c in phrase):
        raise RuleViolation("Please enter a word or phrase of at least 2 characters.", "phrase")
    if len(phrase) > 200:
        raise RuleViolation("Please keep the phrase to 200 characters or fewer.", "phrase")
    return phrase


def add_word(admin: User | None, phrase: str, action: str) -> WatchedWord:
    if admin is not None and not is_admin(admin):
        raise PermissionDenied("Only admins can edit watched words.")
    if action not in WORD_ACTIONS:
        raise RuleViolation("Choose block, review, flag or crisis.", "action")
    phrase = _clean_phrase(phrase)
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.phrase == phrase)):
        raise RuleViolation("That phrase is already on the list.", "phrase")
    word = WatchedWord(phrase=phrase, action=action, created_by_id=admin.id if admin else None, created_at=utcnow())
    db.session.add(word)
    db.session.flush()
    if admin is not None:
        audit(admin, "word_add", reason=phrase, data={"phrase": phrase, "action": action})
    return word


def change_word(admin: User, word: WatchedWord, action: str) -> None:
    if not is_admin(admin):
        raise PermissionDenied("Only admins can edit watched words.")
    if action not in WORD_ACTIONS:
        raise RuleViolation("Choose block, review, flag or crisis.", "action")
    before = word.action
    word.action = action
    audit(admin, "word_change", reason=word.phrase, data={"phrase": word.phrase, "before": before, "after": action})
    db.session.flush()


def delete_word(admin: User, word: WatchedWord) -> None:
    if not is_admin(admin):
        raise PermissionDenied("Only admins can edit watched words.")
    audit(admin, "word_delete", reason=word.phrase, data={"phrase": word.phrase, "action": word.action})
    db.session.delete(word)
    db.session.flush()


def add_reason(admin: User | None, title: str, text: str) -> CannedReason:
    if admin is not None and not is_admin(admin):
        raise PermissionDenied("Only admins can edit canned reasons.")
    title = " ".join(clean_text(title).split())
    text = clean_text(text).strip()
    if not title or len(title) > 120:
        raise RuleViolation("Please give the reason a short title (up to 120 characters).", "title")
    if not text:
        raise RuleViolation("Please write what the author will read.", "text")
    if db.session.scalar(select(CannedReason.id).where(CannedReason.title == title)):
        raise RuleViolation("A reason with that title already exists.", "title")
    position = (db.session.scalar(select(func.max(CannedReason.position))) or 0) + 1
    reason = CannedReason(title=title, text=text, position=position)
    db.session.add(reason)
    db.session.flush()
    if admin is not None:
        audit(admin, "reason_add", reason=title, after=text)
    return reason


def change_reason(admin: User, reason: CannedReason, title: str, text: str) -> None:
    if not is_admin(admin):
        raise PermissionDenied("Only admins can edit canned reasons.")
    title = " ".join(clean_text(title).split())
    text = clean_text(text).strip()
    if not title or not text:
        raise RuleViolation("Please fill in both the title and the text.", "text")
    clash = db.session.scalar(select(CannedReason.id).where(CannedReason.title == title, CannedReason.id != reason.id))
    if clash:
        raise RuleViolation("A reason with that title already exists.", "title")
    before = reason.text
    reason.title, reason.text = title, text
    audit(admin, "reason_change", reason=title, before=before, after=text)
    db.session.flush()


def delete_reason(admin: User, reason: CannedReason) -> None:
    if not is_admin(admin):
        raise PermissionDenied("Only admins can edit canned reasons.")
    audit(admin, "reason_delete", reason=reason.title, before=reason.text)
    db.session.delete(reason)
    db.session.flush()


def seed_moderation() -> tuple[int, int]:
    """Seed watched words and canned reasons from board/data (safe to run again)."""
    words = json.loads((DATA_DIR / "watched_words.json").read_text(encoding="utf-8"))
    existing = set(db.session.scalars(select(WatchedWord.phrase)))
    new_words = 0
    for entry in words:
        phrase = _clean_phrase(entry["phrase"])
        if phrase not in existing:
            db.session.add(WatchedWord(phrase=phrase, action=entry["action"], created_at=utcnow()))
            existing.add(phrase)
            new_words += 1
    reasons = json.loads((DATA_DIR / "canned_reasons.json").read_text(encoding="utf-8"))
    titles = set(db.session.scalars(select(CannedReason.title)))
    new_reasons = 0
    for position, entry in enumerate(reasons, start=1):
        if entry["title"] not in titles:
            db.session.add(CannedReason(title=entry["title"], text=entry["text"], position=position))
            new_reasons += 1
    db.session.flush()
    return new_words, new_reasons
