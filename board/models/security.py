"""Account security: second factors (authenticator app, recovery codes, passkeys),
members' sessions, and the community-health settings that go with running the site."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.forum import Thread
from board.models.moderation import ModerationItem
from board.models.user import User


class TotpSecret(Base):
    """A member's authenticator-app key (RFC 6238). `confirmed_at` is None while being set up.

    `last_step` is the 30-second time step of the last code accepted: a code is only
    accepted for a later step, so a code can't be used twice (replay)."""

    __tablename__ = "totp_secrets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int | None] = mapped_column(default=None)


class RecoveryCode(Base):
    """One of ten single-use recovery codes, stored hashed (SHA-256 of a random 80-bit code)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebAuthnCredential(Base):
    """A passkey or security key (WebAuthn public-key credential)."""

    __tablename__ = "webauthn_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[str] = mapped_column(String(120), default="")
    name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class UserSession(Base):
    """One logged-in session (a browser on a device). The session cookie carries a random
    key whose SHA-256 is `key_hash`; ending the row ends the session and its remember-me
    cookie. `generation` is a fingerprint of the member's session token when it began: a
    password change or "log out everywhere" rotates the token, which ends every row too."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_device", "user_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_hash: Mapped[str] = mapped_column(String(64), default="")
    device_label: Mapped[str] = mapped_column(String(80), default="")
    generation: Mapped[str] = mapped_column(String(16), default="")
    # How this session was confirmed beyond the password: "", "totp", "passkey", "recovery"
    second_factor: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()


class Welcomer(Base):
    """A member who asked to hear about newcomers' threads that nobody has answered yet."""

    __tablename__ = "welcomers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewcomerNudge(Base):
    """A newcomer's unanswered thread that welcomers were told about (once per thread)."""

    __tablename__ = "newcomer_nudges"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    welcomers: Mapped[int] = mapped_column(default=0)

    thread: Mapped[Thread] = relationship()


class HealthSettings(Base):
    """Admins' choices for the community-health dashboard (one row, id 1)."""

    __tablename__ = "health_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    nudge_hours: Mapped[int] = mapped_column(default=12)
    announce_to_welcomers: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# Indexes the community-health dashboard (board/moderation/health.py) reads through, on
# other packages' tables: declared here, with the feature that needs them (migration 0007).
Index("ix_threads_created_at", Thread.created_at)
Index("ix_moderation_items_kind_created", ModerationItem.kind, ModerationItem.created_at)
Index("ix_users_created_at", User.created_at)
