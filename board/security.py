"""Security headers and the rate limits, in one place.

`register(app)` (called once from `create_app`) adds the response headers, the
inline-mail hook (development) and, when BOARD_TRUSTED_PROXIES is set, ProxyFix so
per-IP limits see the client's address rather than the load balancer's.

Rate limits are Flask-Limiter limits (moving window; storage `memory://` or Redis via
REDIS_URL), so `FLASK_RATELIMIT_ENABLED=false` turns every one of them off. Views
apply the decorators below; moderators are never held back by members' limits.

    login_limits            6/minute and 30/hour per IP, 5/minute per account name
    register_limit          3/hour per IP (accounts asked for, whatever the address)
    verify_mail_limit       3/hour per address (verification links)
    reset_mail_limit        3/hour per address (password-reset links)
    post_limit              level 0: 1 post per 30 s, level 1: 1 per 5 s (per member)
    thread_limit            level 0: 1 thread per 2 min, level 1: 1 per 15 s (per member)
    report_limit            20 reports a day per member
    second_factor_limits    wrong codes / passkeys: 5/minute and 20/hour per account, 30/hour per IP
    message_limit           private messages: level 0: 1 per 30 s, level 1+: 1 per 5 s, and 60 an hour (per member)
                            (new conversations are also capped per day: BOARD_MESSAGES_NEW_PER_DAY, a rule
                            in board/messages/services.py)
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from board.extensions import limiter

CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; style-src 'self'; img-src 'self' data:"
)
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIXES = ("/moderation", "/settings", "/auth/", "/notifications", "/messages")
NOINDEX_PREFIXES = ("/moderation", "/settings", "/auth/", "/notifications", "/users/", "/messages")

# ---------------------------------------------------------------- limit values

LOGIN_PER_IP = "6/minute;30/hour"
LOGIN_PER_ACCOUNT = "5/minute"
REGISTER_PER_IP = "3/hour"
MAIL_PER_ADDRESS = "3/hour"
REPORTS_PER_MEMBER = "20/day"
SECOND_FACTOR_PER_ACCOUNT = "5/minute;20/hour"
SECOND_FACTOR_PER_IP = "30/hour"
POST_INTERVAL = {0: "1 per 30 seconds", 1: "1 per 5 seconds"}
THREAD_INTERVAL = {0: "1 per 2 minutes", 1: "1 per 15 seconds"}
MESSAGE_INTERVAL = {0: "1 per 30 seconds;60 per hour", 1: "1 per 5 seconds;60 per hour"}


# ---------------------------------------------------------------- keys

def ip_key() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def account_key() -> str:
    """The account name as typed at login, lower-cased ('' skips the limit: nothing typed)."""
    name = (request.form.get("username") or "").strip().lower()[:254]
    return f"account:{name}" if name else ""


def address_key() -> str:
    """The email address a link is asked for: the form's, else the logged-in member's."""
    address = (request.form.get("email") or "").strip().lower()[:254]
    if address:
        from board.auth.services import AccountError, normalize_email

        try:
            address = normalize_email(address)  # so spelling variants of one address share a count
        except AccountError:
            pass
    if not address and current_user.is_authenticated:
        address = (current_user.email or "").lower()
    return f"address:{address}" if address else ""


def member_key() -> str:
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return ip_key()


def second_factor_key() -> str:
    """The account a code is typed for: the one half-way through logging in, else the member's."""
    from flask import session

    pending = session.get("circle_2fa")
    if isinstance(pending, dict) and isinstance(pending.get("u"), int):
        return f"account-id:{pending['u']}"
    if current_user.is_authenticated:
        return f"account-id:{current_user.id}"
    return ip_key()


def _refused(response) -> bool:
    """Count only wrong answers (a code or passkey that didn't match), not successes."""
    return response.status_code in (400, 401, 403)


def _is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.role in ("moderator", "admin"))


def _not_member_or_staff() -> bool:
    """Posting limits apply to logged-in members only (login_required answers the rest)."""
    return not current_user.is_authenticated or _is_staff()


def _succeeded(response) -> bool:
    """Count only what went through (a redirect after POST), not a form sent back to fix."""
    return response.status_code in (301, 302, 303)


def _trust_level() -> int:
    if not current_user.is_authenticated:
        return 0
    return 1 if (current_user.trust_level or 0) >= 1 else 0


def post_interval() -> str:
    return POST_INTERVAL[_trust_level()]


def thread_interval() -> str:
    return THREAD_INTERVAL[_trust_level()]


def message_interval() -> str:
    return MESSAGE_INTERVAL[_trust_level()]


# ---------------------------------------------------------------- decorators

login_ip_limit = limiter.limit(LOGIN_PER_IP, key_func=ip_key, methods=["POST"])
login_account_limit = limiter.limit(LOGIN_PER_ACCOUNT, key_func=account_key, methods=["POST"])


def login_limits(view):
    """Both login limits: per IP and per account name."""
    return login_ip_limit(login_account_limit(view))


register_limit = limiter.limit(REGISTER_PER_IP, key_func=ip_key, methods=["POST"], deduct_when=_succeeded)
verify_mail_limit = limiter.shared_limit(MAIL_PER_ADDRESS, scope="verify-mail", key_func=address_key,
                                         methods=["POST"])
reset_mail_limit = limiter.shared_limit(MAIL_PER_ADDRESS, scope="reset-mail", key_func=address_key,
                                        methods=["POST"])
post_limit = limiter.shared_limit(post_interval, scope="post", key_func=member_key, methods=["POST"],
                                  exempt_when=_not_member_or_staff, deduct_when=_succeeded)
thread_limit = limiter.shared_limit(thread_interval, scope="thread", key_func=member_key, methods=["POST"],
                                    exempt_when=_not_member_or_staff, deduct_when=_succeeded)
message_limit = limiter.shared_limit(message_interval, scope="message", key_func=member_key, methods=["POST"],
                                     exempt_when=_not_member_or_staff, deduct_when=_succeeded)


def _no_pictures() -> bool:
    """Form posts without a picture file don't count towards the upload limit."""
    if _not_member_or_staff():
        return True
    try:
        return not any(f.filename for f in request.files.values())
    except Exception:  # noqa: BLE001 - a malformed body: the view answers it
        return True


def _uploads_per_hour() -> str:
    return f"{int(current_app.config.get('BOARD_IMAGE_UPLOADS_PER_HOUR', 60))} per hour"


#: Forms that take pictures (board/media): BOARD_IMAGE_UPLOADS_PER_HOUR posts carrying files, per member.
upload_limit = limiter.shared_limit(_uploads_per_hour, scope="upload", key_func=member_key, methods=["POST"],
                                    exempt_when=_no_pictures)
#: For the report form(s): `@bp.post(...)` then `@report_limit`. 20 a day per member; staff exempt.
report_limit = limiter.shared_limit(REPORTS_PER_MEMBER, scope="report", key_func=member_key, methods=["POST"],
                                    exempt_when=_not_member_or_staff, deduct_when=_succeeded)


second_factor_account_limit = limiter.shared_limit(
    SECOND_FACTOR_PER_ACCOUNT, scope="second-factor", key_func=second_factor_key, methods=["POST"],
    deduct_when=_refused)
second_factor_ip_limit = limiter.shared_limit(
    SECOND_FACTOR_PER_IP, scope="second-factor-ip", key_func=ip_key, methods=["POST"], deduct_when=_refused)


def second_factor_limits(view):
    """Both: every code, recovery code and passkey check shares them."""
    return second_factor_ip_limit(second_factor_account_limit(view))


# ---------------------------------------------------------------- "when can I try again?"

def retry_after_seconds() -> int | None:
    """Seconds until the limit that was just hit lets this request through again."""
    try:
        current = limiter.current_limit
        if current is None:
            return None
        return max(int(current.reset_at - time.time()), 1)
    except Exception:  # noqa: BLE001 - storage trouble must not break the error page
        return None


def when_to_try_again(seconds: int | None) -> str:
    """Plain words: 'in about 30 seconds', 'in about 2 minutes', 'after 14:05 UTC (in about 2 hours)'."""
    if not seconds:
        return "in a minute"
    if seconds < 60:
        return f"in about {seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"in about {minutes} minute{'s' if minutes != 1 else ''}"
    at = datetime.fromtimestamp(time.time() + seconds, UTC)
    hours = round(seconds / 3600)
    return f"after {at.strftime('%H:%M')} UTC (in about {hours} hour{'s' if hours != 1 else ''})"


# ---------------------------------------------------------------- headers

def _is_private_page() -> bool:
    if request.endpoint == "static" or g.get("circle_public_media"):  # a picture anyone may see (board/media)
        return False
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - e.g. the database is down: be safe, don't cache
        return True


# Every response's security headers (a view may set its own first: those are kept)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)
_PRODUCTION_HEADERS = SECURITY_HEADERS + (("Strict-Transport-Security", HSTS),)


def set_security_headers(response):
    headers = response.headers
    # One look at the headers already there, instead of a scan per setdefault (every response)
    present = {name.lower() for name, _ in headers.items()}
    wanted = _PRODUCTION_HEADERS if current_app.config.get("ENV_NAME") == "production" else SECURITY_HEADERS
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    if _is_private_page():
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
        if "cookie" not in headers.get("Vary", "").lower():
            headers.add("Vary", "Cookie")
    if request.path.startswith(NOINDEX_PREFIXES) and "x-robots-tag" not in present:
        headers.add("X-Robots-Tag", "noindex, nofollow")
    return response


# ---------------------------------------------------------------- wiring

def register(app: Flask) -> None:
    from board import mail

    app.after_request(set_security_headers)
    mail.init_app(app)
    proxies = int(app.config.get("BOARD_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if app.config.get("ENV_NAME") == "production" and not app.config.get("MAIL_SERVER"):
        app.logger.warning(
            "MAIL_SERVER is not set: verification and password-reset mails are only written to the log."
        )
