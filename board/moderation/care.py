"""Crisis care: help at once for a member whose words suggest she may be at risk, and her words
kept out of other people's inboxes.

* ``crisis_matches(text)`` — the detector (`board.moderation.crisis`) plus the crisis phrases
  admins added on the watched-words page, read once per request.
* ``show_crisis_notice(post_id)`` — the ``circle.after_post`` hook: the author sees the notice.
* ``crisis_resources(user)`` — where to get help: the member's own country first when her
  profile says where she lives, every configured country otherwise.
* ``highlight(text)`` — the words that matched, marked for moderators (escaped text, ``<mark>``).
* ``quotable(text)`` / ``title_for_others(thread)`` — what mail and notifications may quote.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from flask import current_app, flash, g, has_app_context, has_request_context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from board.extensions import db
from board.models import Post, WatchedWord
from board.moderation.crisis import CATEGORY_LABELS, CrisisMatch, detect

CRISIS_WORD_ACTION = "crisis"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resource:
    name: str
    text: str
    countries: tuple[str, ...] = ()


# ---------------------------------------------------------------- detection

def custom_phrases() -> tuple[str, ...]:
    """Crisis phrases admins added (watched words with the action "crisis"), once per request."""
    if has_request_context() and "crisis_phrases" in g:
        return g.crisis_phrases
    phrases = tuple(db.session.scalars(select(WatchedWord.phrase).where(WatchedWord.action == CRISIS_WORD_ACTION)))
    if has_request_context():
        g.crisis_phrases = phrases
    return phrases


def crisis_matches(text: str) -> list[CrisisMatch]:
    return list(_detect(text or "", custom_phrases()))


@functools.lru_cache(maxsize=256)
def _detect(text: str, phrases: tuple[str, ...]) -> tuple[CrisisMatch, ...]:
    """One detection per text: a post is screened, its author's notice checked after the commit,
    and its mail to every follower checked, all with the same words (2–8 ms each)."""
    return tuple(detect(text, phrases))


def needs_crisis_notice(text: str) -> bool:
    return bool(crisis_matches(text))


def category_labels(matches) -> list[str]:
    """Each matched category once, in words moderators use."""
    seen: list[str] = []
    for match in matches:
        label = CATEGORY_LABELS.get(match.category, match.category)
        if label not in seen:
            seen.append(label)
    return seen


def highlight(text: str, matches=None) -> Markup:
    """`text` escaped, with each crisis match wrapped in ``<mark>`` (for the moderators' item page)."""
    text = text or ""
    if matches is None:
        matches = crisis_matches(text)
    out, pos = [], 0
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if match.start < pos:  # overlapping matches of two categories: mark the union once
            if match.end > pos:
                out.append(Markup("<mark>{}</mark>").format(text[pos:match.end]))
                pos = match.end
            continue
        out.append(escape(text[pos:match.start]))
        out.append(Markup("<mark>{}</mark>").format(text[match.start:match.end]))
        pos = match.end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


# ---------------------------------------------------------------- the notice

def crisis_text() -> str:
    from config import DEFAULT_CRISIS_TEXT

    if has_app_context():
        return current_app.config.get("BOARD_CRISIS_TEXT") or DEFAULT_CRISIS_TEXT
    return DEFAULT_CRISIS_TEXT


def _configured() -> list[Resource]:
    from config import DEFAULT_CRISIS_RESOURCES

    raw = current_app.config.get("BOARD_CRISIS_RESOURCES") if has_app_context() else None
    resources = []
    for entry in raw or DEFAULT_CRISIS_RESOURCES:
        if not isinstance(entry, dict) or not entry.get("text"):
            continue
        countries = tuple(str(c).upper() for c in entry.get("countries") or ())
        resources.append(Resource(name=str(entry.get("name") or "Anywhere"), text=str(entry["text"]),
                                  countries=countries))
    return resources or [Resource("Anywhere", "Call your local emergency number.")]


def crisis_resources(user=None) -> list[Resource]:
    """The member's own country's help and the "anywhere else" line when her profile names a country
    that has an entry; otherwise every configured country."""
    resources = _configured()
    country = (getattr(user, "country", "") or "").upper() if user is not None else ""
    if country:
        own = [r for r in resources if country in r.countries]
        if own:
            return own + [r for r in resources if not r.countries]
    return resources


def resource_countries() -> list[str]:
    """Every country code some resource names (for the profile's country list)."""
    return [c for r in _configured() for c in r.countries]


def show_crisis_notice(post_id: int) -> None:
    """`circle.after_post` hook: after a post is saved, its author sees the crisis notice if needed."""
    from flask_login import current_user

    post = db.session.get(Post, post_id)
    if post is None or not current_user.is_authenticated or post.author_id != current_user.id:
        return
    text = f"{post.thread.title}\n\n{post.body_source}" if post.is_first else post.body_source
    if needs_crisis_notice(text):
        flash_crisis_notice()


def notice_if_crisis(*texts: str | None) -> None:
    """For writing that could not be posted (a form error, a silenced or unconfirmed member): her
    text goes back to her, and if it speaks of crisis she sees where to get help all the same."""
    if needs_crisis_notice("\n\n".join(t for t in texts if t)):
        flash_crisis_notice()


def refused_with_crisis(author, *texts: str | None, why: str) -> None:
    """Her writing was refused outright (`PermissionDenied`: silenced, suspended, unconfirmed, not
    allowed here), so no post will carry it to the queue. If it speaks of crisis she sees where to
    get help, and moderators get an urgent item about her with her words — a missed crisis is the
    worst failure this site can have. Called after the view rolled back; commits on its own."""
    text = "\n\n".join(t for t in texts if t)
    if not needs_crisis_notice(text):
        return
    flash_crisis_notice()
    if author is None or not getattr(author, "is_authenticated", False):
        return
    from board.moderation import intake

    try:
        intake.alert_unposted_crisis(author, text, why)
        db.session.commit()
    except SQLAlchemyError:  # the database is away: she still has her words and the helplines
        db.session.rollback()
        log.exception("could not queue an urgent item for unposted crisis words (member %s)", author.id)


def flash_crisis_notice() -> None:
    """One crisis notice per page: base.html renders the "crisis" category with the resources."""
    flash(crisis_text(), "crisis")


# ---------------------------------------------------------------- what others' inboxes may quote

def quotable(text: str) -> bool:
    """False when `text` matched crisis language: mail and notifications then say only that there
    is something new, with the link, never the member's words."""
    return not crisis_matches(text)


def title_for_others(thread) -> str:
    """The thread's title in quotes for notifications and mail, or "a thread in TOPIC" when the
    title itself is crisis wording."""
    if quotable(thread.title):
        return f"“{thread.title}”"
    topic = getattr(thread, "topic", None)
    return f"a thread in {topic.title}" if topic is not None else "a thread"
