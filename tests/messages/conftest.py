"""Private messages: helpers, and the real loopback SMTP server from the security tests."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Conversation, ConversationMember, Message, ModerationItem, Notification, User
from tests.browser.world import cheap_password_hashing
from tests.conftest import login
from tests.security.conftest import _private_ratelimit_keys, deliver, mail_app, smtp  # noqa: F401


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


def client_for(app, user):
    """A separate browser (its own cookie jar) logged in as `user`."""
    c = app.test_client()
    assert login(c, user).status_code == 302
    return c


@pytest.fixture
def browser(app):
    return lambda user: client_for(app, user)


def send(client, to, body):
    """POST /messages/new; returns the response."""
    return client.post("/messages/new", data={"to": to if isinstance(to, str) else to.username, "body": body})


def conversation_id(response) -> int:
    location = response.headers["Location"]
    return int(location.split("/messages/")[1].split("#")[0].split("?")[0])


def messages_in(app, cid) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(Message.conversation_id == cid).order_by(Message.id)))


def member_row(app, cid, user) -> ConversationMember:
    with app.app_context():
        return db.session.scalar(select(ConversationMember).where(ConversationMember.conversation_id == cid,
                                                                  ConversationMember.user_id == user.id))


def items(app, **where) -> list[ModerationItem]:
    with app.app_context():
        stmt = select(ModerationItem).order_by(ModerationItem.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(ModerationItem, k) == v)
        return list(db.session.scalars(stmt))


def notes(app, user, kind=None) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(db.session.scalars(stmt))


def friends(app, a_client, b_client, b, body="Hello from the thread!") -> int:
    """a writes to b, b accepts: they have talked. Returns the conversation id."""
    r = send(a_client, b, body)
    assert r.status_code == 302, r.get_data(as_text=True)
    cid = conversation_id(r)
    assert b_client.post(f"/messages/requests/{cid}/accept").status_code == 302
    return cid


def get_user(app, name) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == name))


def conversations(app) -> list[Conversation]:
    with app.app_context():
        return list(db.session.scalars(select(Conversation).order_by(Conversation.id)))
