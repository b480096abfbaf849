"""Remembered URL building gives exactly what Flask builds, per script root, host and scheme."""
from __future__ import annotations

from flask import Flask, url_for


def test_memoized_urls_match_flask_and_respect_the_request(app):
    plain = Flask.url_for
    cases = [
        ("forum.thread", {"thread_id": 7, "slug": "scan-day"}),
        ("forum.thread", {"thread_id": 8, "slug": "scan-day", "page": "last"}),
        ("static", {"filename": "css/site.css"}),
        ("auth.login", {"next": "/threads/7"}),
        ("forum.index", {"_anchor": "main"}),
        ("forum.index", {"_external": True}),
    ]
    for base in ("http://localhost/", "https://circle.example/", "http://localhost/board/"):
        with app.test_request_context("/", base_url=base):
            for endpoint, values in cases:
                first, second = url_for(endpoint, **values), url_for(endpoint, **values)
                assert first == second == plain(app, endpoint, **values), (base, endpoint, values)
    with app.test_request_context("/", base_url="http://localhost/board/"):
        assert url_for("forum.index") == "/board/"
    with app.test_request_context("/"):
        assert url_for("forum.index") == "/"  # not the /board/ one remembered above
        assert url_for("forum.index", _external=True) == "http://localhost/"


def test_unhashable_arguments_still_build(app):
    with app.test_request_context("/"):
        assert url_for("search.search", kind=["threads", "posts"]).startswith("/search?kind=threads&kind=posts")


def test_remembered_sync_check_never_hands_back_a_coroutine_function(app):
    """CircleFlask.ensure_sync remembers plain functions found synchronous; a coroutine function
    goes through Flask's check every time (wrapped with asgiref when installed, refused otherwise),
    never handed back as is, which would return an un-awaited coroutine as a page."""
    async def async_view():
        return "from a coroutine"

    def sync_view():
        return "plain"

    for _ in range(3):
        assert app.ensure_sync(sync_view) is sync_view
        try:
            wrapped = app.ensure_sync(async_view)
        except RuntimeError:  # Flask without its "async" extra (asgiref)
            continue
        assert wrapped is not async_view
        with app.test_request_context("/"):
            assert wrapped() == "from a coroutine"
    assert async_view not in app._sync_seen and sync_view in app._sync_seen
