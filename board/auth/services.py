"""Accounts: registration, authentication and profiles."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select

from board.auth.passwords import dummy_verify, hash_password, needs_rehash, password_problem, verify_password
from board.extensions import db
from board.markup import clean_line, clean_text, render_markdown
from board.models import User, utcnow
from board.models.user import IDENTITIES

USERNAME_RE = re.compile(r"^[a-z0-9_-]{3,30}$")
BIO_MAX = 1000


class AccountError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_username(username: str | None) -> str:
    return clean_line(username).lower()


def check_username(username: str) -> str:
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError(
            "Usernames are 3 to 30 characters: letters a–z, digits, dashes (-) and underscores (_).", "username"
        )
    return username


def normalize_email(email: str | None) -> str:
    email = clean_line(email)
    if not email or len(email) > 254:
        raise AccountError("Please enter a valid email address, like name@example.com.", "email")
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError("Please enter a valid email address, like name@example.com.", "email") from exc
    return result.normalized.lower()


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalize_username(username)))


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def username_taken(username: str) -> bool:
    return find_by_username(username) is not None


def register_user(username: str, email: str, password: str, *, verified: bool = False) -> User:
    """Create an account. Raises AccountError (with the field) when something needs fixing."""
    username = check_username(username)
    email = normalize_email(email)
    problem = password_problem(password or "", username, email)
    if problem:
        raise AccountError(problem, "password")
    if username_taken(username):
        raise AccountError("That username is taken. Please choose another.", "username")
    if find_by_email(email) is not None:
        raise AccountError("An account with that email address already exists. Try logging in instead.", "email")
    user = User(
        username=username, email=email, password_hash=hash_password(password),
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """The account for this username or email and password, or None. Same work either way."""
    identifier = clean_line(identifier).lower()[:254]
    user = None
    if identifier:
        user = db.session.scalar(
            select(User).where(or_(User.username == identifier, User.email == identifier))
        )
    if user is None or not user.password_hash or user.deleted_at is not None:
        dummy_verify(password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def login_refusal(user: User) -> str | None:
    """Why a correct password still cannot log in (told only after the password matched)."""
    if user.memorial_at is not None:
        return "This account is kept in memory of a member and can no longer be used to log in."
    if user.is_suspended():
        until = user.suspended_until
        when = "until further notice" if until.year >= 9000 else f"until {until.strftime('%d %B %Y at %H:%M UTC')}"
        reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
        return f"Your account is suspended {when}.{reason}"
    return None


def update_profile(user: User, *, display_name: str, city: str, region: str, identity: str, bio: str) -> User:
    identity = identity or ""
    if identity not in IDENTITIES:
        raise AccountError("Please choose one of the options.", "identity")
    bio = clean_text(bio).strip()
    if len(bio) > BIO_MAX:
        raise AccountError(f"Please keep your bio to {BIO_MAX} characters or fewer.", "bio")
    user.display_name = clean_line(display_name)[:60]
    user.city = clean_line(city)[:80]
    user.region = clean_line(region)[:80]
    user.identity = identity
    user.bio_source = bio
    user.bio_html = render_markdown(bio)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.username, user.email or "")
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.rotate_session_token()
