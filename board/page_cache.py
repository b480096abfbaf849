"""A short-lived cache of the public pages as anonymous visitors see them.

Most readers of a support board are visitors who are not logged in, and they all
see the same home, topic, thread and story pages. Like Discourse's anonymous
cache, Circle keeps the finished HTML of those pages for a short time, per
worker process, so a busy thread costs one rendering per change instead of one
per reader. What keeps it safe on a site where hiding a post must take effect at
once:

* **Only anonymous visitors with no session at all.** A request carrying a
  session or remember-me cookie is never served from, nor stored into, the
  cache; neither is a response that put anything in the session or sets a
  cookie, or any status but 200. Members always get a freshly rendered page
  (their own pending posts, mutes, actions).
* **Any write invalidates everything.** Every INSERT, UPDATE or DELETE that a
  session commits bumps a *content generation* after the commit succeeds
  (`after_commit`); a cached page is used only while the generation it was made
  under is still current. The generation lives in Redis (`REDIS_URL`), so one
  worker's write invalidates every worker's pages at once; without Redis it is
  per process (one worker, as in development). A write made outside the app's
  sessions (another process without Redis, a hand-run SQL statement) is covered
  by the time limit.
* **A time limit** (`BOARD_PAGE_CACHE_SECONDS`, 60 s) bounds everything else:
  relative times ("5 minutes ago") and writes made where the app can't see them.
* **A fixed list of pages** (`CACHED_ENDPOINTS`), keyed by the full path and
  query string and the visitor's text-size cookie, at most
  `BOARD_PAGE_CACHE_ENTRIES` pages per process (least recently used go first).

On by default in production (`BOARD_PAGE_CACHE`), off in development and tests
(tests that are about the cache switch it on). Responses carry
`X-Circle-Cache: hit` or `miss` so an operator can see it work. If Redis can't
be reached the cache steps aside (pages are rendered as usual) rather than risk
serving a stale page.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = frozenset({
    "forum.index", "forum.topic", "forum.thread", "stories.index", "stories.story",
})
GENERATION_KEY = "circle:content-generation"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_SKIP_HEADERS = {"content-length", "set-cookie", "date", "x-circle-cache"}

_local = threading.local()   # did this thread's session write since its last commit?
_local_current = [0]   # the generation when there is no Redis (one process)
_lock = threading.Lock()


class PageCache:
    def __init__(self, app: Flask):
        self.seconds = float(app.config.get("BOARD_PAGE_CACHE_SECONDS", 60))
        self.max_entries = int(app.config.get("BOARD_PAGE_CACHE_ENTRIES", 500))
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.redis = None
        self.outage = False  # Redis seen away: logged once, until it answers again
        url = app.config.get("REDIS_URL") or ""
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    # ------------------------------------------------------------ generation
    def generation(self) -> int | None:
        """The current content generation, or None when it can't be known (then don't cache)."""
        if self.redis is None:
            return _local_current[0]
        try:
            value = self.redis.get(GENERATION_KEY)
        except Exception:  # noqa: BLE001 - Redis away: render pages as usual
            self._away()
            return None
        if self.outage:
            self.outage = False
            log.warning("page cache: Redis is back, pages are cached again")
        return int(value or 0)

    def _away(self) -> None:
        self.entries.clear()
        if not self.outage:  # once per outage, not once per request
            self.outage = True
            log.warning("page cache: Redis unavailable, pages are not cached")

    def bump(self) -> None:
        if self.redis is None:
            with _lock:
                _local_current[0] += 1
            return
        try:
            self.redis.incr(GENERATION_KEY)
        except Exception:  # noqa: BLE001
            # Can't tell the other workers: forget our own pages; theirs expire within the time limit.
            self._away()

    # ------------------------------------------------------------ entries
    def get(self, key, generation):
        entry = self.entries.get(key)
        if entry is None:
            return None
        made_under, expires, body, headers = entry
        if made_under != generation or expires < time.monotonic():
            self.entries.pop(key, None)
            return None
        self.entries.move_to_end(key)
        return body, headers

    def put(self, key, generation, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.entries[key] = (generation, time.monotonic() + self.seconds, body, headers)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


def _cacheable_request(app: Flask) -> bool:
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return False
    cookies = request.cookies
    if app.config.get("SESSION_COOKIE_NAME", "session") in cookies:
        return False
    if app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
        return False
    return "Authorization" not in request.headers


def _key():
    size = request.cookies.get("text_size")
    theme = request.cookies.get("theme")
    return (request.full_path, size if size in ("large", "larger") else "normal",
            theme if theme in ("light", "dark") else "auto", request.cookies.get("tz", "")[:64])


def init_app(app: Flask) -> None:
    """Wire the cache in. Call before other after_request hooks are registered, so it stores last."""
    _watch_writes(app)
    if not app.config.get("BOARD_PAGE_CACHE"):
        return
    cache = PageCache(app)
    app.extensions["circle_page_cache"] = cache

    @app.before_request
    def serve_from_cache():
        if not _cacheable_request(app):
            return None
        generation = cache.generation()
        if generation is None:
            return None
        g.page_cache = (_key(), generation)
        found = cache.get(g.page_cache[0], generation)
        if found is None:
            return None
        body, headers = found
        g.page_cache_hit = True
        response = Response(body, status=200, headers=headers)
        response.headers["X-Circle-Cache"] = "hit"
        return response

    @app.after_request
    def store_in_cache(response):
        pending = g.pop("page_cache", None)
        if pending is None or g.get("page_cache_hit"):
            return response
        response.headers["X-Circle-Cache"] = "miss"
        if (response.status_code != 200 or response.direct_passthrough or session or session.modified
                or "Set-Cookie" in response.headers or g.get("database_down")):
            return response
        key, generation = pending
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS]
        cache.put(key, generation, response.get_data(), headers)
        return response


def _watch_writes(app: Flask) -> None:
    """Bump the generation after any commit that wrote (any app, once per process)."""
    if getattr(_watch_writes, "installed", False):
        return
    _watch_writes.installed = True
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "after_cursor_execute")
    def _note_write(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            _local.wrote = True

    @event.listens_for(Session, "after_commit")
    def _bump_after_commit(sess):
        if not getattr(_local, "wrote", False):
            return
        _local.wrote = False
        try:
            cache = current_app.extensions.get("circle_page_cache")
        except RuntimeError:  # no app context (a script): nothing cached here
            return
        if cache is not None:
            cache.bump()
