"""Flask-Login user loader: the session holds "id:token"; a rotated token ends old sessions."""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, select

from board.extensions import db, login_manager
from board.ids import parse_id
from board.models import User


@functools.cache
def _user_by_id():
    # Runs on every member's request: built once per process and reused with a new `user_id`
    # (Session.get builds its statement and cache key afresh each time).
    return select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, token = (user_id or "").partition(":")
    user_id = parse_id(ident)
    if user_id is None or not token:
        return None
    user = db.session.execute(_user_by_id(), {"user_id": user_id}).scalar_one_or_none()
    if user is None or user.session_token != token:
        return None
    if user.deleted_at is not None or user.memorial_at is not None or user.is_suspended():
        return None
    return user
