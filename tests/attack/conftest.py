"""Attack tests: a board with one member of every kind and one item of every status.

`world` builds it through the services/factories; `clients` logs each role in
through the real login form. Browser fixtures come from tests/browser/fixtures.py (a plugin).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.browser.world import cheap_password_hashing
from tests.conftest import login

ROLES = ("anonymous", "unverified", "new member", "member", "owner", "other member",
         "silenced", "suspended", "moderator", "admin")
USERNAMES = {"unverified": "unverified", "new member": "newbie", "member": "member", "owner": "owner",
             "other member": "other", "silenced": "silenced", "suspended": "suspended",
             "moderator": "mod", "admin": "boss"}


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch, request):
    if request.node.get_closest_marker("real_hashing"):
        return
    cheap_password_hashing(monkeypatch)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_hashing: use the production Argon2 cost")


class World:
    """Members of every role and the resources the URL map needs, ids in `values`."""

    def __init__(self, app, make):
        from board.extensions import db
        from board.markup import render_markdown
        from board.models import CannedReason, Draft, ModerationItem, Notification, Story, StoryTheme, WatchedWord
        from board.moderation import lists

        self.app, self.make = app, make
        u = {}
        for role, name in USERNAMES.items():
            kw = {}
            if role == "unverified":
                kw["verified"] = False
            if role == "new member":
                kw["trust_level"] = 0
            if role == "moderator":
                kw["role"] = "moderator"
            if role == "admin":
                kw["role"] = "admin"
            u[role] = make.user(name, display_name=f"{name.title()} Display", **kw)
        self.users = u
        self.thread = make.thread(u["owner"], title="The owner's thread", body="Owner opening post", replies=0)
        self.reply = make.reply(u["owner"], self.thread, "Owner reply")
        self.pending = make.reply(u["new member"], self.thread, "Newbie pending reply")
        with app.app_context():
            lists.seed_moderation()
            story = Story(author_id=u["owner"].id, title="Owner story", body_source="x" * 60,
                          body_html=render_markdown("x" * 60), status="published", signature_style="first",
                          signature="Owner", published_at=datetime.now(UTC), consent_at=datetime.now(UTC))
            db.session.add(story)
            db.session.flush()
            db.session.add(StoryTheme(story_id=story.id, theme="newly-diagnosed"))
            note = Notification(user_id=u["owner"].id, kind="x", text="hello", url="/")
            db.session.add(note)
            draft = Draft(user_id=u["owner"].id, place=f"reply:{self.thread.id}", body="Owner's draft")
            db.session.add(draft)
            db.session.commit()
            item_id = db.session.scalar(select(ModerationItem.id).where(
                ModerationItem.content_kind == "post", ModerationItem.target_id == self.pending.id))
            # A private conversation between the owner and the other member (issue 15): the owner's
            # first message, accepted. Only those two may open it; only "other" may report it.
            from board.messages import services as messages
            from board.models import User

            first = messages.start_conversation(db.session.get(User, u["owner"].id), "other", "Owner's private words")
            messages.accept_request(db.session.get(User, u["other member"].id), first.conversation_id)
            db.session.commit()
            conversation_id, message_id = first.conversation_id, first.id
            # A published picture in the owner's reply (issue 18).
            from board.media import services as media
            from tests.media.pictures import jpeg

            picture = media.accept_file(db.session.get(User, u["owner"].id), jpeg(), alt="Owner's garden")
            media.attach(db.session.get(User, u["owner"].id), [picture], "post", self.reply.id)
            media.set_status(picture, "published")
            db.session.commit()
            image_id, image_name = picture.id, picture.thumb_name
            self.values = {
                "story_id": story.id, "item_id": item_id, "thread_id": self.thread.id,
                "slug": "newly-diagnosed", "post_id": self.reply.id, "username": "owner",
                "notification_id": note.id, "draft_id": draft.id, "word_id": db.session.scalar(select(WatchedWord.id)),
                "reason_id": db.session.scalar(select(CannedReason.id)), "token": "not-a-real-token",
                "credential_id": 999_999, "session_id": 999_999,
                "id": conversation_id, "message_id": message_id,
                "image_id": image_id, "name": image_name,
            }

    def client(self, role):
        c = self.app.test_client()
        if role == "anonymous":
            return c
        r = login(c, USERNAMES[role])
        assert r.status_code in (302, 303), (role, r.status_code)
        return c

    def clients(self, roles=ROLES):
        """Each role logged in; silenced and suspended are sanctioned after logging in."""
        from board.extensions import db
        from board.models import User

        cs = {role: self.client(role) for role in roles}
        with self.app.app_context():
            later = datetime.now(UTC) + timedelta(days=3)
            db.session.execute(update(User).where(User.username == "silenced").values(silenced_until=later))
            db.session.execute(update(User).where(User.username == "suspended").values(suspended_until=later))
            db.session.commit()
        return cs

    def url(self, rule):
        url = rule.rule
        for arg in rule.arguments:
            conv = rule._converters.get(arg) if hasattr(rule, "_converters") else None
            value = self.values[arg] if arg in self.values else "x"
            url = url.replace(f"<int:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)).replace(
                f"<{arg}>", str(value))
            del conv
        return url


@pytest.fixture
def world(app, make):
    return World(app, make)


def routes(app):
    """(endpoint, rule) for every rule but static."""
    return sorted(((r.endpoint, r) for r in app.url_map.iter_rules() if r.endpoint != "static"),
                  key=lambda er: er[1].rule)


def table_counts(app) -> dict[str, int]:
    from sqlalchemy import func, table

    from board.extensions import db

    with app.app_context():
        out = {}
        from sqlalchemy import inspect

        for name in inspect(db.engine).get_table_names():
            if name == "alembic_version":
                continue
            out[name] = db.session.scalar(select(func.count()).select_from(table(name)))
        db.session.rollback()
        return out
