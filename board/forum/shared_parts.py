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
* **The generation.** Any transaction that wrote to `posts` (a reply, an edit,
  a hidden or removed post, a reaction count, a moderator's decision), `threads`,
  `topics`, `stories` or `story_themes`, or changed an author's display fields
  (`WATCHED_USER_FIELDS` that the users table has: name, identity, role, memorial,
  deletion, profile picture) adds one to the `shared_generation` row as its last
  statement before COMMIT, so the bump and the write are one atomic change, seen by
  every worker and machine at once. An entry is used only under the generation it was
  made in. The entries themselves are kept per process and, when `REDIS_URL` is set,
  in Redis (so another worker reuses a page one worker rendered).
* **Read by the request's first query.** A member's request reads the generation in the
  user loader's query (board/auth/loader.py), which runs before any of the page's data
  is read, so an entry can never hold data older than its generation (on SQLite a
  read transaction keeps the snapshot of its first query; on PostgreSQL the data is
  read after the generation, so it is at least that new). A visitor's request (a page
  cache miss) reads it with one small query. Until this round the generation lived
  in Redis and was asked for on every member's request: that round trip cost about
  0.14 ms of the machine's CPU per page view under load (bench/README.md), more than
  a tenth of a member's thread page. Taking the generation row's lock last keeps
  writers from deadlocking on it (no transaction holds it while waiting for another
  row).
* **A time limit** (`BOARD_SHARED_CACHE_SECONDS`, 30 s) for the relative times
  ("3 minutes ago") and for writes the app can't see (hand-run SQL).
* **Redis away** → no entry is used or stored: pages are rendered as before,
  and the outage is logged once (and its end once); Redis is tried again every
  few seconds, not on every request. (The generation itself is in the database,
  so nothing written meanwhile can be missed when Redis is back.)

Measured (bench/cpu_pages.py, member's thread page, 25 posts, SQLite): see the
README's performance table; the posts of the page went from about a fifth of its
CPU time to a few per cent.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import event, text
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


_MISSING = object()


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
        self.redis = None
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
        """This request's generation, or None when nothing may be cached (Redis away)."""
        if self.redis is not None and self._skip_redis():
            return None
        value = g.pop("circle_db_generation", None)  # read by the user loader's query
        if value is None:
            from board.extensions import db

            value = db.session.connection().execute(_GENERATION_SELECT).scalar()
        return None if value is None else int(value)

    def _redis_ok(self) -> None:
        if self.outage:
            self.outage = False
            log.warning("shared page parts: Redis is back, members' pages are cached again")

    # ------------------------------------------------------------ entries
    def get_or_build(self, key: tuple, generation: int, build, *, encode=SharedPosts.to_json,
                     decode=SharedPosts.from_json):
        """The entry for `key` made under `generation`: kept here, else in Redis, else `build()`
        (then kept in both). `encode`/`decode` turn it into JSON-able data and back."""
        now = time.time()
        shared = self._kept(key, generation, now)
        if shared is not _MISSING:
            return shared
        redis_key = self.prefix + str(generation) + ":" + ":".join(map(str, key))
        if self.redis is not None:
            try:
                raw = self.redis.get(redis_key)
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)
                return build()
            self._redis_ok()
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
        kept = self._kept(key, generation, now)
        if kept is not _MISSING:
            return kept
        kept = build()
        self._keep(key, generation, now + self.seconds, kept)
        return kept

    def _kept(self, key: tuple, generation: int, now: float):
        """This process's entry for `key` if it was made under `generation` and is fresh, else _MISSING."""
        entry = self.entries.get(key)
        if entry is None:
            return _MISSING
        made_under, expires, kept = entry
        if made_under == generation and expires > now:
            self.entries.move_to_end(key)
            return kept
        del self.entries[key]
        return _MISSING

    def _keep(self, key, generation, expires, shared) -> None:
        self.entries[key] = (generation, expires, shared)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


def cache_and_generation() -> tuple["SharedParts | None", int | None]:
    """This app's shared-parts cache and this request's generation; (None, None) when either is
    missing (no cache, or the generation can't be known): then nothing may be kept or reused."""
    cache = current_app.extensions.get("circle_shared_parts")
    generation = g.get("shared_generation")
    if cache is None or generation is None:
        return None, None
    return cache, generation


def shared_posts(thread, audience: str, page_args: tuple, build) -> SharedPosts | None:
    """The shared part of this thread page for `audience`, from the cache or `build()`; None
    when there is no cache or its generation can't be known (the caller renders as usual)."""
    cache, generation = cache_and_generation()
    if cache is None:
        return None
    from board.templating import viewer_zone

    key = (thread.id, audience, *page_args, viewer_zone(), request.script_root)
    return cache.get_or_build(key, generation, build)


def page_keeper(thread, audience: str, page_args: tuple):
    """`keep(key, build)` for what one thread page's viewers share beyond its shared part (the
    plain tails of board/forum/render.assemble), kept per process under the generation; None
    when there is no cache."""
    cache, generation = cache_and_generation()
    if cache is None:
        return None
    from board.templating import viewer_zone

    prefix = ("page", thread.id, audience, *page_args, viewer_zone(), request.script_root)
    return lambda key, build: cache.local((*prefix, *key), generation, build)


def local_object(key: tuple, build):
    """A read-only object for this generation, kept per process (e.g. a thread page's thread and
    topic, detached from its session); None when there is no cache or no known generation."""
    cache, generation = cache_and_generation()
    if cache is None:
        return None
    return cache.local(("local", *key), generation, build)


def shared_fragment(name: str, args: tuple, build):
    """Shared HTML (a string, or a list of strings) of a listing page (topic, home), from the cache
    or `build()`; `build()` itself when there is no cache. `args` must name everything the
    HTML depends on except the time zone and the generation (added here)."""
    cache, generation = cache_and_generation()
    if cache is None:
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
            if "_user_id" in session:
                current_user._get_current_object()  # the user loader's query reads the generation too
            g.shared_generation = app.extensions["circle_shared_parts"].generation()


WROTE = "circle_shared_wrote"  # in a connection's info: its transaction changed what shared parts show
_GENERATION_SELECT = text("SELECT value FROM shared_generation WHERE id = 1")
_GENERATION_BUMP = "UPDATE shared_generation SET value = value + 1 WHERE id = 1"


def bump_generation(connection) -> None:
    """Add one to the generation, in `connection`'s transaction."""
    connection.exec_driver_sql(_GENERATION_BUMP)


def _watch_writes() -> None:
    """Bump the generation in every transaction that changed what shared parts show (once per process)."""
    if getattr(_watch_writes, "installed", False):
        return
    _watch_writes.installed = True
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "after_cursor_execute")
    def _note_write(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            return
        info = conn.info
        if info.get(WROTE):
            return
        try:
            cache = current_app.extensions.get("circle_shared_parts")
        except RuntimeError:  # no app context (a script): every watched column counts
            cache = None
        columns = cache.user_columns if cache is not None else WATCHED_USER_FIELDS
        if touches_shared(statement, columns):
            info[WROTE] = True

    @event.listens_for(Session, "before_commit")
    def _bump_before_commit(sess):
        # Last before COMMIT: the session's pending changes are written first, then the bump, so
        # the generation row's lock is the last one taken (no deadlock with other writers).
        if not sess.in_transaction() or sess.in_nested_transaction():  # a SAVEPOINT: wait for the real COMMIT
            return
        sess.flush()
        conn = sess.connection()
        if conn.info.pop(WROTE, False):
            bump_generation(conn)
