"""Flask-Login user loader: the session holds "id:token"; a rotated token ends old sessions."""
from __future__ import annotations

from board.extensions import db, login_manager
from board.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_token != token:
        return None
    if user.deleted_at is not None or user.memorial_at is not None or user.is_suspended():
        return None
    return user
