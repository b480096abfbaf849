"""Signed, single-use links for email verification and password reset.

A link carries the member's id and a fingerprint of the account state it is meant to
change (itsdangerous URLSafeTimedSerializer, one salt per purpose, so a reset link can
never be used as a verification link or the other way round). Using the link changes
that state, so the fingerprint no longer matches and the link is spent:

- verification: fingerprint of (email, email_verified_at, password hash); valid 48 hours.
  An email-change link also carries the new address.
- password reset: fingerprint of (password hash, email); valid 1 hour.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from board.extensions import db
from board.models import User

VERIFY_SALT = "circle.verify-email.v1"
RESET_SALT = "circle.reset-password.v1"
VERIFY_MAX_AGE = 48 * 3600
RESET_MAX_AGE = 3600


class LinkProblem(Exception):
    """A link that can't be used. `reason` is 'expired', 'used' or 'invalid'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _stamp(value: datetime | None) -> str:
    return str(int(value.timestamp())) if value is not None else "-"


def _fingerprint(*parts: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:24]


def verify_fingerprint(user: User) -> str:
    return _fingerprint("verify", user.email or "", _stamp(user.email_verified_at), user.password_hash or "")


def reset_fingerprint(user: User) -> str:
    return _fingerprint("reset", user.password_hash or "", user.email or "")


def make_verify_token(user: User, email: str | None = None) -> str:
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": email or user.email, "f": verify_fingerprint(user)})


def make_reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": reset_fingerprint(user)})


def _load(token: str, salt: str, max_age: int) -> dict:
    if not token or len(token) > 2000:
        raise LinkProblem("invalid")
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkProblem("expired") from exc
    except BadSignature as exc:
        raise LinkProblem("invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        raise LinkProblem("invalid")
    return data


def _user(data: dict) -> User:
    user = db.session.get(User, data["u"])
    if user is None or user.deleted_at is not None or user.memorial_at is not None:
        raise LinkProblem("invalid")
    return user


def read_verify_token(token: str) -> tuple[User, str]:
    """(member, address to confirm), or LinkProblem."""
    data = _load(token, VERIFY_SALT, VERIFY_MAX_AGE)
    email = data.get("e")
    if not isinstance(email, str) or not email:
        raise LinkProblem("invalid")
    user = _user(data)
    if not hmac.compare_digest(data["f"], verify_fingerprint(user)):
        raise LinkProblem("used")
    return user, email


def read_reset_token(token: str) -> User:
    data = _load(token, RESET_SALT, RESET_MAX_AGE)
    user = _user(data)
    if not hmac.compare_digest(data["f"], reset_fingerprint(user)):
        raise LinkProblem("used")
    return user
