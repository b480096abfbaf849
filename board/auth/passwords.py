"""Argon2id password hashing and the common-password list."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

PASSWORD_MIN, PASSWORD_MAX = 10, 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


_DUMMY_HASH = None


def dummy_verify(password: str) -> None:
    """Spend the same time as a real check, so unknown accounts can't be told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not-a-real-password-0000")
    verify_password(_DUMMY_HASH, password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, username: str = "", email: str = "") -> str | None:
    """Why this password is refused, in plain words; None if it is fine."""
    if len(password) < PASSWORD_MIN:
        return f"Please choose a password of at least {PASSWORD_MIN} characters. A few words together work well."
    if len(password) > PASSWORD_MAX:
        return f"Please keep your password to {PASSWORD_MAX} characters or fewer."
    lowered = password.lower()
    if lowered in common_passwords():
        return "That password is very common and easy to guess. Please choose another one."
    if username and lowered == username.lower():
        return "Please don't use your username as your password."
    if email and lowered == email.lower():
        return "Please don't use your email address as your password."
    if len(set(password)) < 4:
        return "That password repeats too few different characters. Please choose another one."
    return None
