"""Avatars beside members' names: the approved square profile picture, or initials.

`avatar_html(user, size, root)` reads only the user object (`avatar_media`, `id`, names,
`deleted_at`): no SQL, so pages that list many posts keep their query counts. The picture is
decorative (empty alt): the member's name is always printed beside it. Colours come from
static/css (classes avatar-c0 … avatar-c7, each with a contrast of at least 4.5:1); no inline
styles, which the CSP forbids.
"""
from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = 8
SIZES = (24, 32, 40, 48, 64, 96, 128)


def initials(user) -> str:
    name = (getattr(user, "display_name", "") or getattr(user, "username", "") or "").strip()
    words = [w for w in name.replace("_", " ").replace("-", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper() if len(words[0]) > 1 and not words[0][1].isdigit() else words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


def _size(size: int) -> int:
    return min(SIZES, key=lambda s: abs(s - int(size or 40)))


def avatar_html(user, size: int = 40, root: str = "") -> Markup:
    size = _size(size)
    gone = user is None or getattr(user, "deleted_at", None) is not None or getattr(user, "id", None) is None
    if gone:
        return Markup(f'<span class="avatar avatar-{size} avatar-none" aria-hidden="true"></span>')
    media = getattr(user, "avatar_media", None)
    if media:
        return Markup(f'<img class="avatar avatar-{size}" src="{escape(root)}/media/{escape(media)}" alt="" '
                      f'width="{size}" height="{size}" loading="lazy" decoding="async">')
    colour = int(user.id) % COLOURS
    return Markup(f'<span class="avatar avatar-{size} avatar-c{colour}" aria-hidden="true">'
                  f'{escape(initials(user))}</span>')
