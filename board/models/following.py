"""Following threads and topics, muting members, and the bookkeeping that makes
notifications and digests happen exactly once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.forum import Post, Thread, Topic
from board.models.user import User

# How a member hears about a follow. Everything shows in-app; the mode adds email.
MODE_INAPP = "inapp"
MODE_EACH = "each"
MODE_DAILY = "daily"
MODE_WEEKLY = "weekly"
FOLLOW_MODES = (MODE_INAPP, MODE_EACH, MODE_DAILY, MODE_WEEKLY)
DIGEST_MODES = (MODE_DAILY, MODE_WEEKLY)
_MODE_CHECK = "mode IN ('inapp', 'each', 'daily', 'weekly')"


class Follow(Base):
    """A member following one thread (new replies) or one topic (new threads)."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("(thread_id IS NULL) <> (topic_id IS NULL)", name="one_target"),
        CheckConstraint(_MODE_CHECK, name="mode_known"),
        UniqueConstraint("user_id", "thread_id", name="uq_follows_user_thread"),
        UniqueConstraint("user_id", "topic_id", name="uq_follows_user_topic"),
        Index("ix_follows_thread_id", "thread_id"),
        Index("ix_follows_topic_id", "topic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(10), default=MODE_EACH)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Digests: the last `PostPublication.id` this follow's digests have covered.
    digest_cursor: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    topic: Mapped[Topic | None] = relationship(foreign_keys=[topic_id])

    @property
    def is_digest(self) -> bool:
        return self.mode in DIGEST_MODES


class Mute(Base):
    """`user` doesn't want to see or hear from `muted_user`."""

    __tablename__ = "mutes"
    __table_args__ = (
        UniqueConstraint("user_id", "muted_user_id", name="uq_mutes_user_muted"),
        CheckConstraint("user_id <> muted_user_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    muted_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    muted_user: Mapped[User] = relationship(foreign_keys=[muted_user_id])


class NotificationSettings(Base):
    """A member's account-wide choices, and when their last digests went out."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint(_MODE_CHECK.replace("mode", "default_mode", 1), name="default_mode_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The mode of new follows (including the automatic one when you post in a thread)
    default_mode: Mapped[str] = mapped_column(String(10), default=MODE_EACH)
    # "Stop all emails" (from any unsubscribe link or the settings page): in-app only
    mail_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_daily_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    last_weekly_digest_at: Mapped[datetime | None] = mapped_column(default=None)


class PostPublication(Base):
    """One row per post the first time it became public: followers and mentioned members
    were told about it then. Its id orders the digests ("nothing sent twice")."""

    __tablename__ = "post_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    post: Mapped[Post] = relationship()


class Mention(Base):
    """A member was told they were @mentioned in a post (never twice for the same post)."""

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_mentions_post_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
