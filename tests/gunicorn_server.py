"""Circle served by gunicorn on loopback, for tests that need the real server process.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py. The
`gunicorn_server` fixture is module-scoped: each test module that asks for it
gets one gunicorn (production config, `gunicorn.conf.py`, ONE sync worker, so
"the worker is free again" means this worker) on a free port, with its own
SQLite database built by the migrations and seeded with the topics, a member
(`alice`, trust level 1) and a thread. It starts in about 3 s and is stopped, by
its own process id, when the module's tests are done.

Built on bench/common.py (the benchmark's gunicorn starter and loopback guards).
Rate limits are off (a test may log in several times) and session cookies are
not marked Secure (Chromium talks plain HTTP to it); everything else is
production config. The server's log is in the fixture's `log_path`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.common import Server, free_port, make_app, production_env, reset_database
from tests.conftest import PASSWORD


@dataclass
class ServedCircle:
    server: Server
    base: str
    port: int
    thread_id: int
    member: str
    password: str
    log_path: Path

    def worker_pids(self) -> list[int]:
        return self.server.worker_pids()


def _seed(url: str) -> int:
    from sqlalchemy import select

    from board.auth.services import register_user
    from board.cli import seed_topics
    from board.extensions import db
    from board.forum import services
    from board.models import Topic

    app = make_app(url)
    with app.app_context():
        seed_topics()
        alice = register_user("alice", "alice@example.org", PASSWORD, verified=True)
        alice.trust_level = 1
        topic = db.session.scalar(select(Topic).where(Topic.slug == "newly-diagnosed"))
        thread = services.create_thread(alice, topic, "A thread for size tests", "The first post.")
        db.session.commit()
        thread_id = thread.id
        db.engine.dispose()
    return thread_id


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    url = f"sqlite:///{folder / 'circle.sqlite'}"
    reset_database(url, force=True)  # the migrations, on a file only this fixture uses
    thread_id = _seed(url)
    port = free_port()
    env = production_env(url, port=port, workers=1)
    env.update({
        "REDIS_URL": "",  # one worker: limits and the page cache in memory, nothing shared with others
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
    })
    log_path = folder / "gunicorn.log"
    server = Server("circle-test", "board:create_app()", env, port, log_path).start()
    try:
        yield ServedCircle(server=server, base=server.base, port=port, thread_id=thread_id, member="alice",
                           password=PASSWORD, log_path=log_path)
    finally:
        server.stop()
