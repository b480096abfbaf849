"""Full-text search over thread titles, posts and stories. This module hides the engine.

Index (migration 0002_search)
    SQLite: external-content FTS5 tables `search_threads`, `search_posts`,
    `search_stories` (tokenizer: porter unicode61 remove_diacritics 2) kept in
    step with the content by triggers. PostgreSQL: a generated `search_vector`
    tsvector column (English configuration) with a GIN index on each table.
    Both index the stored Markdown source, never body_html.

Visibility
    Every query is filtered by `board.visibility.searchable_*`: published content
    in topics the viewer may see, nothing else, for everybody. Stories show only
    their signature line (anonymous: "A member of Circle"); their author is never
    loaded.

Query language
    We never hand user syntax to an engine. `parse_query` keeps words only
    (Unicode letters and digits), "quoted phrases", drops English stop words (the
    PostgreSQL list, so both engines agree), and treats the last word as a
    prefix ("capecit" finds capecitabine). All words must match (AND). The
    engine query is then written by us: FTS5 `"word" "prefix"* "a phrase"`,
    PostgreSQL `plainto_tsquery && to_tsquery('prefix':*) && phraseto_tsquery`.

Ranking and paging
    sort=relevance (default): FTS5 -bm25() / PostgreSQL ts_rank_cd(…, 1), ties
    newest first. Only a bounded candidate set is ranked: the newest CANDIDATES
    matches of each kind, by id (both engines read those backwards from an index:
    the primary key, or FTS5's rowid order), so a common word costs about the same
    on a million posts as on a few thousand; the page says so when a kind had more.
    The keyset cursor is (score, date, kind, id), all descending, over that set.
    Relevance scores depend on the whole corpus on SQLite, and the candidate set
    moves as content arrives, so a later page may repeat or skip a result.

    sort=newest: each kind is read newest first by id with LIMIT (an index range
    scan at any depth: there is no index on the dates), and the kinds are merged by
    date in Python. The cursor holds, for each kind, the id to read below (0 once
    a kind is used up), so paging never repeats or skips anything, whatever arrives
    meanwhile. Threads and posts are dated when written, in id order, so this is
    date order; a story is dated when published (after moderation) but sits among
    the stories in the order they were written, so two stories published out of
    order show in written order.

Counting
    Each kind is counted over a LIMIT subquery: past COUNT_CAP matches the page
    says "1,000+ results" instead of counting them all.

Snippets
    The engine marks matches with private sentinel characters; we escape the text
    first and only then turn the sentinels into <mark> elements, so no markup from
    content can reach the page.
"""
from __future__ import annotations

import heapq
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import (
    Double, Float, Integer, String, cast, column, func, literal, literal_column, select, table, tuple_, union_all,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from board.extensions import db
from board.forum.queries import BadCursor, decode_cursor, encode_cursor
from board.models import Post, Story, Thread, Topic, User
from board.models.base import UTCDateTime
from board.stories.signatures import ANONYMOUS_SIGNATURE
from board.visibility import searchable_posts, searchable_stories, searchable_threads, visible_topics

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_QUERY_CHARS = 500      # longer input is cut (a search box, not an essay)
MAX_WORDS = 12             # words (phrase words included) sent to the engine
MAX_WORD_CHARS = 60
MIN_PREFIX_CHARS = 3       # "ca*" would match half the site
COUNT_CAP = 1000           # more matches than this: "1,000+ results" (each kind is counted up to here)
CANDIDATES = 1000          # relevance ranks only the newest CANDIDATES matches of each kind
MAX_ID = 2**63 - 1         # cursor ids beyond this are not ours (and would overflow a BIGINT)

KINDS = ("all", "threads", "posts", "stories")
WHEN = {"any": None, "week": timedelta(days=7), "month": timedelta(days=31), "year": timedelta(days=366)}
SORTS = ("relevance", "newest")

# kind codes: the order of equal-ranked results (descending)
THREAD, POST, STORY = 3, 2, 1
KIND_NAMES = {THREAD: "thread", POST: "post", STORY: "story"}


# PostgreSQL's English stop words (tsearch_data/english.stop): dropped on both engines.
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing a an the and
but if or because as until while of at by for with about against between into through during
before after above below to from up down in out on off over under again further then once here
there when where why how all any both each few more most other some such no nor not only own same
so than too very s t can will just don should now
""".split()) | frozenset(
    # How questions start here ("has anyone had…?"): not what the asker is looking for.
    "anyone anybody someone somebody hi hello thanks thank please".split()
)

# Private-use characters the engines put around matches; never shown.
START, STOP = "\ue000", "\ue001"

_WORD = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------- parsing

@dataclass(frozen=True)
class ParsedQuery:
    text: str = ""                               # the cleaned input, for redisplay
    words: tuple[str, ...] = ()                  # exact words
    prefix: str | None = None                    # the last word, matched as a prefix
    phrases: tuple[tuple[str, ...], ...] = ()    # quoted phrases, two words or more
    ignored: tuple[str, ...] = ()                # stop words left out

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.prefix or self.phrases)

    @property
    def term_count(self) -> int:
        return len(self.words) + len(self.phrases) + bool(self.prefix)

    def fts5(self, any_term: bool = False) -> str:
        """The FTS5 MATCH expression: quoted strings only (no operator of the visitor's can get in)."""
        parts = [_fts5_string(w) for w in self.words]
        parts += [_fts5_string(" ".join(p)) for p in self.phrases]
        if self.prefix:
            parts.append(_fts5_string(self.prefix) + "*")
        return (" OR " if any_term else " ").join(parts)


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def clean_query(raw: str | None) -> str:
    """Normalize user input: NFKC, no control characters or lone surrogates, bounded length."""
    if not raw:
        return ""
    text = raw[: MAX_QUERY_CHARS * 4]
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become '?'
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def _words(segment: str) -> list[str]:
    return [w[:MAX_WORD_CHARS] for w in _WORD.findall(segment.lower())]


def parse_query(raw: str | None) -> ParsedQuery:
    """Words, "phrases" and a last-word prefix from whatever the visitor typed."""
    text = clean_query(raw)
    segments = text.split('"')
    # Odd-numbered segments were inside quotes; an unbalanced last quote opens nothing.
    if len(segments) % 2 == 0:
        tail = segments.pop()
        segments[-1] += " " + tail
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    ignored: list[str] = []
    budget = MAX_WORDS
    last: str | None = None  # the query's last word, if it is a plain word we kept
    for i, segment in enumerate(segments):
        tokens = _words(segment)
        if not tokens:
            continue
        last = None
        if i % 2 == 1:  # a phrase: stop words inside it stay, around it they go
            while tokens and tokens[0] in STOP_WORDS:
                ignored.append(tokens.pop(0))
            while tokens and tokens[-1] in STOP_WORDS:
                ignored.append(tokens.pop())
            tokens = tokens[:budget]
            budget -= len(tokens)
            if len(tokens) == 1 and tokens[0] not in words:
                words.append(tokens[0])
            elif len(tokens) > 1 and tuple(tokens) not in phrases:
                phrases.append(tuple(tokens))
            continue
        for token in tokens:
            last = None
            if token in STOP_WORDS:
                ignored.append(token)
            elif budget > 0 and token not in words:
                budget -= 1
                words.append(token)
                last = token
    prefix = None
    if last is not None and len(last) >= MIN_PREFIX_CHARS and words[-1] == last:
        prefix = words.pop()
    return ParsedQuery(text=text, words=tuple(words), prefix=prefix, phrases=tuple(phrases),
                       ignored=tuple(dict.fromkeys(ignored)))


# ---------------------------------------------------------------- filters and results

@dataclass
class Filters:
    kind: str = "all"
    topic: Topic | None = None
    when: str = "any"
    sort: str = "relevance"

    @property
    def kinds(self) -> tuple[int, ...]:
        chosen = {"all": (THREAD, POST, STORY), "threads": (THREAD,), "posts": (POST,), "stories": (STORY,)}
        kinds = chosen.get(self.kind, chosen["all"])
        if self.topic is not None:  # stories have themes, not topics
            kinds = tuple(k for k in kinds if k != STORY)
        return kinds

    def since(self, now: datetime | None = None) -> datetime | None:
        span = WHEN.get(self.when)
        return None if span is None else (now or datetime.now(UTC)) - span


@dataclass
class Hit:
    kind: str               # "thread", "post" or "story"
    item: Thread | Post | Story
    at: datetime
    title: Markup           # highlighted, escaped
    snippet: Markup         # highlighted, escaped ('' for threads)

    @property
    def signature(self) -> str:
        """Stories only: the line shown under them. Never the author."""
        story = self.item
        if story.signature_style == "anonymous" or not (story.signature or "").strip():
            return ANONYMOUS_SIGNATURE
        return story.signature


@dataclass
class Results:
    query: ParsedQuery
    filters: Filters
    hits: list[Hit] = field(default_factory=list)
    total: int = 0          # matches, counted up to COUNT_CAP
    capped: bool = False    # there are more than `total` (shown as "1,000+")
    bounded: bool = False   # relevance: some kind had more than CANDIDATES matches; only its newest were ranked
    candidates: int = CANDIDATES
    next_cursor: str | None = None
    relaxed: bool = False   # nothing had every word: these results have some of them
    failed: bool = False    # the engine refused the query (logged); shown as no results


def search(viewer: User | None, query: ParsedQuery, filters: Filters, cursor: str | None = None) -> Results:
    """One page of results the viewer may see. Raises BadCursor for a cursor that is not ours."""
    results = Results(query=query, filters=filters, candidates=CANDIDATES)
    if query.is_empty or not filters.kinds:
        return results
    key = _decode(cursor, filters.sort) if cursor else None
    engine_class = _Postgres if db.engine.dialect.name == "postgresql" else _Sqlite
    since = filters.since()
    try:
        engine = engine_class(query)
        counts = engine.counts(viewer, filters, since)
        if not any(counts.values()) and query.term_count > 1:
            # Nothing has all the words: offer what has some of them, best first.
            engine = engine_class(query, any_term=True)
            counts = engine.counts(viewer, filters, since)
            results.relaxed = any(counts.values())
        total = sum(counts.values())
        results.total = min(total, COUNT_CAP)
        results.capped = total > COUNT_CAP
        if total and filters.sort == "relevance":
            results.bounded = any(n > CANDIDATES for n in counts.values())
            rows = db.session.execute(_relevance_page(engine.candidates(viewer, filters, since, counts), key)).all()
            page = rows[:PAGE_SIZE]
            if len(rows) > PAGE_SIZE:
                results.next_cursor = _encode(page[-1])
        elif total:
            page, results.next_cursor = _newest_page(engine, viewer, filters, since, counts, key)
        else:
            page = []
        results.hits = engine.load(page)
    except SQLAlchemyError:
        # Our own query syntax should never fail; if an engine still refuses
        # something, the visitor gets "no results", not an error page.
        db.session.rollback()
        log.warning("search failed for %r", query, exc_info=True)
        return Results(query=query, filters=filters, failed=True)
    return results


def _relevance_page(candidates, key):
    """The next PAGE_SIZE + 1 of the ranked candidates after the cursor `key`."""
    c = candidates.c
    cols = (c.score, c.at, c.kind, c.id)
    stmt = select(c.kind, c.id, c.score, c.at).order_by(*(col.desc() for col in cols)).limit(_n(PAGE_SIZE + 1))
    if key is not None:
        types = (Double(), UTCDateTime(), None, None)
        values = [literal(v, type_=t) if t is not None else literal(v) for v, t in zip(key, types, strict=True)]
        stmt = stmt.where(tuple_(*cols) < tuple_(*values))
    return stmt


def _newest_page(engine, viewer, filters, since, counts, bounds):
    """Newest first: PAGE_SIZE + 1 rows per kind below its cursor id, merged by date.

    Returns (rows of this page, next cursor or None). `bounds` maps kind to the id
    to read below (0: used up); a kind missing from it starts at the top.
    """
    bounds = bounds or {}
    kinds = [k for k in filters.kinds if bounds.get(k) != 0 and counts.get(k)]
    streams: dict[int, list] = {k: [] for k in kinds}
    if kinds:
        for row in db.session.execute(engine.newest(viewer, filters, since, counts, {k: bounds.get(k) for k in kinds})):
            streams[row.kind].append(row)
    for stream in streams.values():
        stream.sort(key=lambda r: r.id, reverse=True)
    # A merge of the per-kind streams (not a sort): each kind is consumed in id
    # order, so the last id taken from it is an exact cursor.
    merged = list(heapq.merge(*streams.values(), key=lambda r: (r.at, r.kind, r.id), reverse=True))
    page = merged[:PAGE_SIZE]
    if len(merged) <= PAGE_SIZE:
        return page, None
    after = {}
    for kind in filters.kinds:
        stream = streams.get(kind, [])
        taken = sum(1 for r in page if r.kind == kind)
        if taken == len(stream):   # used up (a stream shorter than its LIMIT), or nothing there
            after[kind] = 0
        elif taken:
            after[kind] = stream[taken - 1].id
        else:                      # not reached yet: pinned, so what is written meanwhile stays out
            after[kind] = stream[0].id + 1
    return page, _encode_newest(after)


def _n(value: int):
    """A LIMIT written into the SQL text: the plan (read newest first, or find all and
    sort) depends on it, and a generic plan would not know it (see _Postgres.tsquery)."""
    return literal(int(value), Integer(), literal_execute=True)


def _text(value: str):
    return literal(value, String(), literal_execute=True)


def _encode(row) -> str:
    return encode_cursor("r", repr(float(row.score)), row.at.astimezone(UTC), row.kind, row.id)


def _encode_newest(bounds: dict[int, int | None]) -> str:
    return encode_cursor("n", *("" if bounds.get(k) is None else bounds[k] for k in (THREAD, POST, STORY)))


def _cursor_id(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_ID:
        raise ValueError(text)
    return value


def _decode(cursor: str, sort: str):
    """(score, date, kind, id) for relevance; {kind: id to read below, 0 if used up} for newest."""
    parts = decode_cursor(cursor, 5 if sort == "relevance" else 4)
    if parts[0] != sort[0]:
        raise BadCursor(cursor)
    try:
        if sort == "relevance":
            _, score, at, kind, id_ = parts
            key = (float(score), datetime.fromisoformat(at), int(kind), _cursor_id(id_))
            if key[0] != key[0] or key[0] in (float("inf"), float("-inf")) or key[2] not in KIND_NAMES:
                raise ValueError(score)
            if key[1].tzinfo is None:
                raise ValueError(at)
            return key
        bounds = {k: _cursor_id(v) for k, v in zip((THREAD, POST, STORY), parts[1:]) if v != ""}
    except (ValueError, OverflowError) as exc:
        raise BadCursor(cursor) from exc
    if not bounds:
        raise BadCursor(cursor)
    return bounds


# ---------------------------------------------------------------- engines

class _Engine:
    COUNT_IN_ID_ORDER = False  # order the count's LIMIT subqueries by rowid(kind) too

    def __init__(self, query: ParsedQuery, any_term: bool = False):
        self.query = query
        self.any_term = any_term

    # Subclasses give, per kind: join(stmt, kind) (the FTS table, if any),
    # matches(kind), score(kind) (higher is better), headline(kind, column) and
    # rowid(kind) (the id as the index to read newest first has it).

    def arm(self, viewer: User | None, filters: Filters, since, kind: int, *, score: bool = True):
        """One kind's matches the viewer may see: (kind, id, score, at), in no order."""
        if kind == THREAD:
            model, date = Thread, Thread.created_at
        elif kind == POST:
            model, date = Post, Post.created_at
        else:
            model, date = Story, func.coalesce(Story.published_at, Story.created_at, type_=UTCDateTime())
        score_col = self.score(kind) if score else literal_column("0.0")
        stmt = select(literal_column(str(kind)).label("kind"), model.id.label("id"),
                      score_col.label("score"), date.label("at"))
        stmt = self.join(stmt.select_from(model), kind)
        if kind == THREAD:
            stmt = stmt.join(Topic, Topic.id == Thread.topic_id).where(searchable_threads(viewer))
        elif kind == POST:
            stmt = (stmt.join(Thread, Thread.id == Post.thread_id).join(Topic, Topic.id == Thread.topic_id)
                    .where(searchable_posts(viewer)))
        else:
            stmt = stmt.where(searchable_stories(viewer))
        if filters.topic is not None and kind in (THREAD, POST):
            stmt = stmt.where(Thread.topic_id == filters.topic.id)
        if since is not None:
            stmt = stmt.where(date >= since)
        # Last: PostgreSQL tests conditions of equal cost in the order written, and
        # this one may have to fetch the vector from TOAST (stories are long).
        return stmt.where(self.matches(kind))

    @staticmethod
    def count_limit() -> int:
        return max(COUNT_CAP, CANDIDATES) + 1

    def newest_first(self, kind: int, count: int):
        """ORDER BY for one kind's matches, newest first, given how many there are (see counts)."""
        return self.rowid(kind).desc()

    def counts(self, viewer: User | None, filters: Filters, since) -> dict[int, int]:
        """Matches per kind, each counted up to count_limit() (one more than COUNT_CAP and
        CANDIDATES): one query. Below the limit a count is exact."""
        limit = self.count_limit()
        cols = []
        for kind in filters.kinds:
            arm = self.arm(viewer, filters, since, kind, score=False).with_only_columns(_MODELS[kind].id)
            if self.COUNT_IN_ID_ORDER:
                arm = arm.order_by(self.rowid(kind).desc())
            capped = arm.limit(_n(limit)).subquery(f"count_{kind}")
            cols.append(select(func.count()).select_from(capped).scalar_subquery().label(f"k{kind}"))
        row = db.session.execute(select(*cols)).one()
        return {kind: int(n or 0) for kind, n in zip(filters.kinds, row, strict=True)}

    def _union(self, arms, name: str):
        subs = [arm.subquery(f"{name}_{i}") for i, arm in enumerate(arms)]
        if len(subs) == 1:
            return subs[0]
        return union_all(*(select(sub) for sub in subs)).subquery(name)

    def candidates(self, viewer: User | None, filters: Filters, since, counts: dict[int, int]):
        """What relevance ranks: the newest CANDIDATES matches of each kind that has any, scored."""
        return self._union([
            self.arm(viewer, filters, since, kind).order_by(self.newest_first(kind, counts[kind]))
            .limit(_n(CANDIDATES))
            for kind in filters.kinds if counts[kind]
        ], "ranked")

    def newest(self, viewer: User | None, filters: Filters, since, counts: dict[int, int],
               bounds: dict[int, int | None]):
        """PAGE_SIZE + 1 matches of each kind below its cursor id, newest (highest id) first."""
        arms = []
        for kind, bound in bounds.items():
            arm = self.arm(viewer, filters, since, kind, score=False)
            if bound is not None:
                arm = arm.where(self.rowid(kind) < bound)
            arms.append(arm.order_by(self.newest_first(kind, counts[kind])).limit(_n(PAGE_SIZE + 1)))
        sub = self._union(arms, "newest")
        return select(sub.c.kind, sub.c.id, sub.c.at)

    def load(self, rows) -> list[Hit]:
        """Turn ranked (kind, id) rows into hits: one query per kind present, in rank order."""
        wanted: dict[int, list[int]] = {}
        for row in rows:
            wanted.setdefault(row.kind, []).append(row.id)
        found: dict[tuple[int, int], tuple] = {}
        for kind, ids in wanted.items():
            for item, *marks in db.session.execute(self.loader(kind, ids)).unique():
                found[(kind, item.id)] = (item, marks)
        hits = []
        for row in rows:
            if (row.kind, row.id) not in found:
                continue  # changed between the two queries
            item, marks = found[(row.kind, row.id)]
            if row.kind == THREAD:
                hits.append(Hit("thread", item, row.at, highlight(marks[0], item.title), Markup("")))
            elif row.kind == POST:
                hits.append(Hit("post", item, row.at, escape(item.thread.title), highlight(marks[0], item.body_source)))
            else:
                title = highlight(marks[0], item.title) if (item.title or "").strip() else Markup("A story")
                hits.append(Hit("story", item, row.at, title, highlight(marks[1], item.body_source)))
        return hits

    def loader(self, kind: int, ids: list[int]):
        if kind == THREAD:
            stmt = select(Thread, self.headline(THREAD, "title")).select_from(Thread)
            stmt = self.join(stmt, THREAD).where(Thread.id.in_(ids), self.matches(THREAD))
            return stmt.options(joinedload(Thread.topic), joinedload(Thread.author))
        if kind == POST:
            stmt = select(Post, self.headline(POST, "body_source")).select_from(Post)
            stmt = self.join(stmt, POST).where(Post.id.in_(ids), self.matches(POST))
            return stmt.options(joinedload(Post.thread).joinedload(Thread.topic), joinedload(Post.author))
        stmt = select(Story, self.headline(STORY, "title"), self.headline(STORY, "body_source")).select_from(Story)
        return self.join(stmt, STORY).where(Story.id.in_(ids), self.matches(STORY))


_FTS = {THREAD: "search_threads", POST: "search_posts", STORY: "search_stories"}
_FTS_COLUMNS = {THREAD: ("title",), POST: ("body_source",), STORY: ("title", "body_source")}
_MODELS = {THREAD: Thread, POST: Post, STORY: Story}
_FTS_TABLES = {kind: table(name, column("rowid")) for kind, name in _FTS.items()}


class _Sqlite(_Engine):
    # Unordered, SQLite may walk threads or stories and run the full-text query
    # once per row; in rowid order the FTS5 index drives the join and stops at LIMIT.
    COUNT_IN_ID_ORDER = True

    def _fts(self, kind):
        return _FTS_TABLES[kind]  # one object per table: join() and rowid() must name the same one

    def join(self, stmt, kind):
        fts = self._fts(kind)
        return stmt.join(fts, fts.c.rowid == _MODELS[kind].id)

    def rowid(self, kind):
        # FTS5 reads matches in rowid order (either way) itself: ordering by the
        # model's id instead could make SQLite walk the table and probe the index.
        return self._fts(kind).c.rowid

    def matches(self, kind):
        return literal_column(_FTS[kind]).op("MATCH")(literal(self.query.fts5(self.any_term)))

    def score(self, kind):
        weights = (literal_column("2.0"), literal_column("1.0")) if kind == STORY else ()
        return cast(-func.bm25(literal_column(_FTS[kind]), *weights), Float)

    def headline(self, kind, col):
        index = _FTS_COLUMNS[kind].index(col)
        name = literal_column(_FTS[kind])
        if col == "title":
            return func.highlight(name, index, START, STOP)
        return func.snippet(name, index, START, STOP, "…", 32)


class _Postgres(_Engine):
    CONFIG = literal_column("'english'::regconfig")
    BODY_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=20, ShortWord=3"
    TITLE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

    def tsquery(self):
        # The words are written into the SQL text (escaped by SQLAlchemy; they are
        # letters and digits only anyway), not sent as parameters: psycopg prepares a
        # statement after 5 runs, and PostgreSQL's generic plan for it would guess the
        # selectivity of an unknown tsquery (0.5%) and keep, for "fatigue" (20% of
        # posts), the plan made for a rare word: 1 s instead of 40 ms, measured.
        q = self.query
        parts = [func.plainto_tsquery(self.CONFIG, _text(w)) for w in q.words]
        parts += [func.phraseto_tsquery(self.CONFIG, _text(" ".join(p))) for p in q.phrases]
        if q.prefix:
            parts.append(func.to_tsquery(self.CONFIG, _text(f"'{q.prefix}':*")))
        expr = parts[0]
        for part in parts[1:]:
            expr = expr.op("||" if self.any_term else "&&")(part)
        return expr

    def _vector(self, kind):
        return literal_column(f"{_MODELS[kind].__tablename__}.search_vector")

    def join(self, stmt, kind):
        return stmt

    def rowid(self, kind):
        return _MODELS[kind].id

    def newest_first(self, kind: int, count: int):
        # With LIMIT and ORDER BY id, PostgreSQL may read the primary key backwards and
        # test every row until LIMIT matches turn up: right for a common word, ruinous
        # for a rare one (its estimate for a prefix query is at least 0.5% of rows, so it
        # cannot tell): 1 s for 3 posts among a million, measured. When the count says
        # there are few (under count_limit(), exact), ordering by an expression the index
        # cannot give makes it fetch those few through the GIN index and sort them.
        if count < self.count_limit():
            return (_MODELS[kind].id + 0).desc()
        return _MODELS[kind].id.desc()

    def matches(self, kind):
        return self._vector(kind).op("@@")(self.tsquery())

    def score(self, kind):
        return cast(func.ts_rank_cd(self._vector(kind), self.tsquery(), 1), Double)

    def headline(self, kind, col):
        source = getattr(_MODELS[kind], col)
        options = self.TITLE_OPTIONS if col == "title" else self.BODY_OPTIONS
        return func.ts_headline(self.CONFIG, source, self.tsquery(), literal(options))


# ---------------------------------------------------------------- snippets

_MARKDOWN_NOISE = re.compile(r"\*\*|__|`+|(?:^|(?<=\s))#{1,6}(?=\s)|(?:^|(?<=\s))>(?=\s)")
_SENTINELS = re.compile(f"([{START}{STOP}])")


def highlight(marked: str | None, fallback: str | None = "") -> Markup:
    """Escape the text, then turn the engine's sentinels into balanced <mark> elements."""
    raw = marked if marked is not None else (fallback or "")
    out: list[str] = []
    open_ = False
    for piece in _SENTINELS.split(raw):
        if piece == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        elif piece:
            text = _MARKDOWN_NOISE.sub("", piece)
            text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
            out.append(str(escape(re.sub(r"\s+", " ", text))))
    if open_:
        out.append("</mark>")
    return Markup("".join(out).strip())


# ---------------------------------------------------------------- helpers for the page and migrations

def search_topics(viewer: User | None) -> list[Topic]:
    """Topics offered in the filter (and on the tips page)."""
    return list(db.session.scalars(select(Topic).where(visible_topics(viewer)).order_by(Topic.position, Topic.id)))


SEARCH_TABLES = tuple(_FTS.values())
SEARCH_COLUMN = "search_vector"
SEARCH_INDEXES = tuple(f"ix_{m.__tablename__}_search_vector" for m in _MODELS.values())


def include_name(name, type_, parent_names) -> bool:
    """Alembic hook: the search index (migration 0002_search) is not in the models; ignore it.

    FTS5 tables and their shadow tables (search_posts_data, …) on SQLite, the
    generated tsvector columns and their GIN indexes on PostgreSQL.
    """
    if not name:
        return True
    if type_ == "table":
        return not any(name == t or name.startswith(f"{t}_") for t in SEARCH_TABLES)
    if type_ == "column":
        return name != SEARCH_COLUMN
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True
