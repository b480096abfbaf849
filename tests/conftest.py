"""Test fixtures: a fresh app and database per test, on SQLite or on PostgreSQL.

The schema is built once per session by running the migrations (so the
migrations are tested on both engines). Each test then gets a fresh copy of
that SQLite file, or, on PostgreSQL (`TEST_DATABASE_URL`), clean tables.
Mark a test with `@pytest.mark.csrf` to keep CSRF protection switched on.
"""
from __future__ import annotations

import os
import random
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ["BOARD_ENV"] = "testing"
os.environ.pop("DATABASE_URL", None)

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402

from board import create_app  # noqa: E402
from board.extensions import db, limiter  # noqa: E402
from config import normalize_database_url  # noqa: E402

pytest_plugins = [
    "tests.browser.fixtures",  # browser, live_server, page: one browser per session
    "tests.gunicorn_server",  # gunicorn_server: the real server process on loopback, one per module
]

TEST_DATABASE_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", ""))
REDIS_URL = os.environ.get("REDIS_URL", "")
PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    config.addinivalue_line("markers", "csrf: keep CSRF protection on for this test")
    config.addinivalue_line("markers", "ratelimit: keep rate limits on for this test")
    config.addinivalue_line("markers", "browser: needs Chromium")


def _base_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True} if uri.startswith("postgresql") else {},
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    """Run the migrations once; return what a test needs to get a fresh database."""
    if TEST_DATABASE_URL:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        app = create_app(_base_config(TEST_DATABASE_URL))
        with app.app_context():
            upgrade()
            tables = [t.name for t in db.metadata.sorted_tables]
            db.engine.dispose()
        return {"kind": "postgresql", "uri": TEST_DATABASE_URL, "tables": tables}
    folder = tmp_path_factory.mktemp("db")
    path = folder / "template.sqlite"
    app = create_app(_base_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return {"kind": "sqlite", "path": path}


@pytest.fixture
def app(db_template, tmp_path, request):
    if db_template["kind"] == "sqlite":
        target = tmp_path / "test.sqlite"
        shutil.copy(db_template["path"], target)
        uri = f"sqlite:///{target}"
    else:
        uri = db_template["uri"]
    config = _base_config(uri)
    config["MEDIA_DIR"] = str(tmp_path / "media")  # pictures (filesystem mode) stay in the test's folder
    if request.node.get_closest_marker("csrf"):
        config["WTF_CSRF_ENABLED"] = True
    if request.node.get_closest_marker("ratelimit"):
        config["RATELIMIT_ENABLED"] = True
    config.update(getattr(request, "param", None) or {})
    app = create_app(config)
    with app.app_context():
        from board.cli import seed_topics

        seed_topics()
        db.session.commit()
        try:
            limiter.reset()
        except Exception:  # noqa: BLE001 - storage without reset support
            pass
    yield app
    with app.app_context():
        db.session.remove()
        if db_template["kind"] == "postgresql":
            names = ", ".join(f'"{t}"' for t in db_template["tables"])
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                # The shared parts' generation row, as a new database has it: a value no earlier
                # test's cached pages (kept in Redis under this same database URL) were made under
                conn.execute(text("INSERT INTO shared_generation (id, value) VALUES (1, :value)"),
                             {"value": random.randrange(1 << 32, 1 << 52)})
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- helpers

@contextmanager
def _counting(app):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries(app):
    """with count_queries() as q: client.get(...); then len(q) is the number of SQL statements."""
    return lambda: _counting(app)


class Factories:
    """Make saved objects with sensible defaults. Returned objects are detached
    copies with their columns loaded (use `.id`, `.username`, …)."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _seq(self) -> int:
        self._n += 1
        return self._n

    @contextmanager
    def ctx(self):
        with self.app.app_context():
            yield db.session

    def _detach(self, obj):
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
        return obj

    def user(self, username=None, *, role="member", trust_level=1, verified=True, password=PASSWORD,
             email=None, two_factor=None, **profile):
        """`two_factor`: enrol an authenticator app (default: for moderators and admins, who
        must have one; `login()` then gives the code like a member typing it)."""
        from board.auth.services import register_user

        with self.ctx():
            n = self._seq()
            username = username or f"member{n}"
            user = register_user(username, email or f"{username}@example.org", password, verified=verified)
            user.role = role
            user.trust_level = 1 if role != "member" else trust_level
            for key, value in profile.items():
                setattr(user, key, value)
            if two_factor if two_factor is not None else role in ("moderator", "admin"):
                enrol_totp(user)
            return self._detach(user)

    def topic(self, slug="newly-diagnosed"):
        from sqlalchemy import select

        from board.models import Topic

        with self.ctx():
            return self._detach(db.session.scalar(select(Topic).where(Topic.slug == slug)))

    def thread(self, author, *, topic="newly-diagnosed", title=None, body="Opening post", replies=0,
               reply_author=None):
        """A thread by `author` with `replies` replies (bulk-inserted, counters kept right)."""
        from sqlalchemy import select

        from board.forum import services
        from board.models import Thread, Topic, User

        with self.ctx():
            t = db.session.scalar(select(Topic).where(Topic.slug == topic))
            a = db.session.get(User, author.id)
            thread = services.create_thread(a, t, title or f"A thread number {self._seq()}", body)
            r = db.session.get(User, (reply_author or author).id)
            for i in range(replies):
                services.create_reply(r, thread, f"Reply {i + 1}")
            db.session.commit()
            return self._detach(db.session.get(Thread, thread.id))

    def reply(self, author, thread, body="A reply"):
        from board.forum import services
        from board.models import Thread, User

        with self.ctx():
            post = services.create_reply(db.session.get(User, author.id), db.session.get(Thread, thread.id), body)
            return self._detach(post)


@pytest.fixture
def make(app):
    return Factories(app)


def enrol_totp(user) -> str:
    """Give `user` (in the current app context) a confirmed authenticator app; returns its key."""
    import pyotp

    from board.models import TotpSecret, utcnow

    secret = pyotp.random_base32(32)
    db.session.add(TotpSecret(user_id=user.id, secret=secret, confirmed_at=utcnow()))
    db.session.flush()
    return secret


def totp_code(app, user_id: int) -> str:
    """The code a member's app shows now. Each 30-second code is accepted once (replay
    protection), and tests log the same member in many times a minute, so the record of
    the last used step is cleared first: as if the member waited for the next code."""
    import pyotp
    from sqlalchemy import update

    from board.models import TotpSecret

    with app.app_context():
        row = db.session.get(TotpSecret, user_id)
        assert row is not None and row.confirmed_at is not None, "this member has no authenticator app"
        db.session.execute(update(TotpSecret).where(TotpSecret.user_id == user_id).values(last_step=None))
        db.session.commit()
        return pyotp.TOTP(row.secret).now()


def _form_token(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def login(client, user_or_name, password=PASSWORD, **extra):
    """Log in through the form; a member with an authenticator app (every moderator and
    admin made by the factories) then types the current code, as a person would."""
    name = getattr(user_or_name, "username", user_or_name)
    response = client.post("/auth/login", data={"username": name, "password": password, **extra})
    return finish_two_factor(client, response)


def finish_two_factor(client, response):
    """If `response` (to a login) asks for the second step, type the app's code."""
    if response.status_code in (302, 303) and response.headers.get("Location", "").endswith("/auth/two-factor"):
        with client.session_transaction() as s:
            user_id = s["circle_2fa"]["u"]
        data = {"code": totp_code(client.application, user_id)}
        if client.application.config.get("WTF_CSRF_ENABLED"):
            data["csrf_token"] = _form_token(client.get("/auth/two-factor").get_data(as_text=True))
        response = client.post("/auth/two-factor", data=data)
    return response


def session_login(app, client, user, second_factor=None):
    """Log in without any form: a session row and the Flask-Login key, as a login makes them.
    `second_factor` defaults to "totp" for moderators and admins (their sessions need one)."""
    import secrets as _secrets

    from board.auth.sessions import generation, key_hash
    from board.models import User, UserSession

    key = _secrets.token_urlsafe(32)
    with app.app_context():
        member = db.session.get(User, user.id)
        if second_factor is None:
            second_factor = "totp" if member.role in ("moderator", "admin") else ""
        db.session.add(UserSession(user_id=member.id, key_hash=key_hash(key), generation=generation(member),
                                   second_factor=second_factor, device_label="Test client"))
        db.session.commit()
        ident = f"{member.id}:{member.session_token}:{key}"
    with client.session_transaction() as s:
        s["_user_id"] = ident
        s["_fresh"] = True
    return ident


@pytest.fixture
def login_as(client):
    return lambda user, password=PASSWORD: login(client, user, password)
