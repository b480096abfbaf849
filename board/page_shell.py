"""Members' pages from a shared shell: the page rendered once, its per-viewer values filled in.

A member's thread, topic or home page is mostly the same for every member: the header and
menu, the breadcrumbs, the title, the buttons, the footer. What is hers alone is small: her
name in the menu, her badges, the CSRF token in each form, and the page's big per-viewer
parts (the posts with her reaction buttons; a list that holds her own unlisted threads).
Rendering the whole Jinja page for every view cost about a quarter of a member's request,
so such a page is built in two steps:

* **the shell**: the template rendered once, with a *slot* (a marker no member can type:
  NUL bytes and a random per-process nonce) wherever a per-viewer value goes, split at the
  slots and kept in the shared-parts cache (board/forum/shared_parts.py) under the current
  generation, per page URL and per *key*;
* **the fill**: per request, the slots joined with this viewer's values.

Two kinds of slot:

* **slot functions**: template globals whose output is the viewer's (`csrf_token()`,
  `profile_link()`, the menu's badges). Registered with `@slot_function`; while a shell is
  built they return their marker, otherwise their value. They take no arguments: what
  they show comes from the request.
* **fills**: values the view passes (`fills={"posts_html": ...}`), e.g. the posts of a
  thread page, assembled per viewer anyway.

What stays exact: everything else the template reads about the viewer must be in the
key. The view names its part (e.g. "following this thread", "can reply"), and `base_key()`
adds what base.html reads (staff or not, text size, theme); the page URL (path and query)
and the script root are always in it. A page with flashed messages is rendered as before.
Anything the template shows that is not about the viewer (titles, counts, locked...) comes
from tables whose writes bump the generation, like the shared posts.

`BOARD_SHELL_VERIFY` (on in the test configuration): every filled page is also rendered
the ordinary way and compared; a difference raises `ShellMismatch` with the first lines
that differ. So the whole test suite checks every member page it opens against a full
render, including pages whose shell another viewer's request built.
"""
from __future__ import annotations

import difflib
import re
import secrets
from typing import Callable

from flask import current_app, g, render_template, request, session
from markupsafe import Markup

_NONCE = secrets.token_hex(8)
_SLOT_RE = re.compile("\x00" + _NONCE + r":(\w+)\x00")
_SLOT_FUNCTIONS: dict[str, Callable[[], str]] = {}


class ShellMismatch(AssertionError):
    """A filled shell differs from the page rendered the ordinary way (BOARD_SHELL_VERIFY)."""


def marker(name: str) -> Markup:
    return Markup(f"\x00{_NONCE}:{name}\x00")


def slot_function(name: str):
    """A template global whose output belongs to the viewer: the marker while a shell is built."""

    def wrap(fn: Callable[[], str]):
        _SLOT_FUNCTIONS[name] = fn

        def template_global():
            if g.get("_circle_shell_building"):
                return marker(name)
            return fn()

        template_global.__name__ = fn.__name__
        template_global.__doc__ = fn.__doc__
        template_global.slot_value = fn
        return template_global

    return wrap


def base_key() -> tuple:
    """What base.html (menu, display settings) reads about the viewer, other than slots."""
    from flask_login import current_user

    from board.templating import display_choice

    viewer = current_user._get_current_object()
    return (bool(viewer.is_authenticated), bool(getattr(viewer, "is_staff", False)), *display_choice())


def render(template: str, key: tuple | None, *, fills: dict[str, str], **context) -> str:
    """`template` for this viewer: from its shell when `key` is given and a shared cache is
    there, else rendered as usual. `fills` are this viewer's values of the page's own slots
    (passed to the template as variables of those names); `key` is everything else the page
    shows of the viewer (None: render for her alone)."""
    from board.forum.shared_parts import cache_and_generation

    cache, generation = cache_and_generation()
    if key is None or cache is None or session.get("_flashes"):
        return render_template(template, **fills, **context)
    full_key = ("shell", template, *key, *base_key(), request.full_path, request.script_root)
    parts = cache.get_or_build(full_key, generation, lambda: _build(template, fills, context),
                               encode=list, decode=tuple)
    html = _fill(parts, fills)
    if current_app.config.get("BOARD_SHELL_VERIFY"):
        _verify(html, render_template(template, **fills, **context), full_key)
    return html


def _build(template: str, fills: dict, context: dict) -> tuple:
    markers = {name: marker(name) for name in fills}
    g._circle_shell_building = True
    try:
        html = render_template(template, **markers, **context)
    finally:
        g._circle_shell_building = False
    return tuple(_SLOT_RE.split(html))  # text, slot name, text, slot name, ..., text


def _fill(parts: tuple, fills: dict) -> str:
    out = list(parts)
    values: dict[str, str] = {}
    for i in range(1, len(out), 2):
        name = out[i]
        value = values.get(name)
        if value is None:
            if name in fills:
                value = fills[name]
            else:
                value = values[name] = str(_SLOT_FUNCTIONS[name]())
        out[i] = value
    return "".join(out)


def _verify(html: str, expected: str, key: tuple) -> None:
    if html == expected:
        return
    diff = "\n".join(list(difflib.unified_diff(expected.splitlines(), html.splitlines(), "rendered", "shell",
                                               lineterm="", n=1))[:40])
    raise ShellMismatch(f"the page from its shell differs from a full render (key {key!r}):\n{diff}")
