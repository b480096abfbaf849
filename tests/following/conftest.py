"""Following tests reuse the real loopback SMTP server from the security tests."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Follow, Notification, Thread, User
from tests.security.conftest import _private_ratelimit_keys, deliver, mail_app, path_of, smtp  # noqa: F401


def client_for(app, user):
    """A separate browser (its own cookie jar) logged in as `user`."""
    from tests.conftest import login

    c = app.test_client()
    assert login(c, user).status_code == 302
    return c


@pytest.fixture
def browser(app):
    return lambda user: client_for(app, user)


def get_user(u) -> User:
    return db.session.get(User, u.id)


def get_thread(t) -> Thread:
    return db.session.get(Thread, t.id)


def notes(user, kind=None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def follows(user) -> list[Follow]:
    return list(db.session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id)))


def link_after(body: str, label: str) -> str:
    """The URL on the line that starts with `label` in a plain-text email."""
    match = re.search(re.escape(label) + r"\s*(https?://\S+)", body)
    assert match, f"no {label!r} link in:\n{body}"
    return match.group(1)
