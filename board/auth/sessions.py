"""Members' sessions: every login is a `UserSession` row the member can see and end.

The Flask-Login id kept in the signed session cookie (and the remember-me cookie) is
"<user id>:<session token>:<session key>". The loader (board/auth/loader.py) accepts it
only while the member's token is unchanged (password change, log out everywhere,
suspension, role change rotate it) and the row for that key has not been ended.

Logging in goes through `begin_login`: a member with a second factor is only asked
for it here (no session exists until it is given); everyone else is logged in at once.
A login from a browser that has never been used with the account (a long-lived
`circle_device` cookie) mails the member "was this you?" with a link that ends it.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, request, session, url_for
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from board.extensions import db
from board.models import User, UserSession, utcnow
from board.models.base import as_utc

DEVICE_COOKIE = "circle_device"
DEVICE_COOKIE_DAYS = 730
PENDING_KEY = "circle_2fa"
PENDING_SECONDS = 600
TOUCH_EVERY = timedelta(minutes=5)
END_LINK_SALT = "circle.end-session.v1"
END_LINK_MAX_AGE = 14 * 24 * 3600


@dataclass
class Current:
    """The session the loader found for this request."""

    id: int
    second_factor: str
    last_seen_at: object


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def generation(user: User) -> str:
    return _sha(user.session_token or "")[:16]


def current() -> Current | None:
    return g.get("circle_session")


# ---------------------------------------------------------------- the device

def device_label(user_agent: str | None) -> str:
    """"Firefox on Windows", "Safari on iPhone"… (a guess, good enough to recognise)."""
    ua = user_agent or ""
    browser = next((name for pattern, name in (
        (r"Edg/", "Edge"), (r"OPR/|Opera", "Opera"), (r"Firefox/", "Firefox"), (r"Chrom(e|ium)/", "Chrome"),
        (r"Safari/", "Safari"),
    ) if re.search(pattern, ua)), "A browser")
    system = next((name for pattern, name in (
        (r"iPhone", "iPhone"), (r"iPad", "iPad"), (r"Android", "Android"), (r"Windows", "Windows"),
        (r"Mac OS X|Macintosh", "Mac"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
    ) if re.search(pattern, ua)), "")
    return f"{browser} on {system}" if system else browser


def _device_id() -> str:
    """This browser's device id (from its cookie, or a new one set with the response)."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", value):
        value = secrets.token_urlsafe(32)
        g.circle_new_device_cookie = value
    return value


def set_device_cookie(response):
    """after_request: give a browser its device id the first time it logs in."""
    value = g.get("circle_new_device_cookie")
    if value:
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


# ---------------------------------------------------------------- logging in

def begin_login(user: User, *, remember: bool = False, next_url: str | None = None) -> str | None:
    """Log `user` in, or, if they have a second factor, ask for it first.

    Returns the URL of the second step, or None when the member is now logged in.
    Starts a fresh session either way (nothing from before the login survives)."""
    from board.auth.twofactor import has_second_factor

    session.clear()
    if has_second_factor(user):
        session[PENDING_KEY] = {"u": user.id, "t": user.session_token, "r": bool(remember),
                                "n": next_url or "", "at": int(time.time())}
        return url_for("auth.two_factor")
    start(user, remember=remember)
    return None


def pending_login() -> tuple[User, dict] | None:
    """The member half-way through logging in (password given, second factor asked), or None."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    if time.time() - int(data.get("at") or 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, data["u"])
    if user is None or user.session_token != data.get("t") or user.deleted_at is not None:
        session.pop(PENDING_KEY, None)
        return None
    from board.auth.services import login_refusal

    if login_refusal(user):
        session.pop(PENDING_KEY, None)
        return None
    return user, data


def finish_pending_login(user: User, data: dict, second_factor: str) -> str:
    """The second factor was given: log in. Returns where to go next."""
    session.clear()
    start(user, remember=bool(data.get("r")), second_factor=second_factor)
    return data.get("n") or url_for("forum.index")


def start(user: User, *, remember: bool = False, second_factor: str = "") -> UserSession:
    """Create the session row and log the member in on it (flushes; the caller commits)."""
    key = secrets.token_urlsafe(32)
    device = _sha(_device_id())
    seen_before = db.session.scalar(
        select(UserSession.id).where(UserSession.user_id == user.id, UserSession.device_hash == device).limit(1))
    had_sessions = seen_before is not None or db.session.scalar(
        select(UserSession.id).where(UserSession.user_id == user.id).limit(1)) is not None
    now = utcnow()
    row = UserSession(
        user_id=user.id, key_hash=_sha(key), device_hash=device,
        device_label=device_label(request.headers.get("User-Agent"))[:80],
        generation=generation(user), second_factor=second_factor, created_at=now, last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    login_user(user, remember=remember)
    session["_user_id"] = f"{user.id}:{user.session_token}:{key}"  # also what the remember-me cookie keeps
    g.circle_session = Current(row.id, second_factor, now)
    if had_sessions and seen_before is None:
        _new_device_mail(user, row)
    return row


def restart_after_rotation(user: User) -> None:
    """The member's token rotated (password change) but this device stays logged in."""
    info = current()
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    remember = bool(request.cookies.get(remember_cookie))
    second_factor = info.second_factor if info else ""
    if info is not None:
        db.session.execute(update(UserSession).where(UserSession.id == info.id).values(ended_at=utcnow()))
    start(user, remember=remember, second_factor=second_factor)


def mark_second_factor(method: str) -> None:
    """This session has now been confirmed with a second factor (set up just now)."""
    info = current()
    if info is not None:
        db.session.execute(update(UserSession).where(UserSession.id == info.id).values(second_factor=method))
        info.second_factor = method


# ---------------------------------------------------------------- the loader's half

def parse_ident(ident: str) -> tuple[str, str, str]:
    parts = (ident or "").split(":")
    if len(parts) != 3:
        return "", "", ""
    return parts[0], parts[1], parts[2]


def key_hash(key: str) -> str:
    return _sha(key)


def touch() -> None:
    """Note that this session is in use (at most every few minutes; before the view runs,
    so nothing of the view's is in the transaction)."""
    info = current()
    if info is None:
        return
    now = utcnow()
    if now - as_utc(info.last_seen_at) < TOUCH_EVERY:
        return
    if db.session.new or db.session.dirty or db.session.deleted:
        return
    db.session.execute(update(UserSession).where(UserSession.id == info.id).values(last_seen_at=now))
    db.session.commit()
    info.last_seen_at = now


# ---------------------------------------------------------------- seeing and ending sessions

def active_sessions(user: User) -> list[UserSession]:
    """Sessions that can still be used, most recently active first."""
    oldest = utcnow() - current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    return list(db.session.scalars(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None),
            UserSession.generation == generation(user), UserSession.last_seen_at >= oldest,
        ).order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()).limit(100)
    ))


def end_session(user: User, session_id: int) -> bool:
    result = db.session.execute(
        update(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None)).values(ended_at=utcnow())
    )
    return result.rowcount == 1


def end_all(user: User, *, except_id: int | None = None) -> int:
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if except_id is not None:
        stmt = stmt.where(UserSession.id != except_id)
    return db.session.execute(stmt.values(ended_at=utcnow())).rowcount


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=END_LINK_SALT)


def end_link(row: UserSession) -> str:
    from board.mail import absolute_url

    token = _serializer().dumps({"s": row.id, "u": row.user_id, "k": row.key_hash[:12]})
    return absolute_url("auth.end_session_from_mail", token=token)


def read_end_link(token: str) -> UserSession | None:
    if not token or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=END_LINK_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    row = db.session.get(UserSession, data["s"])
    if row is None or row.user_id != data.get("u") or row.key_hash[:12] != data.get("k"):
        return None
    return row


# ---------------------------------------------------------------- security mail

def security_mail(user: User, kind: str, subject: str, **context) -> None:
    """An account-security mail (always sent, like a password-change notice)."""
    from board.mail import absolute_url, queue_mail, render_mail

    if not user.email or user.deleted_at is not None or user.memorial_at is not None:
        return
    context.setdefault("security_url", absolute_url("auth.settings_security"))
    context.setdefault("reset_url", absolute_url("auth.reset_request"))
    queue_mail(user.email, subject, render_mail(f"security_{kind}", user=user, **context), f"security_{kind}")


def _new_device_mail(user: User, row: UserSession) -> None:
    security_mail(user, "new_device", "New login to your Circle account: was this you?",
                  device=row.device_label, when=row.created_at.strftime("%d %B %Y at %H:%M UTC"),
                  end_url=end_link(row))
