"""Members' thread pages: the shared part is cached (board/forum/shared_parts.py), the
viewer's part never is. Nobody sees another member's part; every change shows at once."""
from __future__ import annotations

import logging
import re
import socket

import pytest
from sqlalchemy import text, update

from board.extensions import db
from board.forum import shared_parts
from board.models import Post, Thread, User
from tests.conftest import session_login

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _client(app, user):
    client = app.test_client()
    session_login(app, client, user)
    return client


def _page(client, thread) -> str:
    r = client.get(f"/threads/{thread.id}")
    assert r.status_code == 200
    return r.text


def _set_status(app, post_id: int, status: str) -> None:
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == post_id).values(status=status))
        db.session.commit()


@pytest.fixture
def cast(app, make):
    """alice opened a thread; dave replied twice; bob, carol and a moderator read it."""
    alice, dave = make.user("alice"), make.user("dave")
    thread = make.thread(alice, body="Alice opens the thread")
    first = make.reply(dave, thread, "Dave's first reply")
    second = make.reply(dave, thread, "Dave's second reply")
    people = {name: make.user(name) for name in ("bob", "carol")}
    people["mod"] = make.user("mod", role="moderator")
    people.update(alice=alice, dave=dave)
    return thread, first, second, people


@pytest.mark.csrf
def test_two_members_a_moderator_and_the_author_each_see_only_their_own_part(app, make, cast):
    thread, first, second, p = cast
    bob, carol, mod, alice = (_client(app, p[n]) for n in ("bob", "carol", "mod", "alice"))
    token = TOKEN_RE.search(bob.get("/settings/profile").text).group(1)
    assert bob.post(f"/posts/{first.id}/react", data={"reaction": "love", "csrf_token": token}).status_code in (302, 303)
    assert bob.post(f"/posts/{second.id}/bookmark", data={"csrf_token": token}).status_code in (302, 303)
    token = TOKEN_RE.search(carol.get("/settings/profile").text).group(1)
    assert carol.post(f"/users/dave/mute", data={"csrf_token": token}).status_code in (302, 303)
    pending = make.reply(p["bob"], thread, "Bob's words waiting for review")
    _set_status(app, pending.id, "pending")
    hidden = make.reply(p["alice"], thread, "Alice's words under review")
    _set_status(app, hidden.id, "hidden")

    # Warm the shared part with one member, then read the same page as the others
    pages = {name: _page(client, thread) for name, client in
             (("carol", carol), ("bob", bob), ("mod", mod), ("alice", alice), ("carol2", carol))}
    tokens = {name: set(TOKEN_RE.findall(html)) for name, html in pages.items()}
    for name in ("carol", "bob", "mod", "alice"):
        others = set().union(*(tokens[o] for o in ("carol", "bob", "mod", "alice") if o != name))
        assert tokens[name] and not tokens[name] & others, f"{name} got another session's CSRF token"

    def article(html, pid):
        m = re.search(rf'<article [^>]*id="post-{pid}".*?</article>', html, re.S)
        return m.group(0) if m else None

    # Reactions and bookmarks: bob's are pressed on bob's page only; the count is everyone's
    assert 'value="love" aria-pressed="true"' in article(pages["bob"], first.id)
    for name in ("carol", "mod"):
        assert 'aria-pressed="true"' not in article(pages[name], first.id)
        assert "1 person sent love" in article(pages[name], first.id)
    assert "Bookmarked" in article(pages["bob"], second.id)
    assert "Bookmarked" not in pages["carol"] and "Bookmarked" not in pages["mod"]
    # Edit / Delete only for the author, Report for everyone else
    opening = thread.first_post_id
    assert f"/posts/{opening}/edit" in pages["alice"] and f"/posts/{opening}/delete" in pages["alice"]
    assert f"/posts/{opening}/report" not in pages["alice"]
    for name in ("bob", "carol", "mod"):
        assert f"/posts/{opening}/edit" not in pages[name] and f"/posts/{opening}/delete" not in pages[name]
        assert f"/posts/{opening}/report" in pages[name]
    # Muted: dave's posts are folded for carol only
    assert pages["carol"].count('<details class="muted-post">') == 2
    assert all('<details class="muted-post">' not in pages[n] for n in ("bob", "mod", "alice"))
    # Pending: bob (its author) and moderators see it; carol and alice don't
    assert "Bob's words waiting for review" in pages["bob"] and "Bob's words waiting for review" in pages["mod"]
    assert f'id="post-{pending.id}"' not in pages["carol"] and f'id="post-{pending.id}"' not in pages["alice"]
    assert "Bob's words waiting for review" not in pages["carol2"]
    # Hidden: its author and moderators read it, the others see the placeholder
    assert "Alice's words under review" in pages["alice"] and "Alice's words under review" in pages["mod"]
    for name in ("bob", "carol"):
        assert "Alice's words under review" not in pages[name]
        assert "Hidden while moderators review it." in article(pages[name], hidden.id)
    # And the cached page is the page rendered from scratch
    app.extensions["circle_shared_parts"].entries.clear()
    fresh = _page(carol, thread)

    def posts(html):  # the post list, without this session's tokens
        return TOKEN_RE.sub("", html[html.index('<div class="posts">'):html.index('<span id="newest">')])
    assert posts(fresh) == posts(pages["carol2"]) == posts(pages["carol"])


def _warm(app, client, thread):
    page = _page(client, thread)
    assert app.extensions["circle_shared_parts"].entries, "the shared part was not cached"
    return page


def test_an_edit_shows_at_once(app, make, cast):
    thread, first, _, p = cast
    carol = _client(app, p["carol"])
    assert "Dave's first reply" in _warm(app, carol, thread)
    dave = _client(app, p["dave"])
    assert dave.post(f"/posts/{first.id}/edit", data={"body": "Dave changed his words"}).status_code in (302, 303)
    page = _page(carol, thread)
    assert "Dave changed his words" in page and "Dave's first reply" not in page


def test_a_hidden_or_removed_post_shows_at_once(app, make, cast):
    from board.forum.services import set_post_status

    thread, first, second, p = cast
    carol = _client(app, p["carol"])
    assert "Dave's first reply" in _warm(app, carol, thread)
    with app.app_context():
        set_post_status(db.session.get(Post, first.id), "hidden")
        set_post_status(db.session.get(Post, second.id), "removed")
        db.session.commit()
    page = _page(carol, thread)
    assert "Dave's first reply" not in page and "Dave's second reply" not in page
    assert "Hidden while moderators review it." in page and "This post was removed by a moderator." in page


def test_a_reaction_shows_at_once_for_everyone(app, make, cast):
    thread, first, _, p = cast
    carol, bob = _client(app, p["carol"]), _client(app, p["bob"])
    assert "sent love" not in _warm(app, carol, thread)
    assert bob.post(f"/posts/{first.id}/react", data={"reaction": "love"}).status_code in (302, 303)
    assert "1 person sent love" in _page(carol, thread)
    assert bob.post(f"/posts/{first.id}/react", data={"reaction": "love"}).status_code in (302, 303)  # taken back
    assert "sent love" not in _page(carol, thread)


def test_a_new_reply_shows_at_once(app, make, cast):
    thread, _, _, p = cast
    carol, bob = _client(app, p["carol"]), _client(app, p["bob"])
    _warm(app, carol, thread)
    assert bob.post(f"/threads/{thread.id}/reply", data={"body": "Bob answers kindly"}).status_code in (302, 303)
    assert "Bob answers kindly" in _page(carol, thread)


def test_a_new_name_or_identity_shows_at_once(app, make, cast):
    thread, _, _, p = cast
    carol, dave = _client(app, p["carol"]), _client(app, p["dave"])
    assert "Dave Renamed" not in _warm(app, carol, thread)
    r = dave.post("/settings/profile", data={"display_name": "Dave Renamed", "identity": "caregiver", "city": "",
                                            "region": "", "bio": ""})
    assert r.status_code in (200, 302)
    page = _page(carol, thread)
    assert ">Dave Renamed</a>" in page
    assert '<span class="identity">' in page


def test_every_watched_author_field_bumps_the_generation(app, make, cast):
    """Name, identity, role, memorial, deletion — and the profile picture (`avatar_media`) once
    the users table has it: a change to any of them re-renders the shared part."""
    thread, _, _, p = cast
    cache = app.extensions["circle_shared_parts"]
    columns = {c.name: c for c in User.__table__.columns}
    assert cache.user_columns == shared_parts.WATCHED_USER_FIELDS & set(columns)
    values = {"username": "dave_two", "display_name": "D.", "identity": "caregiver", "role": "moderator",
              "avatar_media": "ab" * 32 + ".webp"}
    for name in sorted(cache.user_columns):
        with app.app_context():
            before = cache.generation()
            value = values.get(name) or db.func.current_timestamp()
            db.session.execute(update(User).where(User.id == p["dave"].id).values({name: value}))
            db.session.commit()
            assert cache.generation() != before, name
    with app.app_context():  # a field the page doesn't show: no bump
        before = cache.generation()
        db.session.execute(update(User).where(User.id == p["dave"].id).values(city="Leeds"))
        db.session.commit()
        assert cache.generation() == before


def test_watch_reads_sql_statements():
    cols = frozenset({"display_name", "avatar_media"})
    assert shared_parts.touches_shared('UPDATE users SET avatar_media=? WHERE users.id = ?', cols)
    assert shared_parts.touches_shared('UPDATE users SET display_name=%(display_name)s::VARCHAR WHERE users.id = %(id)s', cols)
    assert not shared_parts.touches_shared("UPDATE users SET last_seen_at=? WHERE users.id = ?", cols)
    assert not shared_parts.touches_shared("UPDATE users SET bio=? WHERE users.display_name = ?", cols)
    assert shared_parts.touches_shared("UPDATE posts SET react_love=(posts.react_love + ?) WHERE posts.id = ?", cols)
    assert shared_parts.touches_shared('INSERT INTO posts (thread_id) VALUES (?)', cols)
    assert shared_parts.touches_shared('DELETE FROM users WHERE users.id = ?', cols)
    assert not shared_parts.touches_shared('INSERT INTO users (username) VALUES (?)', cols)
    assert not shared_parts.touches_shared('INSERT INTO reactions (post_id) VALUES (?)', cols)
    assert not shared_parts.touches_shared('SELECT * FROM posts', cols)


def test_a_member_with_a_post_waiting_for_review_opening_the_page_first_shares_nothing_of_it(app, make, cast):
    """The shared part is built without anyone's own posts, even when the first reader has one."""
    thread, _, _, p = cast
    pending = make.reply(p["bob"], thread, "Bob's words waiting for review")
    _set_status(app, pending.id, "pending")
    bob, carol = _client(app, p["bob"]), _client(app, p["carol"])
    bob_page = _page(bob, thread)  # the first reader of this page: the shared part is made now
    assert "Bob's words waiting for review" in bob_page and "Awaiting review" in bob_page
    assert app.extensions["circle_shared_parts"].entries
    carol_page = _page(carol, thread)
    assert "Bob's words waiting for review" not in carol_page and f'id="post-{pending.id}"' not in carol_page
    assert "Dave's second reply" in carol_page


def test_without_the_bump_the_cached_page_would_be_stale(app, make, cast, monkeypatch):
    """The invalidation tests above can fail: with the bump switched off, the edit is not seen."""
    thread, first, _, p = cast
    carol, dave = _client(app, p["carol"]), _client(app, p["dave"])
    _warm(app, carol, thread)
    monkeypatch.setattr(shared_parts, "bump_generation", lambda connection: None)
    assert dave.post(f"/posts/{first.id}/edit", data={"body": "Dave changed his words"}).status_code in (302, 303)
    assert "Dave's first reply" in _page(carol, thread)  # stale: what the real bump prevents


def test_member_thread_page_query_budget_cached_and_not(app, make, cast, count_queries):
    thread, _, _, p = cast
    carol = _client(app, p["carol"])
    with count_queries() as miss:
        _page(carol, thread)
    with count_queries() as hit:
        _page(carol, thread)
    assert len(miss) <= 6, miss
    assert len(hit) <= 4 and len(hit) == len(miss) - 2, hit  # the posts and the thread queries are skipped


def test_a_locked_or_renamed_thread_shows_at_once_on_a_page_members_had_read(app, make, cast):
    """The thread and its topic are kept with the shared parts too (one query less per view)."""
    thread, _, _, p = cast
    carol = _client(app, p["carol"])
    _warm(app, carol, thread)
    assert 'id="reply"' in _page(carol, thread)
    with app.app_context():
        db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked=True, title="Scans, renamed"))
        db.session.commit()
    page = _page(carol, thread)
    assert "Scans, renamed" in page and "Locked: no new replies" in page and 'id="reply"' not in page


# ---------------------------------------------------------------- Redis

def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


def _redis_url() -> str | None:
    import os

    import redis

    url = os.environ.get("SHARED_PARTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.3).ping()
    except Exception:  # noqa: BLE001
        return None
    return url


def test_redis_away_pages_render_uncached_logged_once_then_cached_again(app, make, cast, caplog, monkeypatch):
    import redis

    monkeypatch.setattr(shared_parts.log, "disabled", False)  # the migrations' logging config disables loggers

    thread, first, _, p = cast
    cache = shared_parts.SharedParts(app)
    cache.redis = redis.Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_timeout=0.3,
                                       socket_connect_timeout=0.3)
    app.extensions["circle_shared_parts"] = cache
    carol, dave = _client(app, p["carol"]), _client(app, p["dave"])
    with caplog.at_level(logging.WARNING, logger="board.forum.shared_parts"):
        for _ in range(3):
            assert "Dave's first reply" in _page(carol, thread)
        assert dave.post(f"/posts/{first.id}/edit", data={"body": "Edited while Redis was away"}).status_code in (302, 303)
        cache.retry_at = 0  # as if the retry interval had passed: still away
        assert "Edited while Redis was away" in _page(carol, thread)
    outage = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]
    assert not cache.entries
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379 for the recovery half")
    caplog.clear()
    cache.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    cache.retry_at = 0
    with caplog.at_level(logging.WARNING, logger="board.forum.shared_parts"):
        assert "Edited while Redis was away" in _page(carol, thread)
        assert "Edited while Redis was away" in _page(carol, thread)
    assert [r.getMessage() for r in caplog.records if "back" in r.getMessage()]
    assert cache.entries  # cached again


def test_two_workers_share_the_generation_through_the_database(app, make, cast):
    """Worker A keeps a page; a write handled by worker B invalidates it at once."""
    import redis

    url = _redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    thread, first, _, p = cast
    worker_a = shared_parts.SharedParts(app)
    worker_b = shared_parts.SharedParts(app)
    for w in (worker_a, worker_b):
        w.redis = redis.Redis.from_url(url)
    carol, dave = _client(app, p["carol"]), _client(app, p["dave"])
    app.extensions["circle_shared_parts"] = worker_a
    assert "Dave's first reply" in _page(carol, thread)
    assert worker_a.entries
    app.extensions["circle_shared_parts"] = worker_b
    assert dave.post(f"/posts/{first.id}/edit", data={"body": "Dave edits on worker B"}).status_code in (302, 303)
    assert worker_a.entries  # worker A was not told in-process...
    app.extensions["circle_shared_parts"] = worker_a
    assert "Dave edits on worker B" in _page(carol, thread)  # ...the generation in the database did
    # The thread itself (kept per process with the shared parts) too: locked through worker B
    app.extensions["circle_shared_parts"] = worker_b
    with app.app_context():
        db.session.execute(update(Thread).where(Thread.id == thread.id).values(locked=True))
        db.session.commit()
    assert any(key[:2] == ("local", "thread") for key in worker_a.entries)
    app.extensions["circle_shared_parts"] = worker_a
    page = _page(carol, thread)
    assert "Locked: no new replies" in page and 'id="reply"' not in page


# ---------------------------------------------------------------- topic and home lists

def test_topic_and_home_lists_are_shared_but_own_pending_threads_stay_their_authors(app, make, cast):
    from board.models import Thread

    thread, _, _, p = cast
    bob, carol, mod = (_client(app, p[n]) for n in ("bob", "carol", "mod"))
    # carol's view warms the shared lists first
    assert thread.title in carol.get("/topics/newly-diagnosed").text and thread.title in carol.get("/").text
    waiting = make.thread(p["bob"], title="Bob thread waiting for review")
    with app.app_context():
        db.session.execute(update(Thread).where(Thread.id == waiting.id).values(status="pending"))
        db.session.commit()
    for url in ("/topics/newly-diagnosed", "/"):
        assert "Bob thread waiting for review" in bob.get(url).text, url
        assert "Bob thread waiting for review" not in carol.get(url).text, url
    assert "Bob thread waiting for review" in mod.get("/topics/newly-diagnosed").text
    assert "Bob thread waiting for review" not in carol.get("/topics/newly-diagnosed").text


def test_topic_and_home_lists_show_a_new_thread_and_a_new_name_at_once(app, make, cast):
    thread, _, _, p = cast
    carol, dave = _client(app, p["carol"]), _client(app, p["dave"])
    assert "A brand new conversation" not in carol.get("/topics/newly-diagnosed").text
    assert "A brand new conversation" not in carol.get("/").text
    make.thread(p["dave"], title="A brand new conversation")
    assert "A brand new conversation" in carol.get("/topics/newly-diagnosed").text
    assert "A brand new conversation" in carol.get("/").text
    r = dave.post("/settings/profile", data={"display_name": "Dave Renamed", "identity": "", "city": "",
                                            "region": "", "bio": ""})
    assert r.status_code in (200, 302)
    assert ">Dave Renamed</a>" in carol.get("/topics/newly-diagnosed").text


def test_member_topic_and_home_query_counts(app, make, cast, count_queries):
    thread, _, _, p = cast
    carol = _client(app, p["carol"])
    for url in ("/topics/newly-diagnosed", "/"):
        with count_queries() as miss:
            assert carol.get(url).status_code == 200
        with count_queries() as hit:
            assert carol.get(url).status_code == 200
        assert len(hit) < len(miss) and len(hit) <= 3, (url, hit)


def _generation(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT value FROM shared_generation WHERE id = 1"))


def test_the_generation_is_read_with_the_member_and_bumped_in_the_writes_own_transaction(
        app, make, cast, count_queries):
    """No round trip of its own: the user loader's query (the request's first) reads the generation;
    a write adds one to it as part of the same transaction, so a rolled-back write changes nothing."""
    thread, first, _, p = cast
    carol = _client(app, p["carol"])
    with count_queries() as queries:
        _page(carol, thread)
    assert "shared_generation" in queries[0] and "user_sessions" in queries[0]
    assert sum("shared_generation" in q for q in queries) == 1
    before = _generation(app)
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == first.id).values(body_html="<p>Never kept</p>"))
        db.session.rollback()
    assert _generation(app) == before
    with app.app_context():
        db.session.execute(update(Post).where(Post.id == first.id).values(body_html="<p>Kept</p>"))
        db.session.commit()
    assert _generation(app) == before + 1
    with app.app_context():  # a setting no shared part shows: no bump
        db.session.execute(update(User).where(User.id == p["carol"].id).values(text_size="large"))
        db.session.commit()
    assert _generation(app) == before + 1
    assert "<p>Kept</p>" in _page(carol, thread)


def test_plain_members_share_one_kept_set_of_tails_and_a_reaction_takes_a_member_out_of_it(app, make, cast):
    """Members who wrote, pressed, bookmarked and muted nothing on a page share its tails (kept once,
    split at the CSRF token); each still gets her own token, and her own reaction shows at once."""
    thread, first, _, p = cast
    bob, carol = _client(app, p["bob"]), _client(app, p["carol"])
    bob_page, carol_page = _page(bob, thread), _page(carol, thread)
    cache = app.extensions["circle_shared_parts"]
    assert [key for key in cache.entries if key[0] == "page" and "plain" in key]
    bob_tokens, carol_tokens = set(TOKEN_RE.findall(bob_page)), set(TOKEN_RE.findall(carol_page))
    assert len(bob_tokens) == 1 and len(carol_tokens) == 1 and bob_tokens != carol_tokens
    assert bob_page.replace(bob_tokens.pop(), "T").replace('"/users/bob">bob</a>', "ME") == \
        carol_page.replace(carol_tokens.pop(), "T").replace('"/users/carol">carol</a>', "ME")
    token = TOKEN_RE.search(bob_page).group(1)
    assert bob.post(f"/posts/{first.id}/react", data={"reaction": "hugs", "csrf_token": token}).status_code in (302, 303)
    assert 'value="hugs" aria-pressed="true"' in _page(bob, thread)
    assert 'value="hugs" aria-pressed="true"' not in _page(carol, thread)


def test_a_write_in_a_savepoint_bumps_once_at_the_real_commit_as_its_last_statement(app, make, cast):
    """The generation row is locked last (no writer holds it while waiting for another row), so a
    SAVEPOINT's release doesn't bump it; the outer COMMIT does, once, after every other write."""
    from sqlalchemy import event

    thread, first, second, p = cast
    before = _generation(app)
    statements = []
    with app.app_context():
        engine = db.engine

        def record(conn, cursor, statement, *args):
            statements.append(" ".join(statement.split())[:60])

        event.listen(engine, "before_cursor_execute", record)
        try:
            with db.session.begin_nested():
                db.session.execute(update(Post).where(Post.id == first.id).values(body_html="<p>In a savepoint</p>"))
            db.session.execute(update(Post).where(Post.id == second.id).values(body_html="<p>After it</p>"))
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert _generation(app) == before + 1
    bumps = [i for i, s in enumerate(statements) if s.startswith("UPDATE shared_generation")]
    writes = [i for i, s in enumerate(statements) if s.startswith("UPDATE posts")]
    assert len(bumps) == 1 and bumps[0] > max(writes), statements
