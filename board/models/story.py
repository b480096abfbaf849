"""Member stories ("voices"): moderated, signed as the author chooses, withdrawable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

DRAFT = "draft"
WITHDRAWN = "withdrawn"
STORY_STATUSES = ("draft", "pending", "published", "hidden", "rejected", "removed", "withdrawn")

SIGNATURE_STYLES = ("full", "initial", "first", "display", "anonymous")


class Story(Base):
    __tablename__ = "stories"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'pending', 'published', 'hidden', 'rejected', 'removed', 'withdrawn')",
            name="status_known",
        ),
        CheckConstraint(
            "signature_style IN ('full', 'initial', 'first', 'display', 'anonymous')", name="signature_known"
        ),
        Index("ix_stories_listing", "status", "featured", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(150), default="")
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    prompt: Mapped[str] = mapped_column(String(40), default="")

    # Signature as chosen for this story; the name parts are copied at submission
    signature_style: Mapped[str] = mapped_column(String(12), default="first")
    sig_first_name: Mapped[str] = mapped_column(String(60), default="")
    sig_last_initial: Mapped[str] = mapped_column(String(2), default="")
    sig_city: Mapped[str] = mapped_column(String(80), default="")
    sig_region: Mapped[str] = mapped_column(String(80), default="")
    signature: Mapped[str] = mapped_column(String(200), default="")  # rendered signature line

    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the public version last changed (publication or an approved edit)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    featured_at: Mapped[datetime | None] = mapped_column(default=None)
    # Reaction counts, denormalised (board/gestures/services.py); "This helped" is helped_count
    helped_count: Mapped[int] = mapped_column(default=0)
    react_love: Mapped[int] = mapped_column(default=0)
    react_hugs: Mapped[int] = mapped_column(default=0)
    react_thinking: Mapped[int] = mapped_column(default=0)
    react_strength: Mapped[int] = mapped_column(default=0)
    moderator_note: Mapped[str] = mapped_column(Text, default="")

    # An edit of a published story waits here until approved; the public keeps
    # seeing the approved version meanwhile.
    pending_title: Mapped[str | None] = mapped_column(String(150), default=None)
    pending_body_source: Mapped[str | None] = mapped_column(Text, default=None)
    pending_body_html: Mapped[str | None] = mapped_column(Text, default=None)
    # A changed signature of a published story waits too (style, name parts and
    # rendered line), except a switch to anonymous, which applies at once.
    pending_signature: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)
    # A moderator returned the pending edit (reason in moderator_note); the
    # approved version stays public and the author keeps the edited text.
    pending_edit_returned: Mapped[bool] = mapped_column(Boolean, default=False)

    author: Mapped[User | None] = relationship()
    themes: Mapped[list[StoryTheme]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="StoryTheme.theme"
    )

    @property
    def is_anonymous(self) -> bool:
        return self.signature_style == "anonymous"

    @property
    def theme_slugs(self) -> list[str]:
        return [t.theme for t in self.themes]

    @property
    def has_pending_edit(self) -> bool:
        return (
            self.pending_body_source is not None
            or self.pending_title is not None
            or self.pending_signature is not None
        )


class StoryTheme(Base):
    __tablename__ = "story_themes"
    __table_args__ = (Index("ix_story_themes_theme", "theme", "story_id"),)

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)

    story: Mapped[Story] = relationship(back_populates="themes")
