"""Members, their roles, trust levels and sanctions."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow

ROLES = ("member", "moderator", "admin")
STAFF_ROLES = ("moderator", "admin")

TRUST_NEW = 0
TRUST_MEMBER = 1
TRUST_ESTABLISHED = 2  # promoted after BOARD_TRUST2_POSTS approved posts and BOARD_TRUST2_DAYS, no recent sanction
TRUST_LEVELS = {TRUST_NEW: "new", TRUST_MEMBER: "member", TRUST_ESTABLISHED: "established"}

IDENTITIES = {
    "": "Prefer not to say",
    "living": "Living with MBC",
    "caregiver": "Caregiver",
    "family": "Family or friend",
    "supporter": "Supporter",
    "clinician": "Clinician",
}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both stored lower-case (normalised by the auth service), so plain unique
    # constraints make them unique case-insensitively on every engine.
    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16), default="member")
    trust_level: Mapped[int] = mapped_column(default=TRUST_NEW)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)

    # Profile (public fields; never the email)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    # ISO 3166 code the member chose, for the crisis notice's helplines ("" = not said)
    country: Mapped[str] = mapped_column(String(2), default="")
    identity: Mapped[str] = mapped_column(String(20), default="")
    bio_source: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    text_size: Mapped[str] = mapped_column(String(10), default="normal")
    theme: Mapped[str] = mapped_column(String(10), default="auto", server_default="auto")  # auto / light / dark
    # IANA name ("Europe/London"); "" = not chosen yet (guessed from the browser, UTC meanwhile)
    time_zone: Mapped[str] = mapped_column(String(64), default="", server_default="")

    # The first day: guidelines accepted at sign-up, the welcome steps done or skipped, logins
    guidelines_accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    welcomed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # The "<hash>.<ext>" of her approved square profile picture's thumbnail (board/media/avatars.py);
    # None: the initials avatar. Set only once the picture is approved.
    avatar_media: Mapped[str | None] = mapped_column(String(80), default=None)

    # Counters (updated by services in the same transaction)
    post_count: Mapped[int] = mapped_column(default=0)
    approved_post_count: Mapped[int] = mapped_column(default=0)

    # Sanctions (the current state; the history lives in `sanctions` and the audit log)
    silenced_until: Mapped[datetime | None] = mapped_column(default=None)
    suspended_until: Mapped[datetime | None] = mapped_column(default=None)
    suspension_reason: Mapped[str] = mapped_column(Text, default="")

    # Account end of life
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    memorial_at: Mapped[datetime | None] = mapped_column(default=None)

    # Flask-Login: the session stores the rotating token, not the id, so rotating it
    # (password change, log out everywhere, suspension, role change) ends old sessions.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_moderator(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def trust_name(self) -> str:
        if self.is_staff:
            return self.role
        return TRUST_LEVELS.get(self.trust_level, "member")

    @property
    def identity_label(self) -> str:
        return IDENTITIES.get(self.identity, "")

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.city, self.region) if p)

    def is_silenced(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.silenced_until is not None and self.silenced_until > now

    def is_suspended(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.suspended_until is not None and self.suspended_until > now

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Sanction(Base):
    """History of warnings, silences and suspensions."""

    __tablename__ = "sanctions"
    __table_args__ = (CheckConstraint("kind IN ('warn', 'silence', 'suspend')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
