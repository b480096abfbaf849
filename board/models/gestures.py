"""The small gestures of peer support: reactions, bookmarks and drafts.

Reaction counts are denormalised on the reacted-to row (`posts.react_*`,
`stories.react_*` and, for "This helped", `stories.helped_count`), moved by the
gestures service in the same transaction, so the thread page reads them with
its posts and runs no extra query for them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

# The fixed set, in the order they are shown (labels and phrases: board/gestures/reactions.py).
REACTION_KINDS = ("love", "hugs", "thinking", "helped", "strength")
_KIND_CHECK = "kind IN ('love', 'hugs', 'thinking', 'helped', 'strength')"


class Reaction(Base):
    """One member's gesture of one kind on one post or story (at most once: unique constraints)."""

    __tablename__ = "reactions"
    __table_args__ = (
        CheckConstraint("(post_id IS NULL) <> (story_id IS NULL)", name="one_target"),
        CheckConstraint(_KIND_CHECK, name="kind_known"),
        UniqueConstraint("post_id", "user_id", "kind", name="uq_reactions_post_user_kind"),
        UniqueConstraint("story_id", "user_id", "kind", name="uq_reactions_story_user_kind"),
        Index("ix_reactions_user_post", "user_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Bookmark(Base):
    """A member's private bookmark of a post, a thread or a story, with an optional note."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN thread_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        UniqueConstraint("user_id", "post_id", name="uq_bookmarks_user_post"),
        UniqueConstraint("user_id", "thread_id", name="uq_bookmarks_user_thread"),
        UniqueConstraint("user_id", "story_id", name="uq_bookmarks_user_story"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Base):
    """What a member was writing in one place ("thread:<topic id>", "reply:<thread id>",
    "story:new", "story:<story id>"), kept on the server so it survives a closed tab or
    another device. One per member and place; deleted when posted; kept 90 days."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("user_id", "place", name="uq_drafts_user_place"),
        Index("ix_drafts_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    place: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(150), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # A reply to one post ("in reply to NAME"); a plain pointer like threads.last_post_id
    reply_to_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
