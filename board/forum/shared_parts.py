"""The shared part of thread pages, rendered once per thread page and generation.

Every member who opens a thread page sees the same posts: same authors, times,
words, reaction counts. Only a few things are theirs: the reaction buttons they
pressed, their bookmarks, Reply / Edit / Delete / Report, the CSRF token in every
form, the reply box, and folding the posts of members they muted. So a thread
page is built from two parts (board/forum/render.py):

* **the shared part** (`SharedPosts`): each post's head, from `<article>` to the
  end of its body, and a small stub (id, author, status, counts) — kept here per
  (thread, page, audience, time zone) and *generation*;
* **the viewer's part**: each post's tail (reactions, actions, `</article>`),
  assembled with the heads by string joining, from this request's own queries.

What keeps it exact:

* **Audiences.** Visitors, members and moderators see different posts and words
  (board.visibility.audience_reads_text), so each has its own entry. A member
  who has her own pending, returned or hidden posts in the thread (only she may
  read them) gets the page rendered for her alone (`ThreadState.own_unpublished`,
  read by the query the page already makes).
* **The generation.** After any commit that wrote to `posts` (a reply, an edit,
  a hidden or removed post, a reaction count, a moderator's decision) or changed
  an author's display fields (`WATCHED_USER_FIELDS` that the users table has:
  name, identity, role, memorial, deletion, profile picture) the generation is
  bumped. An entry is used only under the generation it was made in. The
  generation lives in Redis when `REDIS_URL` is set, so one worker's write
  invalidates every worker's (and every machine's) entries at once; the entries
  themselves are kept per process and in Redis (so another worker reuses a page
  one worker rendered). Without Redis both are per process (one worker, as in
  development). The generation is read at the start of the request, before its
  first query, so an entry can never hold data older than its generation (on
  SQLite a read transaction keeps the snapshot of its first query).
* **One read of the generation per request, never remembered.** A member's request to a
  shared page reads the generation from Redis once, on a connection of its own
  (`SharedParts._get_generation`: one send, one read, ~15–20 µs of CPU instead of ~35–90 µs through
  redis-py's command path). Keeping it locally for even half a second was considered and
  rejected: a member who edits her post on worker A and is redirected to worker B would be
  shown her old words until B's copy expired, and "bump locally at once" only helps the
  worker that made the write. Pushing bumps to every worker (pub/sub) has the same race
  (the redirect can arrive before the message). Exact without a round trip would need the
  generation in the database, read by the page's first query (a table and a migration).
* **A time limit** (`BOARD_SHARED_CACHE_SECONDS`, 30 s) for the relative times
  ("3 minutes ago") and for writes the app can't see (hand-run SQL).
* **Redis away** → no entry is used or stored: pages are rendered as before,
  and the outage is logged once (and its end once); Redis is tried again every
  few seconds, not on every request. Writes made while it was away may not
  have bumped the generation, so a worker that saw the outage bumps it when
  Redis is back.

Measured (bench/cpu_pages.py, member's thread page, 25 posts, SQLite): see the
README's performance table; the posts of the page went from about a fifth of its
CPU time to a few per cent.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from board.forum.render import SharedPosts

log = logging.getLogger(__name__)

KEY_PREFIX = "circle:shared:"  # + the database's namespace: "<prefix><ns>:generation", "<prefix><ns>:<gen>:<page>"
RETRY_SECONDS = 5.0  # Redis away: try it again after this long, not on every request
# What a post's head shows of its author (and of the author it answers): a change to any of
# these users columns invalidates the shared parts. Filtered by the columns the table has, so
# a field added later (the profile picture, `avatar_media`) is watched from its migration on.
WATCHED_USER_FIELDS = frozenset({
    "username", "display_name", "identity", "role", "deleted_at", "memorial_at", "avatar_media",
})
# Any write to these: posts (and their counts), threads and topics (lists, titles, counts), stories and
# their themes (the home page's featured stories)
WATCHED_TABLES = frozenset({"posts", "threads", "topics", "stories", "story_themes"})

_WRITE_RE = re.compile(
    r'^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET_COLUMN_RE = re.compile(r'"?(\w+)"?\s*=')
_local = threading.local()  # did this thread's session write something shown in the shared part?
_process_generation = [random.randrange(1 << 32, 1 << 52)]  # without Redis (one process)
_lock = threading.Lock()


def touches_shared(statement: str, user_columns: frozenset) -> bool:
    """Does this SQL statement change something a thread page's shared part shows?"""
    match = _WRITE_RE.match(statement)
    if match is None:
        return False
    verb, table = match.group(1).upper(), match.group(2).lower()
    if table in WATCHED_TABLES:
        return True
    if table != "users":
        return False
    if verb.startswith("DELETE"):
        return True
    if verb != "UPDATE":
        return False  # a new member has no posts yet
    assignments = re.split(r"\bWHERE\b", statement[match.end():], maxsplit=1, flags=re.IGNORECASE)[0]
    return any(name.lower() in user_columns for name in _SET_COLUMN_RE.findall(assignments))


class SharedParts:
    def __init__(self, app: Flask):
        from board.models import User

        self.seconds = float(app.config.get("BOARD_SHARED_CACHE_SECONDS", 30))
        self.max_entries = int(app.config.get("BOARD_SHARED_CACHE_ENTRIES", 300))
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.user_columns = frozenset(WATCHED_USER_FIELDS & {c.name for c in User.__table__.columns})
        # Two sites (or a test suite and a benchmark) may share one Redis: keys name the database.
        database = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
        self.prefix = KEY_PREFIX + hashlib.sha256(database.encode()).hexdigest()[:16] + ":"
        self.generation_key = self.prefix + "generation"
        self.redis = None
        self._conn = None  # the connection the generation is read on (_get_generation)
        self._conn_owner = None
        self._conn_lock = threading.Lock()
        self.outage = False         # Redis seen away (logged once, until it is back)
        self.retry_at = 0.0
        url = app.config.get("REDIS_URL") or ""
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    # ------------------------------------------------------------ Redis health
    def _failed(self, exc: Exception) -> None:
        self.entries.clear()  # can't tell whether they are current any more
        self.retry_at = time.monotonic() + RETRY_SECONDS
        if not self.outage:
            self.outage = True
            log.warning("shared page parts: Redis unavailable (%s): members' pages are rendered uncached "
                        "until it is back", exc.__class__.__name__)

    def _skip_redis(self) -> bool:
        return self.outage and time.monotonic() < self.retry_at

    # ------------------------------------------------------------ generation
    def generation(self) -> int | None:
        """The current generation, or None when it can't be known (then nothing is cached)."""
        if self.redis is None:
            return _process_generation[0]
        if self._skip_redis():
            return None
        try:
            if self.outage:  # back: writes made meanwhile may not have been counted
                self._incr()
            value = self._get_generation()
            if value is None:
                value = self._incr()
        except Exception as exc:  # noqa: BLE001 - Redis away: render as usual
            self._failed(exc)
            return None
        if self.outage:
            self.outage = False
            log.warning("shared page parts: Redis is back, members' pages are cached again")
        return int(value)

    def _get_generation(self):
        """GET the generation on a connection of this object's own: one send and one read. Every
        member's request to a shared page makes it, so it skips redis-py's per-command machinery
        (pool checkout, retry wrapper, response callbacks, observability hooks): 15–20 µs of CPU
        instead of 35–90 µs (measured, redis-py 8, no hiredis: best of 5 batches, and the mean of
        a 2,000-call loop). Still one read of Redis per
        request, so a write made through any worker is seen by the next request at once. Errors
        close the connection and are handled by the caller as an outage."""
        from redis.exceptions import ConnectionError as RedisConnectionError

        client = self.redis
        with self._conn_lock:
            conn = self._conn
            if conn is None or self._conn_owner != (client, os.getpid()):  # a new client, or a forked worker
                if conn is not None:
                    conn.disconnect()
                conn = None
            for _attempt in (1, 2):
                reused = conn is not None
                if conn is None:
                    pool = client.connection_pool
                    conn = self._conn = pool.connection_class(**pool.connection_kwargs)
                    self._conn_owner = (client, os.getpid())
                    self._get_packed = conn.pack_command("GET", self.generation_key)
                try:
                    conn.send_packed_command(self._get_packed, check_health=False)
                    return conn.read_response()
                except BaseException as exc:
                    conn.disconnect()
                    self._conn = conn = None
                    # A kept connection that Redis closed (idle timeout, restart, CLIENT KILL):
                    # try once more on a new one before calling it an outage.
                    if not (reused and isinstance(exc, RedisConnectionError)):
                        raise
            raise RuntimeError("unreachable")  # pragma: no cover

    def _incr(self) -> int:
        # A missing key (a Redis restarted empty) starts at a random value, never at 0 again,
        # so a generation from before the restart can't come back.
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.generation_key, random.randrange(1 << 32, 1 << 52), nx=True)
        pipe.incr(self.generation_key)
        return pipe.execute()[1]

    def bump(self) -> None:
        self.entries.clear()
        if self.redis is None:
            with _lock:
                _process_generation[0] += 1
            return
        try:
            self._incr()
        except Exception as exc:  # noqa: BLE001 - counted when Redis is back (generation())
            self._failed(exc)

    # ------------------------------------------------------------ entries
    def get_or_build(self, key: tuple, generation: int, build, *, encode=SharedPosts.to_json,
                     decode=SharedPosts.from_json):
        """The entry for `key` made under `generation`: kept here, else in Redis, else `build()`
        (then kept in both). `encode`/`decode` turn it into JSON-able data and back."""
        now = time.time()
        entry = self.entries.get(key)
        if entry is not None:
            made_under, expires, shared = entry
            if made_under == generation and expires > now:
                self.entries.move_to_end(key)
                return shared
            del self.entries[key]
        redis_key = self.prefix + str(generation) + ":" + ":".join(map(str, key))
        if self.redis is not None:
            try:
                raw = self.redis.get(redis_key)
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)
                return build()
            if raw is not None:
                made_at, data = json.loads(raw)
                if made_at + self.seconds > now:
                    shared = decode(data)
                    self._keep(key, generation, made_at + self.seconds, shared)
                    return shared
        shared = build()
        self._keep(key, generation, now + self.seconds, shared)
        if self.redis is not None:
            try:
                self.redis.set(redis_key, json.dumps([now, encode(shared)], separators=(",", ":")),
                               ex=max(1, int(self.seconds)))
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)
        return shared

    def local(self, key: tuple, generation: int, build):
        """Like get_or_build, but kept in this process only (objects that aren't JSON)."""
        now = time.time()
        entry = self.entries.get(key)
        if entry is not None:
            made_under, expires, kept = entry
            if made_under == generation and expires > now:
                self.entries.move_to_end(key)
                return kept
            del self.entries[key]
        kept = build()
        self._keep(key, generation, now + self.seconds, kept)
        return kept

    def _keep(self, key, generation, expires, shared) -> None:
        self.entries[key] = (generation, expires, shared)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


def shared_posts(thread, audience: str, page_args: tuple, build) -> SharedPosts | None:
    """The shared part of this thread page for `audience`, from the cache or `build()`; None
    when there is no cache or its generation can't be known (the caller renders as usual)."""
    cache = current_app.extensions.get("circle_shared_parts")
    generation = g.get("shared_generation")
    if cache is None or generation is None:
        return None
    from board.templating import viewer_zone

    key = (thread.id, audience, *page_args, viewer_zone(), request.script_root)
    return cache.get_or_build(key, generation, build)


def local_object(key: tuple, build):
    """A read-only object for this generation, kept per process (e.g. a thread page's thread and
    topic, detached from its session); None when there is no cache or no known generation."""
    cache = current_app.extensions.get("circle_shared_parts")
    generation = g.get("shared_generation")
    if cache is None or generation is None:
        return None
    return cache.local(("local", *key), generation, build)


def shared_fragment(name: str, args: tuple, build):
    """Shared HTML (a string, or a list of strings) of a listing page (topic, home), from the cache
    or `build()`; `build()` itself when there is no cache. `args` must name everything the
    HTML depends on except the time zone and the generation (added here)."""
    cache = current_app.extensions.get("circle_shared_parts")
    generation = g.get("shared_generation")
    if cache is None or generation is None:
        return build()
    from board.templating import viewer_zone

    key = (name, *args, viewer_zone(), request.script_root)
    return cache.get_or_build(key, generation, build, encode=_same, decode=_same)


def _same(value):
    return value


# Pages whose shared parts are kept here: their generation is read before the request's first query
SHARED_ENDPOINTS = frozenset({"forum.thread", "forum.topic", "forum.index"})


def init_app(app: Flask) -> None:
    """Wire it in. Call before any before_request hook that runs a query (see the module doc)."""
    _watch_writes()
    if not app.config.get("BOARD_SHARED_CACHE", True):
        return
    app.extensions["circle_shared_parts"] = SharedParts(app)

    @app.before_request
    def read_generation():
        if request.endpoint in SHARED_ENDPOINTS and request.method == "GET":
            g.shared_generation = app.extensions["circle_shared_parts"].generation()


def _watch_writes() -> None:
    """Bump the generation after a commit that changed what shared parts show (once per process)."""
    if getattr(_watch_writes, "installed", False):
        return
    _watch_writes.installed = True
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "after_cursor_execute")
    def _note_write(conn, cursor, statement, parameters, context, executemany):
        if getattr(_local, "shared_wrote", False) or not statement.lstrip()[:7].upper().startswith(
                ("INSERT", "UPDATE", "DELETE", "REPLACE")):
            return
        try:
            cache = current_app.extensions.get("circle_shared_parts")
        except RuntimeError:  # no app context: no cache to keep exact here
            return
        columns = cache.user_columns if cache is not None else WATCHED_USER_FIELDS
        if touches_shared(statement, columns):
            _local.shared_wrote = True

    @event.listens_for(Session, "after_commit")
    def _bump_after_commit(sess):
        if not getattr(_local, "shared_wrote", False):
            return
        _local.shared_wrote = False
        try:
            cache = current_app.extensions.get("circle_shared_parts")
        except RuntimeError:
            return
        if cache is not None:
            cache.bump()
