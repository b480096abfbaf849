"""The moderators' queue, member reports, watched words and the audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

ITEM_KINDS = ("pending_post", "pending_story", "pending_message", "report", "crisis")
PRIORITY_NORMAL = 0
PRIORITY_HIGH = 1
PRIORITY_URGENT = 2
ITEM_OPEN = "open"
ITEM_RESOLVED = "resolved"
ITEM_DISMISSED = "dismissed"

REPORT_REASONS = {
    "spam": "Spam",
    "unkind": "Unkind or harassment",
    "misinformation": "Medical misinformation",
    "private_info": "Private information (someone's phone number, address, doctor's name)",
    "at_risk": "Someone may be at risk",
    "other": "Other",
}
WORD_ACTIONS = ("block", "review", "flag", "crisis")  # "crisis": counts as crisis language


class ModerationItem(Base):
    __tablename__ = "moderation_items"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN message_id IS NULL THEN 0 ELSE 1 END)"  # MERGE(w14): message_id → (kind, target_id)
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        CheckConstraint("kind IN ('pending_post', 'pending_story', 'pending_message', 'report', 'crisis')",
                        name="kind_known"),
        CheckConstraint("state IN ('open', 'resolved', 'dismissed')", name="state_known"),
        Index("ix_moderation_items_queue", "state", "priority", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(default=PRIORITY_NORMAL)
    state: Mapped[str] = mapped_column(String(12), default=ITEM_OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    # MERGE(w14): private messages (issue 15) until items refer to content by (content_kind, target_id)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    # Whose content this is (for "moderators cannot act on their own content")
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    reasons: Mapped[list] = mapped_column(JSON, default=list)  # why it is here (rules' reasons)
    report_weight: Mapped[float] = mapped_column(Float, default=0.0)

    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    post = relationship("Post", foreign_keys=[post_id])
    story = relationship("Story", foreign_keys=[story_id])
    message = relationship("Message", foreign_keys=[message_id])  # MERGE(w14): see message_id
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    reports: Mapped[list[Report]] = relationship(back_populates="item", order_by="Report.id")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("item_id", "reporter_id", name="uq_reports_item_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("moderation_items.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[ModerationItem] = relationship(back_populates="reports")
    reporter: Mapped[User | None] = relationship()

    @property
    def reason_label(self) -> str:
        return REPORT_REASONS.get(self.reason, self.reason)


class ModerationAction(Base):
    """The audit log: append-only. No code path updates or deletes these rows."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_items.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    before_text: Mapped[str] = mapped_column(Text, default="")
    after_text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class WatchedWord(Base):
    __tablename__ = "watched_words"
    __table_args__ = (CheckConstraint("action IN ('block', 'review', 'flag', 'crisis')", name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(200), unique=True)
    action: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CannedReason(Base):
    """Editable reasons a moderator picks from when returning a post or story."""

    __tablename__ = "canned_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
