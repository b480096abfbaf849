"""Topics, threads, posts and their edit history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

# Status of anything a member writes.
PENDING = "pending"        # waiting for a moderator (shown only to its author and moderators)
PUBLISHED = "published"
HIDDEN = "hidden"          # hidden by member reports while moderators review it
REJECTED = "rejected"      # returned to its author with a reason; never public
REMOVED = "removed"        # removed by a moderator
DELETED = "deleted"        # removed by its author
POST_STATUSES = (PENDING, PUBLISHED, HIDDEN, REJECTED, REMOVED, DELETED)
_STATUS_CHECK = "status IN ('pending', 'published', 'hidden', 'rejected', 'removed', 'deleted')"


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    tags: Mapped[str] = mapped_column(String(300), default="")  # space-separated, used by "for you"
    members_only: Mapped[bool] = mapped_column(Boolean, default=False)

    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    # Denormalized pointer (no FK: threads and topics point at each other)
    last_thread_id: Mapped[int | None] = mapped_column(default=None)

    last_thread: Mapped[Thread | None] = relationship(
        primaryjoin="foreign(Topic.last_thread_id) == Thread.id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status_known"),
        Index("ix_threads_listing", "topic_id", "status", "pinned", "last_activity_at", "id"),
        Index("ix_threads_activity", "status", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(160), default="")
    status: Mapped[str] = mapped_column(String(12), default=PUBLISHED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    # Denormalized: published posts in the thread (the opening post included)
    post_count: Mapped[int] = mapped_column(default=0)
    # Denormalized pointers (no FK: posts and threads point at each other)
    first_post_id: Mapped[int | None] = mapped_column(default=None)
    last_post_id: Mapped[int | None] = mapped_column(default=None)
    last_poster_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    topic: Mapped[Topic] = relationship(foreign_keys=[topic_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title!r}>"


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status_known"),
        Index("ix_posts_thread_id_id", "thread_id", "id"),
        Index("ix_posts_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=PUBLISHED)
    is_first: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # What the moderator told the author when returning a post to them
    moderator_note: Mapped[str] = mapped_column(Text, default="")
    # "Reply" on a post: the post this one answers (a plain pointer, like threads.last_post_id)
    reply_to_id: Mapped[int | None] = mapped_column(default=None)
    # Reaction counts, denormalised (board/gestures/services.py moves them)
    react_love: Mapped[int] = mapped_column(default=0)
    react_hugs: Mapped[int] = mapped_column(default=0)
    react_thinking: Mapped[int] = mapped_column(default=0)
    react_helped: Mapped[int] = mapped_column(default=0)
    react_strength: Mapped[int] = mapped_column(default=0)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_public(self) -> bool:
        return self.status == PUBLISHED

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.status}>"


class PostRevision(Base):
    """A previous version of a post, kept whenever it is edited."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when it was replaced
    # True when a moderator's edit-then-approve replaced it: never shown publicly
    private: Mapped[bool] = mapped_column(Boolean, default=False)

    post: Mapped[Post] = relationship()
    editor: Mapped[User | None] = relationship()
