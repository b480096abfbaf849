"""Template globals and filters."""
from __future__ import annotations

import functools
from urllib.parse import unquote
from datetime import UTC, datetime

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from markupsafe import Markup, escape
from urllib.parse import urlencode

from board.models.base import as_utc
from board.page_shell import slot_function


@functools.lru_cache(maxsize=1024)
def zone_named(name: str) -> ZoneInfo | None:
    """The time zone called `name` (IANA, e.g. "Europe/London"), or None if there is no such zone."""
    if not name or len(name) > 64 or name not in available_zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@functools.lru_cache(maxsize=1)
def available_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def viewer_zone() -> str:
    """The zone times are shown in for this request: the member's own (profile), else the one her
    browser told us (the `tz` cookie site.js sets on a first visit), else UTC."""
    if not has_request_context():
        return "UTC"
    zone = g.get("circle_time_zone")
    if zone is None:
        zone = "UTC"
        chosen = getattr(current_user, "time_zone", "") if current_user.is_authenticated else ""
        for candidate in (chosen, unquote(request.cookies.get("tz", ""))[:64]):
            if candidate and zone_named(candidate) is not None:
                zone = candidate
                break
        g.circle_time_zone = zone
    return zone


@functools.lru_cache(maxsize=8192)
def _formatted(value: datetime, zone: str = "UTC") -> tuple[datetime, str, str, str]:
    """(aware value, ISO form, exact time, short date) of one timestamp in `zone`, formatted once per process.

    A thread page shows dozens of timestamps and strftime is slow; the same posts are shown
    over and over, so their fixed parts are kept (only "3 hours ago" depends on the clock).
    The ISO form is UTC to the second (no microseconds: a valid `datetime` attribute);
    the exact time is in the viewer's zone and names it.
    """
    aware = as_utc(value)
    local = aware.astimezone(zone_named(zone) or UTC)
    label = "UTC" if zone == "UTC" else f"{local.strftime('%Z')}, {zone.replace('_', ' ')}"
    iso = aware.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return aware, iso, local.strftime(f"%-d %B %Y at %H:%M ({label})"), local.strftime("%-d %b %Y")


def timeago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    value, _, _, short_date = _formatted(value, viewer_zone())
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = hours // 24
    if days < 30:
        return f"{days} day{'s' if days != 1 else ''} ago"
    return short_date


def exact_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return _formatted(value, viewer_zone())[2]


def time_tag(value: datetime | None) -> Markup:
    """<time> with a relative label ("3 days ago") and the exact time for everyone.

    Mouse users get the exact time on hover (title); screen-reader users hear it
    (visually hidden text, since a title on plain text is not reliably announced
    and cannot be reached by keyboard); sighted keyboard users see it when the
    link the time sits in (e.g. a post's permalink) has focus (site.css).
    The element itself is not focusable, so it adds no tab stops.
    """
    if value is None:
        return Markup("")
    # Only our own date formatting goes in here (no member text), so no escaping is needed;
    # an f-string keeps this cheap on pages that show many dates.
    _, iso, exact, _ = _formatted(value, viewer_zone())
    return Markup(
        f'<time datetime="{iso}" title="{exact}">{timeago(value)}'
        f'<span class="exact-time visually-hidden"> ({exact})</span></time>'
    )


def user_link(user, root: str | None = None) -> Markup:
    """A member's name linking to their profile, with memorial and role markers.

    A Python function rather than a Jinja macro: it runs once per post on the
    hottest page, and a macro with url_for costs several times more.
    """
    if user is None or user.deleted_at is not None:
        return Markup('<span class="author">a former member</span>')
    if root is None:
        root = request.script_root if request else ""
    html = f'<a class="author" href="{root}/users/{escape(user.username)}">{escape(user.public_name)}</a>'
    if user.memorial_at is not None:
        html += ' <span class="memorial">(in memoriam)</span>'
    if user.role != "member":
        html += f' <span class="role-badge">{escape(user.role)}</span>'
    return Markup(html)


def here_path() -> str:
    """This page's path and query, for "come back here" fields (the display settings in the menu).
    A `next` parameter is left out: the menu never carries another page's redirect target."""
    if not request.query_string:
        return request.path
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "next"])
    return f"{request.path}?{query}" if query else request.path


def pluralize(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _crisis_resources():
    """Where to get help, for the crisis notice: the member's own country when her profile says."""
    from board.moderation.care import crisis_resources

    return crisis_resources(current_user if current_user.is_authenticated else None)


_signed_tokens: dict[tuple, str] = {}  # (secret, the session's raw token) -> its signed form


@slot_function("csrf_token")
def csrf_token() -> str:
    """`{{ csrf_token() }}`: Flask-WTF's token for this request (a slot of members' page shells,
    board/page_shell.py). A member's page has several forms; generate_csrf reads its settings
    on every call and signs the session's token anew on each request. With no time limit on
    tokens (WTF_CSRF_TIME_LIMIT = None) the signed form of one session's token can be reused:
    it is kept per process, so a member's request signs nothing."""
    token = g.get("csrf_token")
    if token is not None:
        return token
    from flask import current_app, session

    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get("csrf_token")
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is None and isinstance(raw, str):
        token = _signed_tokens.get((secret, raw))
        if token is not None:
            g.csrf_token = token
            return token
    from flask_wtf.csrf import generate_csrf

    token = generate_csrf()
    raw = session.get("csrf_token")  # made by generate_csrf for a new session
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is None and isinstance(raw, str):
        if len(_signed_tokens) >= 4096:
            _signed_tokens.clear()
        _signed_tokens[(secret, raw)] = token
    return token


def display_choice() -> tuple[str, str]:
    """(text size, theme) for this viewer: her settings, or a visitor's cookies."""
    viewer = current_user._get_current_object()
    if viewer.is_authenticated:
        theme = viewer.theme
        return viewer.text_size or "normal", theme if theme in ("auto", "light", "dark") else "auto"
    text_size, theme = request.cookies.get("text_size"), request.cookies.get("theme")
    return (text_size if text_size in ("normal", "large", "larger") else "normal",
            theme if theme in ("auto", "light", "dark") else "auto")


def header_counts() -> tuple[int, int, int]:
    """(unread notifications, conversations with unread messages, message requests) for the menu's
    badges: read with the page's own state query when it made one (g), else here (1 query)."""
    if g.get("database_down") or not current_user.is_authenticated:
        return 0, 0, 0
    if "unread_notifications" not in g:
        from board.notifications.services import header_counts as read_counts

        g.unread_notifications, g.unread_messages, g.message_requests = read_counts(current_user)
    return g.unread_notifications or 0, g.get("unread_messages") or 0, g.get("message_requests") or 0


def _badge(count: int, label: str) -> Markup:
    return Markup(f' <span class="badge">{int(count)}<span class="visually-hidden"> {label}</span></span>') \
        if count else Markup("")


@slot_function("menu_badge")
def menu_badge() -> Markup:
    """The menu button's badge: everything waiting for the member (notifications, messages, requests)."""
    return _badge(sum(header_counts()), "new")


@slot_function("messages_badge")
def messages_badge() -> Markup:
    _, messages, requests = header_counts()
    return _badge(messages + requests, "new")


@slot_function("notifications_badge")
def notifications_badge() -> Markup:
    return _badge(header_counts()[0], "unread")


@slot_function("profile_link")
def profile_link() -> Markup:
    """The member's own name in the menu, linking to her profile."""
    viewer = current_user._get_current_object()
    # The profile's URL as user_link writes it (usernames are [a-z0-9_-]: nothing to quote)
    return Markup(f'<a href="{request.script_root}/users/{escape(viewer.username)}">{escape(viewer.public_name)}</a>')


def register(app: Flask) -> None:
    app.jinja_env.filters["timeago"] = timeago
    app.jinja_env.filters["exact_time"] = exact_time
    app.jinja_env.globals["time_tag"] = time_tag
    app.jinja_env.globals["user_link"] = user_link
    app.jinja_env.globals["pluralize"] = pluralize
    app.jinja_env.globals["here_path"] = here_path
    app.jinja_env.globals["crisis_resources"] = _crisis_resources
    app.jinja_env.globals["url_rules"] = app.view_functions
    app.jinja_env.globals["csrf_token"] = csrf_token  # instead of Flask-WTF's generate_csrf
    for fn in (menu_badge, messages_badge, notifications_badge, profile_link):
        app.jinja_env.globals[fn.__name__] = fn
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context():
        unread, messages, requests = header_counts()
        text_size, theme = ("normal", "auto") if g.get("database_down") else display_choice()
        return {
            "site_name": app.config.get("BOARD_SITE_NAME", "Circle"),
            "root": request.script_root,  # for plain-string URLs in long lists (cheaper than url_for)
            "unread_notifications": unread,
            "unread_messages": messages,  # conversations with something unread (board/messages)
            "message_requests": requests,
            "text_size": text_size,
            "theme": theme,
            "csrf_token": csrf_token,  # over Flask-WTF's own context processor (generate_csrf)
        }
