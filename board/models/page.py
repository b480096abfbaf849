"""Pages the people who run Circle write in the app (the moderators' crisis guide, and later the
community pages): Markdown source and its sanitized HTML, with every earlier version kept."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.models.base import Base, utcnow
from board.models.user import User


class SitePage(Base):
    __tablename__ = "site_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])


class SitePageRevision(Base):
    """One earlier version of a page, written each time an admin saves it (newest last)."""

    __tablename__ = "site_page_revisions"
    __table_args__ = (Index("ix_site_page_revisions_page", "page_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("site_pages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    body_source: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    editor: Mapped[User | None] = relationship(foreign_keys=[editor_id])
