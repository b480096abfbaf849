"""Private messages: conversations between two to six members, their messages, blocks and
each member's messaging preferences.

Nothing here is ever public: the only pages that show a conversation are its own
members' (board/messages), and a moderator sees a message only through a queue item
about it (board/messages/moderation.py), each look written to the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.forum import _STATUS_CHECK, PENDING
from board.models.user import User

# A member's place in a conversation.
MEMBER_ACTIVE = "active"      # reads and writes
MEMBER_REQUEST = "request"    # first contact: sees only the request until she accepts or declines
MEMBER_DECLINED = "declined"  # said no: sees nothing more; the sender reads only "not delivered"
MEMBER_LEFT = "left"          # left the conversation (or deleted her account)
MEMBER_STATES = (MEMBER_ACTIVE, MEMBER_REQUEST, MEMBER_DECLINED, MEMBER_LEFT)

# Who may start a conversation with a member (her /settings/messages choice).
WRITE_MEMBERS = "members"      # anyone who has been a member for a while (trust level 1+)
WRITE_KNOWN = "known"          # only people she has talked with before
WRITE_MODERATORS = "moderators"  # nobody except moderators
WHO_MAY_WRITE = (WRITE_MEMBERS, WRITE_KNOWN, WRITE_MODERATORS)

# Email about new messages (never the text).
MAIL_EACH = "each"
MAIL_DAILY = "daily"
MAIL_NEVER = "never"
MAIL_MODES = (MAIL_EACH, MAIL_DAILY, MAIL_NEVER)

MAX_MEMBERS = 6  # the sender and up to five others


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Started by a moderator "as Circle moderators" (outreach): no request, settings bypassed.
    from_moderators: Mapped[bool] = mapped_column(Boolean, default=False)
    # Denormalized: delivered messages and the last delivery.
    message_count: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    members: Mapped[list[ConversationMember]] = relationship(back_populates="conversation",
                                                             order_by="ConversationMember.id")


class ConversationMember(Base):
    """One member's side of a conversation: her state, what she has read, her inbox position."""

    __tablename__ = "conversation_members"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id", name="uq_conversation_members_conversation_user"),
        CheckConstraint("state IN ('active', 'request', 'declined', 'left')", name="state_known"),
        # The inbox: one member's conversations, newest activity first (keyset on the last two).
        Index("ix_conversation_members_inbox", "user_id", "state", "archived", "last_activity_at", "conversation_id"),
        # The header's count: conversations with something unread.
        Index("ix_conversation_members_unread", "user_id", "unread_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default=MEMBER_ACTIVE)
    # Shown to everyone else as "Circle moderators" (the moderator who reached out)
    as_moderators: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last time something reached HER (a delivered message, her own message): NULL until then,
    # so a request whose message waits for a moderator shows nowhere yet.
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    unread_count: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    conversation: Mapped[Conversation] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status_known"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # pending (held for a moderator), published (delivered), hidden (by reports), rejected (not
    # delivered, with the moderator's reason), removed (by a moderator), deleted (account deleted)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    as_moderators: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    moderator_note: Mapped[str] = mapped_column(Text, default="")
    # What the author wrote, when a moderator edited the message before delivering it (for undo and
    # her data download). Kept here rather than in the audit log, whose pages all moderators read.
    original_source: Mapped[str | None] = mapped_column(Text, default=None)

    conversation: Mapped[Conversation] = relationship(foreign_keys=[conversation_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.status}>"


class Block(Base):
    """`user` blocked `blocked_user`: no messages, mentions or notifications from them reach her.
    They are not told."""

    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("user_id", "blocked_user_id", name="uq_blocks_user_blocked"),
        CheckConstraint("user_id <> blocked_user_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    blocked_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blocked_user: Mapped[User] = relationship(foreign_keys=[blocked_user_id])


class MessagePreferences(Base):
    """A member's messaging choices (no row: the defaults)."""

    __tablename__ = "message_preferences"
    __table_args__ = (
        CheckConstraint("who_may_write IN ('members', 'known', 'moderators')", name="who_known"),
        CheckConstraint("mail_mode IN ('each', 'daily', 'never')", name="mail_mode_known"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    who_may_write: Mapped[str] = mapped_column(String(12), default=WRITE_MEMBERS)
    mail_mode: Mapped[str] = mapped_column(String(8), default=MAIL_EACH)
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
