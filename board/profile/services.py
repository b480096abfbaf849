"""Diagnosis profile rules and the "For you" page.

`visible_diagnosis_fields(owner, viewer)` is pure (no queries beyond the owner's
profile attribute): the one place deciding which answers a viewer may see.
The "For you" matching is data (board/data/for_you.json maps answers to topic
tags and story themes; topics carry their tags in board/data/topics.json).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import RuleViolation
from board.extensions import db
from board.models import (
    DiagnosisProfile,
    Story,
    StoryTheme,
    Thread,
    Topic,
    User,
    utcnow,
)
from board.models.profile import (
    AUDIENCE_MEMBERS,
    AUDIENCE_PUBLIC,
    AUDIENCES,
    DIAGNOSIS_FIELDS,
)
from board.profile.choices import (
    EARLIEST_YEAR,
    FIELD_LABELS,
    ORIGINS,
    SPREAD,
    SUBTYPES,
    TREATMENTS,
    label,
)
from board.stories.catalog import THEMES
from board.visibility import public_stories, visible_threads, visible_topics

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "for_you.json"
THREAD_LIMIT = 20
STORY_LIMIT = 10


# ---------------------------------------------------------------- who sees what

def _viewer_kind(owner: User, viewer) -> str:
    """'self', 'member' (a logged-in member in good standing) or 'public'."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return "public"
    if viewer.id == owner.id:
        return "self"
    if getattr(viewer, "deleted_at", None) is not None:
        return "public"
    return "member"


def may_see(audience: str, viewer_kind: str) -> bool:
    if viewer_kind == "self":
        return True
    if audience == AUDIENCE_PUBLIC:
        return True
    return audience == AUDIENCE_MEMBERS and viewer_kind == "member"


@dataclass(frozen=True)
class Fact:
    field: str
    label: str
    value: str
    audience: str


def visible_diagnosis_fields(owner: User, viewer, profile: DiagnosisProfile | None = None) -> list[Fact]:
    """The answers of `owner` that `viewer` may see, in form order (unanswered ones left out).

    Deleted and memorial accounts show nothing to others. `profile` may be passed to
    avoid touching `owner.diagnosis_profile`.
    """
    if profile is None:
        profile = getattr(owner, "diagnosis_profile", None)
    if profile is None or owner.deleted_at is not None:
        return []
    kind = _viewer_kind(owner, viewer)
    facts = []
    for name in DIAGNOSIS_FIELDS:
        value = label(name, getattr(profile, name))
        audience = profile.audience(name)
        if value and may_see(audience, kind):
            facts.append(Fact(name, FIELD_LABELS[name], value, audience))
    return facts


# ---------------------------------------------------------------- saving

def profile_of(user: User) -> DiagnosisProfile | None:
    return db.session.get(DiagnosisProfile, user.id)


@dataclass
class DiagnosisInput:
    subtype: str = ""
    spread: list[str] = field(default_factory=list)
    treatment: str = ""
    origin: str = ""
    year: int | None = None
    audiences: dict[str, str] = field(default_factory=dict)


def save_diagnosis(user: User, data: DiagnosisInput) -> DiagnosisProfile | None:
    """Store the member's answers (the form already checked the choices; checked again here).

    Clearing every answer deletes the row: nothing is kept that the member took back.
    """
    if data.subtype and data.subtype not in SUBTYPES:
        raise RuleViolation("Please choose one of the subtypes listed.", "subtype")
    spread = [s for s in SPREAD if s in set(data.spread or [])]
    if len(spread) != len(set(data.spread or [])):
        raise RuleViolation("Please choose only from the places listed.", "spread")
    if data.treatment and data.treatment not in TREATMENTS:
        raise RuleViolation("Please choose one of the treatments listed.", "treatment")
    if data.origin and data.origin not in ORIGINS:
        raise RuleViolation("Please choose one of the options listed.", "origin")
    if data.year is not None and not EARLIEST_YEAR <= data.year <= datetime.now(UTC).year:
        raise RuleViolation("Please give a real year of diagnosis.", "year")
    for name in DIAGNOSIS_FIELDS:
        if data.audiences.get(name, "me") not in AUDIENCES:
            raise RuleViolation("Please choose who can see this.", f"{name}_audience")

    profile = profile_of(user)
    if not (data.subtype or spread or data.treatment or data.origin or data.year):
        if profile is not None:
            db.session.delete(profile)
            db.session.flush()
        return None
    if profile is None:
        profile = DiagnosisProfile(user_id=user.id)
        db.session.add(profile)
    profile.subtype = data.subtype or ""
    profile.spread = spread
    profile.treatment = data.treatment or ""
    profile.origin = data.origin or ""
    profile.year = data.year
    for name in DIAGNOSIS_FIELDS:
        setattr(profile, f"{name}_audience", data.audiences.get(name, "me") or "me")
    profile.updated_at = utcnow()
    db.session.flush()
    return profile


def delete_diagnosis(user: User) -> None:
    profile = profile_of(user)
    if profile is not None:
        db.session.delete(profile)
        db.session.flush()


# ---------------------------------------------------------------- "For you"

@lru_cache(maxsize=1)
def matching_rules() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@dataclass
class Interests:
    """Topic tags and story themes that match the member's answers, each with the reasons why."""
    tags: dict[str, list[str]] = field(default_factory=dict)
    themes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, rule: dict) -> None:
        why = rule.get("why", "")
        for tag in rule.get("tags", []):
            reasons = self.tags.setdefault(tag, [])
            if why and why not in reasons:
                reasons.append(why)
        for theme in rule.get("themes", []):
            if theme not in THEMES:
                continue
            reasons = self.themes.setdefault(theme, [])
            if why and why not in reasons:
                reasons.append(why)

    def __bool__(self) -> bool:
        return bool(self.tags or self.themes)


def interests_for(profile: DiagnosisProfile | None, today: datetime | None = None) -> Interests:
    """Pure: which tags and themes the answers point to."""
    interests = Interests()
    if profile is None:
        return interests
    rules = matching_rules()
    for name in ("subtype", "treatment", "origin"):
        rule = rules.get(name, {}).get(getattr(profile, name) or "")
        if rule:
            interests.add(rule)
    for place in SPREAD:
        if place in (profile.spread or []):
            rule = rules.get("spread", {}).get(place)
            if rule:
                interests.add(rule)
    recent = rules.get("recent_diagnosis")
    if recent and profile.year:
        year = (today or datetime.now(UTC)).year
        if year - profile.year <= int(recent.get("years", 1)):
            interests.add(recent)
    return interests


def sentence(reasons: list[str]) -> str:
    """'Shown because you told us it has spread to your brain and you are having chemotherapy.'"""
    if not reasons:
        return ""
    if len(reasons) == 1:
        joined = reasons[0]
    else:
        joined = ", ".join(reasons[:-1]) + " and " + reasons[-1]
    return f"Shown because you told us {joined}."


@dataclass
class ForYouItem:
    kind: str   # "thread" or "story"
    obj: object
    why: str


@dataclass
class ForYou:
    profile: DiagnosisProfile | None
    interests: Interests
    topics: list[tuple[Topic, str]]    # matching topics and why
    threads: list[ForYouItem]
    stories: list[ForYouItem]


def for_you(viewer: User) -> ForYou:
    """Recent threads and stories matching the viewer's own answers. A constant number of queries."""
    profile = profile_of(viewer) if getattr(viewer, "is_authenticated", False) else None
    interests = interests_for(profile)
    if not interests:
        return ForYou(profile, interests, [], [], [])

    topics = list(db.session.scalars(select(Topic).where(visible_topics(viewer)).order_by(Topic.position)))
    topic_why: dict[int, str] = {}
    matched_topics = []
    for topic in topics:
        reasons: list[str] = []
        for tag in (topic.tags or "").split():
            for why in interests.tags.get(tag, []):
                if why not in reasons:
                    reasons.append(why)
        if reasons:
            topic_why[topic.id] = sentence(reasons)
            matched_topics.append((topic, topic_why[topic.id]))

    threads: list[ForYouItem] = []
    if topic_why:
        rows = db.session.scalars(
            select(Thread)
            .where(Thread.topic_id.in_(list(topic_why)), visible_threads(viewer))
            .options(selectinload(Thread.author), selectinload(Thread.topic))
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(THREAD_LIMIT)
        )
        threads = [ForYouItem("thread", t, topic_why[t.topic_id]) for t in rows]

    stories: list[ForYouItem] = []
    if interests.themes:
        ids = select(StoryTheme.story_id).where(StoryTheme.theme.in_(list(interests.themes)))
        rows = db.session.scalars(
            select(Story)
            .where(public_stories(), Story.id.in_(ids))
            .options(selectinload(Story.themes))
            .order_by(Story.published_at.desc(), Story.id.desc())
            .limit(STORY_LIMIT)
        )
        for story in rows:
            reasons: list[str] = []
            for slug in story.theme_slugs:
                for why in interests.themes.get(slug, []):
                    if why not in reasons:
                        reasons.append(why)
            stories.append(ForYouItem("story", story, sentence(reasons)))
    return ForYou(profile, interests, matched_topics, threads, stories)
