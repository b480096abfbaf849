"""The Atom feed of published stories (RFC 4287).

Built with ElementTree, so every title, signature and body is XML-escaped by
the serializer; the story's sanitized HTML goes in `<content type="html">` as
escaped text. Authors appear only as their chosen signature line.
"""
from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from board.models.base import as_utc
from board.stories.catalog import THEMES, display_title

ATOM_NS = "http://www.w3.org/2005/Atom"


def _iso(value: datetime | None) -> str:
    return as_utc(value or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def build_feed(stories, *, site_name: str, feed_url: str, site_url: str, story_url) -> bytes:
    """Serialize `stories` to Atom. `story_url(story)` returns the story's absolute URL."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    _sub(feed, "id", feed_url)
    _sub(feed, "title", f"Member stories · {site_name}")
    _sub(feed, "subtitle", "Members of Circle share what living with metastatic breast cancer is like.")
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=site_url)
    newest = max((s.updated_at or s.published_at for s in stories), default=None)
    _sub(feed, "updated", _iso(newest))
    author = _sub(feed, "author")
    _sub(author, "name", site_name)
    for story in stories:
        entry = _sub(feed, "entry")
        url = story_url(story)
        _sub(entry, "id", url)
        _sub(entry, "title", display_title(story))
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        _sub(entry, "published", _iso(story.published_at))
        _sub(entry, "updated", _iso(max(filter(None, (story.updated_at, story.published_at)))))
        entry_author = _sub(entry, "author")
        _sub(entry_author, "name", story.signature)
        for slug in story.theme_slugs:
            if slug in THEMES:
                _sub(entry, "category", term=slug, label=THEMES[slug], scheme=site_url)
        _sub(entry, "content", story.body_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
