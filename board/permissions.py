"""The ONLY place that decides who may do what.

Views call these; services call them too, so a rule holds whatever the entry point.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from board.models import DELETED, REMOVED, Post, Story, Thread, User
from board.models.user import STAFF_ROLES


class PermissionDenied(Exception):
    """The actor may not do this. Views answer 403 (or explain, e.g. a silence)."""

    def __init__(self, message: str = "You don't have permission to do that.", kind: str = "forbidden"):
        super().__init__(message)
        self.message = message
        self.kind = kind


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.deleted_at is None)


def is_moderator(user: User | None) -> bool:
    return _active(user) and user.role in ("moderator", "admin")


def is_admin(user: User | None) -> bool:
    return _active(user) and user.role == "admin"


def posting_block_reason(user: User | None, *, on_form: bool = True) -> str | None:
    """Why this member cannot write right now, in plain words; None if they can.

    `on_form`: the message is shown above the member's own words (kept for them).
    """
    if not _active(user):
        return "Please log in to post."
    if user.is_suspended():
        return "Your account is suspended."
    if user.is_silenced():
        until = user.silenced_until.strftime("%d %B %Y at %H:%M UTC")
        kept = " Your text is below so you can keep it." if on_form else ""
        return f"A moderator has paused your posting until {until}. You can still read everything.{kept}"
    if user.email_verified_at is None:
        return unverified_message()
    return None


def unverified_message() -> str:
    """Kind words for a member who hasn't confirmed their email yet, with a link to a new one."""
    text = ("Please confirm your email address before you post, report or share a story: "
            "open the link we emailed you. You can read everything meanwhile.")
    try:
        from flask import url_for
        from markupsafe import Markup

        # Built with Markup.format, so only our own fixed words and URL are unescaped.
        return Markup('{} <a href="{}">Send me a new link</a>.').format(
            text, url_for("auth.resend_verification"))
    except RuntimeError:  # no request (CLI, services called from tests)
        return text + " You can ask for a new link on the Account settings page."


def require_can_post(user: User | None) -> None:
    reason = posting_block_reason(user)
    if reason:
        raise PermissionDenied(reason, kind="silenced" if _active(user) and user.is_silenced() else "forbidden")


def can_reply(user: User | None, thread: Thread) -> bool:
    if posting_block_reason(user):
        return False
    if thread.locked and not is_moderator(user):
        return False
    return True


def can_edit_post(user: User | None, post: Post) -> bool:
    if not _active(user) or post.status in (DELETED, REMOVED):
        return False
    if post.author_id != user.id:
        return False
    return posting_block_reason(user) is None and not (post.thread.locked and not is_moderator(user))


def can_delete_post(user: User | None, post: Post) -> bool:
    return _active(user) and post.author_id == user.id and post.status not in (DELETED, REMOVED)


def can_edit_story(user: User | None, story: Story) -> bool:
    return _active(user) and story.author_id == user.id and story.status not in ("removed",)


def can_withdraw_story(user: User | None, story: Story) -> bool:
    """Authors take their story down at any time, no moderator needed (and even while silenced)."""
    return _active(user) and story.author_id == user.id and story.status in ("pending", "published", "hidden")


def can_react_to_story(user: User | None, story: Story) -> bool:
    return _active(user) and story.status == "published" and story.author_id != user.id


def can_moderate_user(moderator: User | None, target: User) -> bool:
    """Moderators act on members only; admins also on moderators; nobody on themselves or admins."""
    if not is_moderator(moderator) or moderator.id == target.id:
        return False
    if target.role == "admin":
        return False
    if target.role == "moderator":
        return is_admin(moderator)
    return True


# ---------------------------------------------------------------- private messages

def can_start_conversation_with(sender: User | None, recipient: User | None, *, who_may_write: str, blocked: bool,
                                known: bool) -> bool:
    """May `sender` start a conversation with `recipient`? (Facts gathered by board.messages.services.)

    `who_may_write`: the recipient's choice ("members", "known", "moderators"); `blocked`: either
    of them blocked the other; `known`: they have talked before. Moderators may write to anyone
    (it is the moderators' outreach that also skips requests); new members (trust level 0) only
    to moderators. Whatever the reason, the sender is told the same thing (no enumeration).
    """
    if not _active(sender) or recipient is None or recipient.id == sender.id:
        return False
    if recipient.deleted_at is not None or recipient.memorial_at is not None or recipient.is_suspended():
        return False
    if blocked:
        return False
    if is_moderator(sender):
        return True
    if recipient.role in ("moderator", "admin"):
        return True
    if (sender.trust_level or 0) < 1:
        return False
    if who_may_write == "moderators":
        return False
    if who_may_write == "known":
        return known
    return True


def may_write_in_conversation(user: User | None, *, from_moderators: bool) -> str | None:
    """Why `user` can't write a message right now (None: she can). A conversation the moderators
    started can always be answered (even while silenced, or before confirming an email address)."""
    if not _active(user):
        return "Please log in to write."
    if user.is_suspended():
        return "Your account is suspended."
    if from_moderators:
        return None
    return posting_block_reason(user)


def get_post_for(user: User | None, post: Post, action: str) -> Post:
    """flaskr's get_post idea: 403 unless `user` may do `action` on `post`."""
    checks = {"edit": can_edit_post, "delete": can_delete_post}
    if not checks[action](user, post):
        abort(403)
    return post


def require_role(*roles: str):
    """View decorator: 403 unless the current user has one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            detour = staff_second_factor_detour()
            if detour is not None:
                return detour
            return view(*args, **kwargs)

        return wrapped

    return decorator


moderator_required = require_role("moderator", "admin")
admin_required = require_role("admin")


# ---------------------------------------------------------------- staff need a second factor

#: What a staff member without a confirmed second factor may still reach: setting one up
#: (auth.settings_security and the auth.security_* routes), logging out, static files, /healthz.
SECOND_FACTOR_SETUP_ENDPOINTS = frozenset({"static", "auth.logout", "auth.settings_security", "health.healthz"})


def staff_second_factor_detour():
    """None, or where a moderator or admin must go first.

    Staff reach no page (staff pages included) on a password alone: a session counts only
    once it was confirmed with an authenticator code, a passkey or a recovery code. With
    no second factor yet they are sent to set one up; with one, to log in again with it.
    Runs before every request (registered by board/auth/security_views.py) and again in
    require_role, so routes added later are covered whatever their decorators.
    """
    if not current_user.is_authenticated or current_user.role not in STAFF_ROLES:
        return None
    endpoint = request.endpoint or ""
    if endpoint in SECOND_FACTOR_SETUP_ENDPOINTS or endpoint.startswith("auth.security_"):
        return None
    from board.auth.sessions import current
    from board.auth.twofactor import has_second_factor

    info = current()
    if info is not None and info.second_factor:
        return None
    if has_second_factor(current_user):
        logout_user()
        session.clear()
        flash("Please log in again and confirm it's you with your second factor.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    flash("Moderators and admins need two-factor authentication. Please set it up before you go on: "
          "it keeps members' private words safe if your password is ever stolen.", "warning")
    return redirect(url_for("auth.settings_security"), 303)
