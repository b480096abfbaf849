"""Flask-Login user loader: the session holds "id:token:key"; a rotated token or an ended
session row (board/auth/sessions.py) ends the session."""
from __future__ import annotations

import functools

from flask import g
from sqlalchemy import bindparam, select

from board.auth.sessions import Current, key_hash, parse_ident
from board.extensions import db, login_manager
from board.ids import parse_id
from board.models import SharedGeneration, User, UserSession


@functools.cache
def _user_and_session():
    # Runs on every member's request: built once per process and reused (one query finds
    # the member and this session's row).
    # The shared page parts' generation rides along (board/forum/shared_parts.py): read by the
    # request's first query, before any page data, at no extra round trip.
    generation = select(SharedGeneration.value).where(SharedGeneration.id == 1).scalar_subquery()
    return (
        select(User, UserSession.id, UserSession.second_factor, UserSession.last_seen_at, generation)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == bindparam("user_id"), UserSession.key_hash == bindparam("key_hash"),
               UserSession.ended_at.is_(None))
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, token, key = parse_ident(user_id)
    user_id = parse_id(ident)
    if user_id is None or not token or not key:
        return None
    row = db.session.execute(_user_and_session(), {"user_id": user_id, "key_hash": key_hash(key)}).first()
    if row is None:
        return None
    user, session_id, second_factor, last_seen_at, g.circle_db_generation = row
    if user.session_token != token:
        return None
    if user.deleted_at is not None or user.memorial_at is not None or user.is_suspended():
        return None
    g.circle_session = Current(session_id, second_factor, last_seen_at)
    return user
