"""The visitors' page cache (board/page_cache.py): fast for the many anonymous readers,
never stale after a change, never used for members or for anyone with a session."""
from __future__ import annotations

import pytest

from board.extensions import db
from board.models import Post
from tests.conftest import login

CACHED = pytest.mark.parametrize("app", [{"BOARD_PAGE_CACHE": True}], indirect=True)


@pytest.fixture
def thread(make):
    author = make.user("alice")
    return make.thread(author, title="Scan day nerves", body="How do you cope on scan day?",
                       replies=2, reply_author=make.user("bob"))


@CACHED
def test_second_visitor_gets_the_same_page_without_touching_the_database(app, thread, count_queries):
    url = f"/threads/{thread.id}"
    first = app.test_client().get(url)
    assert first.status_code == 200 and first.headers["X-Circle-Cache"] == "miss"
    with count_queries() as q:
        second = app.test_client().get(url)
    assert second.status_code == 200 and second.headers["X-Circle-Cache"] == "hit"
    assert q == []
    assert second.get_data() == first.get_data()
    # the security headers are those of a fresh page
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in second.headers


@CACHED
def test_hiding_a_post_takes_effect_at_once_for_visitors(app, thread):
    url = f"/threads/{thread.id}"
    visitor = app.test_client()
    assert "How do you cope on scan day?" in visitor.get(url).get_data(as_text=True)
    assert visitor.get(url).headers["X-Circle-Cache"] == "hit"
    with app.app_context():
        from board.forum.services import set_post_status

        set_post_status(db.session.get(Post, thread.first_post_id), "hidden")
        db.session.commit()
    again = visitor.get(url)
    assert again.headers["X-Circle-Cache"] == "miss"
    assert "How do you cope on scan day?" not in again.get_data(as_text=True)


@CACHED
def test_a_new_reply_shows_at_once_on_thread_and_topic_pages(app, thread, make, client):
    visitor = app.test_client()
    for url in (f"/threads/{thread.id}", "/topics/newly-diagnosed", "/"):
        visitor.get(url)
        assert visitor.get(url).headers["X-Circle-Cache"] == "hit"
    login(client, make.user("carol"))
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "Sending a warm hello from Carol."})
    assert r.status_code == 302
    page = visitor.get(f"/threads/{thread.id}")
    assert page.headers["X-Circle-Cache"] == "miss"
    assert "Sending a warm hello from Carol." in page.get_data(as_text=True)
    assert visitor.get("/topics/newly-diagnosed").headers["X-Circle-Cache"] == "miss"


@CACHED
def test_members_are_never_served_a_cached_page(app, thread, make, client):
    newbie = make.user("newbie", trust_level=0)
    url = f"/threads/{thread.id}"
    app.test_client().get(url)  # a visitor fills the cache
    login(client, newbie)
    client.post(f"/threads/{thread.id}/reply", data={"body": "My first post here, hello everyone."})
    page = client.get(url)
    assert "X-Circle-Cache" not in page.headers
    html = page.get_data(as_text=True)
    assert "My first post here" in html and "Awaiting review" in html  # their own pending post
    visitor = app.test_client().get(url).get_data(as_text=True)
    assert "My first post here" not in visitor  # and nobody else sees it


@CACHED
def test_visitors_with_a_session_or_a_text_size_get_their_own_page(app, thread):
    url = f"/threads/{thread.id}"
    app.test_client().get(url)
    large = app.test_client()
    large.set_cookie("text_size", "larger")
    page = large.get(url)
    assert page.headers["X-Circle-Cache"] == "miss" and 'class="text-larger theme-auto"' in page.get_data(as_text=True)
    assert large.get(url).headers["X-Circle-Cache"] == "hit"
    dark = app.test_client()  # a visitor's theme gets its own page too
    dark.set_cookie("theme", "dark")
    page = dark.get(url)
    assert page.headers["X-Circle-Cache"] == "miss" and 'class="text-normal theme-dark"' in page.get_data(as_text=True)
    with_session = app.test_client()
    with with_session.session_transaction() as sess:  # e.g. a CSRF token or a message waiting for them
        sess["_flashes"] = [("info", "You are logged out. Take care.")]
    assert "X-Circle-Cache" not in with_session.get(url).headers


@CACHED
def test_only_the_listed_public_pages_are_cached(app, thread):
    visitor = app.test_client()
    for url in ("/search?q=scan", "/auth/login", "/stories/feed.atom", "/no-such-page"):
        visitor.get(url)
        assert visitor.get(url).headers.get("X-Circle-Cache") != "hit", url


@CACHED
def test_pages_expire_after_the_time_limit(app, thread, monkeypatch):
    import board.page_cache as page_cache

    url = f"/threads/{thread.id}"
    visitor = app.test_client()
    visitor.get(url)
    assert visitor.get(url).headers["X-Circle-Cache"] == "hit"
    now = page_cache.time.monotonic()
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now + app.config["BOARD_PAGE_CACHE_SECONDS"] + 1)
    assert visitor.get(url).headers["X-Circle-Cache"] == "miss"


def test_off_unless_configured(app, thread):
    visitor = app.test_client()
    visitor.get(f"/threads/{thread.id}")
    assert "X-Circle-Cache" not in visitor.get(f"/threads/{thread.id}").headers


def test_on_in_production_config():
    from config import ProductionConfig, TestingConfig

    assert ProductionConfig.BOARD_PAGE_CACHE is True and TestingConfig.BOARD_PAGE_CACHE is False
