"""Thread titles and their URL slugs.

Shared by the forum (writing threads) and moderation (renaming a thread, editing
a post before approving it), which must not import each other.
"""
from __future__ import annotations

import re
import unicodedata

from board.domain import RuleViolation
from board.limits import POST_TITLE_MAX
from board.markup import clean_line

TITLE_MIN, TITLE_MAX = 5, POST_TITLE_MAX


def slugify(text: str, max_length: int = 80, fallback: str = "thread") -> str:
    """ASCII kebab-case for URLs; never empty (a title in another script becomes `fallback`)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or fallback


def clean_title(title: str | None) -> str:
    title = clean_line(title)
    if len(title) < TITLE_MIN:
        raise RuleViolation(f"Please give your thread a title of at least {TITLE_MIN} characters.", "title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(f"Please keep the title to {TITLE_MAX} characters or fewer.", "title")
    return title
