"""Read side of stories: listings with keyset pagination and a fixed number of queries.

Every public listing filters through `visibility.public_stories()`; themes are
loaded in the same query (`joinedload`), and nothing on a card touches the
author, so anonymous stories cannot leak through a lazy load.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from board.extensions import db
from board.forum.queries import BadCursor, decode_cursor, encode_cursor
from board.models import Story, StoryTheme, User
from board.visibility import public_stories, public_stories_of

__all__ = ["BadCursor", "StoryPage", "list_stories", "featured_stories", "more_stories", "profile_stories",
           "my_stories", "feed_stories"]

LISTING_ORDER = (Story.featured.desc(), Story.published_at.desc(), Story.id.desc())


@dataclass
class StoryPage:
    items: list[Story]
    next_cursor: str | None = None


def _after_cursor(cursor: str):
    """Rows after (featured, published_at, id) in descending order, spelled out so every engine agrees."""
    featured, ts, sid = decode_cursor(cursor, 3)
    if featured not in ("0", "1"):
        raise BadCursor(cursor)
    try:
        published_at = datetime.fromisoformat(ts)
        story_id = int(sid)
    except ValueError as exc:
        raise BadCursor(cursor) from exc
    later_in_group = or_(
        Story.published_at < published_at,
        and_(Story.published_at == published_at, Story.id < story_id),
    )
    if featured == "1":
        return or_(Story.featured.is_(False), and_(Story.featured.is_(True), later_in_group))
    return and_(Story.featured.is_(False), later_in_group)


def _with_theme(theme: str):
    return exists().where(StoryTheme.story_id == Story.id, StoryTheme.theme == theme)


def list_stories(*, theme: str | None = None, prompt: str | None = None, cursor: str | None = None,
                 per_page: int = 20) -> StoryPage:
    """Published stories, featured first then newest; one query whatever the page size."""
    stmt = (
        select(Story)
        .where(public_stories())
        .options(selectinload(Story.themes))
        .order_by(*LISTING_ORDER)
        .limit(per_page + 1)
    )
    if theme:
        stmt = stmt.where(_with_theme(theme))
    if prompt:
        stmt = stmt.where(Story.prompt == prompt)
    if cursor:
        stmt = stmt.where(_after_cursor(cursor))
    rows = list(db.session.scalars(stmt))
    page = StoryPage(items=rows[:per_page])
    if len(rows) > per_page:
        last = page.items[-1]
        page.next_cursor = encode_cursor(int(bool(last.featured)), last.published_at, last.id)
    return page


def featured_stories(limit: int = 3) -> list[Story]:
    """The home page's featured stories: ONE query (themes joined in)."""
    inner = (
        select(Story.id)
        .where(public_stories(), Story.featured.is_(True))
        .order_by(Story.featured_at.desc(), Story.published_at.desc(), Story.id.desc())
        .limit(limit)
        .scalar_subquery()
    )
    stmt = (
        select(Story)
        .where(Story.id.in_(inner))
        .options(joinedload(Story.themes))
        .order_by(Story.featured_at.desc(), Story.published_at.desc(), Story.id.desc())
    )
    return list(db.session.scalars(stmt).unique())


def more_stories(story: Story, theme: str, limit: int = 3) -> list[Story]:
    """Other published stories about `theme` (for the story page)."""
    stmt = (
        select(Story)
        .where(public_stories(), Story.id != story.id, _with_theme(theme))
        .options(selectinload(Story.themes))
        .order_by(*LISTING_ORDER)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def profile_stories(user: User, limit: int = 20) -> list[Story]:
    """A member's published, non-anonymous stories (for their profile)."""
    return list(db.session.scalars(
        select(Story).where(public_stories_of(user)).order_by(Story.published_at.desc(), Story.id.desc()).limit(limit)
    ))


def my_stories(author: User) -> list[Story]:
    """Every story of the author, in every state (only ever shown to the author)."""
    return list(db.session.scalars(
        select(Story).where(Story.author_id == author.id)
        .options(selectinload(Story.themes))
        .order_by(Story.created_at.desc(), Story.id.desc())
    ))


def feed_stories(limit: int = 50) -> list[Story]:
    """The newest published stories for the Atom feed."""
    return list(db.session.scalars(
        select(Story).where(public_stories())
        .options(selectinload(Story.themes))
        .order_by(Story.published_at.desc(), Story.id.desc())
        .limit(limit)
    ))


def nothing_listed() -> StoryPage:
    return StoryPage(items=[])

