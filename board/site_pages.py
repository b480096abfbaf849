"""Pages admins write in the app: the moderators' crisis guide and the community pages
(about, guidelines, privacy, help; their views are board/page_views.py).

Markdown in, sanitized HTML stored (through `board.markup`, the one sanitizer). Every save keeps
the version it replaces (`SitePageRevision`) and writes an audit row. A page that has never been
saved shows its shipped default from `board/data/pages/<slug>.md`, so it is never missing; `seed`
stores the defaults (idempotent).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import RuleViolation
from board.extensions import db
from board.markup import clean_line, clean_text, render_markdown
from board.models import SitePage, SitePageRevision, User, utcnow
from board.moderation.audit import audit
from board.permissions import PermissionDenied, is_admin

PAGES_DIR = Path(__file__).resolve().parent / "data" / "pages"
TITLE_MAX = 120
BODY_MAX = 50_000


@dataclass(frozen=True)
class Default:
    title: str
    audience: str  # "staff": moderators and admins only; "everyone"


DEFAULTS: dict[str, Default] = {
    "moderator-guide": Default("The moderators' crisis guide", "staff"),
    "about": Default("About Circle", "everyone"),
    "guidelines": Default("Community guidelines", "everyone"),
    "privacy": Default("Privacy: your data and your health details", "everyone"),
    "help": Default("Help", "everyone"),
}
COMMUNITY_PAGES = tuple(slug for slug, d in DEFAULTS.items() if d.audience == "everyone")


def default_source(slug: str) -> str:
    return (PAGES_DIR / f"{slug}.md").read_text(encoding="utf-8")


def get_page(slug: str) -> SitePage:
    """The stored page, or (never saved yet) an unsaved one holding the shipped default."""
    if slug not in DEFAULTS:
        raise KeyError(slug)
    page = db.session.scalar(select(SitePage).where(SitePage.slug == slug).options(selectinload(SitePage.updated_by)))
    if page is None:
        source = default_source(slug)
        page = SitePage(slug=slug, title=DEFAULTS[slug].title, body_source=source,
                        body_html=render_markdown(source, page=True), updated_at=None)
    return page


def update_page(admin: User, slug: str, title: str, body: str) -> SitePage:
    """Save a new version (admins only). An empty or over-long title or body is a RuleViolation
    naming the field; the view shows the admin's text again with it."""
    if not is_admin(admin):
        raise PermissionDenied("Only admins can edit this page.")
    title = clean_line(title or "")
    body = clean_text(body or "").strip()
    if not title:
        raise RuleViolation("Please give the page a title.", "title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"Please keep the title to {TITLE_MAX} characters or fewer.", "title")
    if not body:
        raise RuleViolation("The page can't be empty. Write what readers should find here.", "body")
    if len(body) > BODY_MAX:
        raise RuleViolation(f"Please keep the page to {BODY_MAX:,} characters or fewer.", "body")
    page = get_page(slug)
    now = utcnow()
    if page.id is None:
        db.session.add(page)
    else:
        db.session.add(SitePageRevision(page_id=page.id, title=page.title, body_source=page.body_source,
                                        edited_at=page.updated_at or now, editor_id=page.updated_by_id))
    before = page.body_source
    page.title, page.body_source, page.body_html = title, body, render_markdown(body, page=True)
    page.updated_at, page.updated_by_id = now, admin.id
    db.session.flush()
    audit(admin, "page_edit", reason=f"{slug}: {title}", before=before, after=body, data={"slug": slug})
    return page


def revisions(page: SitePage, limit: int = 50) -> list[SitePageRevision]:
    """Earlier versions, newest first."""
    if page.id is None:
        return []
    return list(db.session.scalars(
        select(SitePageRevision).where(SitePageRevision.page_id == page.id)
        .options(selectinload(SitePageRevision.editor))
        .order_by(SitePageRevision.id.desc()).limit(limit)
    ))


def seed_pages() -> int:
    """Store every shipped page that isn't stored yet (never overwrites an admin's edits)."""
    existing = set(db.session.scalars(select(SitePage.slug)))
    added = 0
    for slug, default in DEFAULTS.items():
        if slug in existing:
            continue
        source = default_source(slug)
        db.session.add(SitePage(slug=slug, title=default.title, body_source=source,
                                body_html=render_markdown(source, page=True), updated_at=utcnow()))
        added += 1
    db.session.flush()
    return added
