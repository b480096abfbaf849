"""How a story is signed. Pure functions: no database, no Flask.

    full       Mary G., Oregon, WI
    initial    Mary G.
    first      Mary
    display    the member's display name
    anonymous  A member of Circle

Whatever is missing is left out rather than guessed; a style whose name part
is missing falls back to the anonymous line, so nothing is ever revealed by a
fallback.
"""
from __future__ import annotations

import re

ANONYMOUS_SIGNATURE = "A member of Circle"

STYLES: dict[str, str] = {
    "full": "First name, last initial and town",
    "initial": "First name and last initial",
    "first": "First name only",
    "display": "My display name",
    "anonymous": "Anonymous",
}

# Which name parts each style shows (and so stores on the story).
STYLE_PARTS: dict[str, tuple[str, ...]] = {
    "full": ("first_name", "last_initial", "city", "region"),
    "initial": ("first_name", "last_initial"),
    "first": ("first_name",),
    "display": (),
    "anonymous": (),
}


def _squash(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def normalize_initial(value: str | None) -> str:
    """'g', 'G.', ' g ' → 'G'; the first letter only, or '' if there is none."""
    for char in _squash(value):
        if char.isalpha():
            return char.upper()
    return ""


def render_signature(
    style: str,
    first_name: str | None = "",
    last_initial: str | None = "",
    city: str | None = "",
    region: str | None = "",
    display_name: str | None = "",
) -> str:
    """The signature line exactly as it will be shown under the story."""
    first = _squash(first_name)
    initial = normalize_initial(last_initial)
    if style == "display":
        return _squash(display_name) or ANONYMOUS_SIGNATURE
    if style not in ("full", "initial", "first") or not first:
        return ANONYMOUS_SIGNATURE
    if style == "first":
        return first
    name = f"{first} {initial}." if initial else first
    if style == "initial":
        return name
    place = [p for p in (_squash(city), _squash(region)) if p]
    return ", ".join([name, *place])
