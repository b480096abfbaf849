"""The optional diagnosis profile: what a member chooses to tell, and who may see each answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

# Who may see one answer on the member's public profile.
AUDIENCE_ME = "me"
AUDIENCE_MEMBERS = "members"
AUDIENCE_PUBLIC = "public"
AUDIENCES = (AUDIENCE_ME, AUDIENCE_MEMBERS, AUDIENCE_PUBLIC)
DIAGNOSIS_FIELDS = ("subtype", "spread", "treatment", "origin", "year")


def _audience_check(field: str) -> CheckConstraint:
    return CheckConstraint(f"{field}_audience IN ('me', 'members', 'public')", name=f"{field}_audience_known")


class DiagnosisProfile(Base):
    """One row per member who answered; every answer is optional and starts visible to nobody else."""

    __tablename__ = "diagnosis_profiles"
    __table_args__ = tuple(_audience_check(f) for f in DIAGNOSIS_FIELDS)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Slugs from board/profile/choices.py ("" = not answered)
    subtype: Mapped[str] = mapped_column(String(24), default="")
    spread: Mapped[list] = mapped_column(JSON, default=list)  # list of slugs
    treatment: Mapped[str] = mapped_column(String(24), default="")
    origin: Mapped[str] = mapped_column(String(16), default="")
    year: Mapped[int | None] = mapped_column(default=None)

    subtype_audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_ME)
    spread_audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_ME)
    treatment_audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_ME)
    origin_audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_ME)
    year_audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_ME)

    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(
        backref=backref("diagnosis_profile", uselist=False, passive_deletes=True),
    )

    def audience(self, field: str) -> str:
        return getattr(self, f"{field}_audience") or AUDIENCE_ME

    @property
    def is_empty(self) -> bool:
        return not (self.subtype or self.spread or self.treatment or self.origin or self.year)
