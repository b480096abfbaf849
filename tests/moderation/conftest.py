"""Helpers for the moderation tests."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import ModerationAction, ModerationItem, Post, Thread, User


@pytest.fixture
def moderator(make):
    return make.user("mod", role="moderator")


@pytest.fixture
def admin(make):
    return make.user("boss", role="admin")


@pytest.fixture
def newbie(make):
    return make.user("newbie", trust_level=0)


@pytest.fixture
def member(make):
    return make.user("regular", trust_level=1)


def client_for(app, user):
    """A separate browser (its own cookie jar) logged in as `user`."""
    from tests.conftest import login

    c = app.test_client()
    response = login(c, user)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return c


@pytest.fixture
def browser(app):
    return lambda user: client_for(app, user)


def get(model, id_):
    return db.session.get(model, id_)


def items(**where):
    stmt = select(ModerationItem).order_by(ModerationItem.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(ModerationItem, key) == value)
    return list(db.session.scalars(stmt))


def actions(name=None):
    stmt = select(ModerationAction).order_by(ModerationAction.id)
    if name:
        stmt = stmt.where(ModerationAction.action == name)
    return list(db.session.scalars(stmt))


def post_of(thread) -> Post:
    return db.session.get(Post, db.session.get(Thread, thread.id).first_post_id)


def user(u) -> User:
    return db.session.get(User, u.id)
