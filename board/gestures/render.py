"""Reaction bars and bookmark buttons as HTML, built in Python.

They are drawn once per post on the thread page (the hottest page of the site,
board/forum/render.py), so, like the posts, they are f-strings rather than a
Jinja macro; the story page uses the same builder so both look and behave alike.

The shared part (counts) and the per-viewer part (which buttons are pressed)
come in separately, so a later cache of the shared part can keep the first.
Every value here is ours (numbers, fixed words) or escaped (`next`, the token).
"""
from __future__ import annotations

from markupsafe import Markup, escape

from board.gestures.reactions import REACTIONS
from board.gestures.services import STORY

_KINDS = tuple(REACTIONS.values())


def reaction_counts(counts: dict[str, int], *, who_url: str | None = None) -> str:
    """Counts only, for visitors and for the author: '❤️ 3 · 🤗 1' with accessible phrases."""
    shown = [(r, counts.get(r.name, 0)) for r in _KINDS if counts.get(r.name, 0) > 0]
    if not shown:
        return ""
    items = "".join(
        f'<li><span aria-hidden="true">{r.emoji}\u00a0{n}</span><span class="visually-hidden">{r.count_phrase(n)}</span></li>'
        for r, n in shown
    )
    who = f' <a class="reaction-who" href="{who_url}">See who</a>' if who_url else ""
    return f'  <div class="reaction-summary"><ul class="reaction-tally" aria-label="Reactions">{items}</ul>{who}</div>\n'


def reaction_form(action: str, counts: dict[str, int], mine, *, token: str, next_url: str,
                  who_url: str | None = None) -> str:
    """The five reaction buttons (toggles, aria-pressed), one form: works without JavaScript
    (POST, then back to `next_url`); static/js/gestures.js sends it in place."""
    buttons = []
    for r in _KINDS:
        n = counts.get(r.name, 0)
        pressed = "true" if r.name in mine else "false"
        count = f'<span class="reaction-count" aria-hidden="true">{n}</span>' if n else \
            '<span class="reaction-count" aria-hidden="true"></span>'
        phrase = f", {r.count_phrase(n)}" if n else ""
        buttons.append(
            f'<button type="submit" name="reaction" value="{r.name}" class="reaction" aria-pressed="{pressed}">'
            f'<span aria-hidden="true">{r.emoji}</span> <span class="reaction-label">{r.label}</span>{count}'
            f'<span class="visually-hidden reaction-phrase">{phrase}</span></button>'
        )
    who = f'<a class="reaction-who" href="{who_url}">See who</a>' if who_url and any(counts.values()) else ""
    return (f'  <form method="post" action="{action}" class="reactions" data-react>'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            f'<div role="group" aria-label="Send a reaction" class="reaction-buttons">{"".join(buttons)}</div>'
            f'{who}</form>\n')


def bookmark_button(action: str, bookmarked: bool, *, token: str, next_url: str, what: str = "this post") -> str:
    pressed = "true" if bookmarked else "false"
    label = "Bookmarked" if bookmarked else "Bookmark"
    return (f'  <form method="post" action="{action}" class="inline-form bookmark-form" data-bookmark>'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            f'<button type="submit" class="link-button bookmark-button" aria-pressed="{pressed}">'
            f'<span class="bookmark-label">{label}</span><span class="visually-hidden"> {what}</span></button></form>\n')


def story_gestures(story, *, viewer_can_react: bool, mine, bookmarked: bool, member: bool, token: str) -> Markup:
    """The reaction bar (or counts) and the bookmark button of a published story page."""
    counts = STORY.counts(story)
    here = f"/stories/{story.id}"
    who = f"/stories/{story.id}/reactions" if member else None
    if viewer_can_react:
        html = reaction_form(f"{here}/react", counts, mine, token=token, next_url=here, who_url=who)
    else:
        html = reaction_counts(counts, who_url=who)
    if member:
        html += bookmark_button(f"{here}/bookmark", bookmarked, token=token, next_url=here, what="this story")
    return Markup(html)
