"""Pictures: uploaded images (cleaned copies only) and the content-addressed bytes.

An `Image` is one picture placed somewhere by a member: in a post, a story, a message,
or as her profile picture. It names its cleaned file (`name`, "<sha256>.<ext>") and its
thumbnail (`thumb_name`); identical pictures share the same files (deduplicated by the
hash of the cleaned bytes). Where it lives is `(content_kind, content_id)`, like the
moderation queue's items: "post", "story", "message" or "avatar" (content_id = the member).

Statuses: ``upload`` (accepted by a form that was refused for another reason, kept for
the member's next try under `token`), ``pending`` (waiting for a moderator), ``published``,
``hidden`` (by reports), ``rejected`` (returned), ``removed`` (by a moderator), ``deleted``.

`MediaBlob` holds the bytes when `MEDIA_STORAGE=database` (board/media/storage.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User

UPLOAD = "upload"
ALT_MAX = 500


class Image(Base):
    __tablename__ = "images"
    __table_args__ = (
        Index("ix_images_content", "content_kind", "content_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), index=True)  # "<sha256>.<ext>" of the cleaned picture
    thumb_name: Mapped[str] = mapped_column(String(80), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(ALT_MAX), default="")
    status: Mapped[str] = mapped_column(String(12), default=UPLOAD, index=True)
    content_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    content_id: Mapped[int | None] = mapped_column(Integer, default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    moderator_note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    # The moderation contract reads `author_id` (board/moderation/kinds.py).
    @property
    def author_id(self) -> int:
        return self.owner_id

    def __repr__(self) -> str:
        return f"<Image {self.id} {self.status} {self.content_kind}:{self.content_id}>"


class MediaBlob(Base):
    """The bytes of one cleaned file, for `MEDIA_STORAGE=database`."""

    __tablename__ = "media_blobs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
