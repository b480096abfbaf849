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
    newest first. sort=newest: by date. Keyset paging, 20 a page; the cursor is
    (score, date, kind, id) for relevance and (date, kind, id) for newest, all
    descending. Relevance scores depend on the whole corpus on SQLite, so a page
    fetched after new content arrives may repeat or skip a result; newest never does.

Snippets
    The engine marks matches with private sentinel characters; we escape the text
    first and only then turn the sentinels into <mark> elements, so no markup from
    content can reach the page.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import Double, Float, and_, cast, func, literal, literal_column, select, table, column, tuple_, union_all
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
    total: int = 0
    next_cursor: str | None = None
    relaxed: bool = False   # nothing had every word: these results have some of them
    failed: bool = False    # the engine refused the query (logged); shown as no results


def search(viewer: User | None, query: ParsedQuery, filters: Filters, cursor: str | None = None) -> Results:
    """One page of results the viewer may see. Raises BadCursor for a cursor that is not ours."""
    results = Results(query=query, filters=filters)
    if query.is_empty or not filters.kinds:
        return results
    key = _decode(cursor, filters.sort) if cursor else None
    engine_class = _Postgres if db.engine.dialect.name == "postgresql" else _Sqlite
    try:
        engine = engine_class(query)
        ranked = engine.ranked(viewer, filters).subquery("ranked")
        results.total = db.session.scalar(select(func.count()).select_from(ranked)) or 0
        if not results.total and query.term_count > 1:
            # Nothing has all the words: offer what has some of them, best first.
            engine = engine_class(query, any_term=True)
            ranked = engine.ranked(viewer, filters).subquery("ranked")
            results.total = db.session.scalar(select(func.count()).select_from(ranked)) or 0
            results.relaxed = bool(results.total)
        if results.total:
            rows = db.session.execute(_page(ranked, filters.sort, key)).all()
            page = rows[:PAGE_SIZE]
            results.hits = engine.load(page)
            if len(rows) > PAGE_SIZE:
                results.next_cursor = _encode(page[-1], filters.sort)
    except SQLAlchemyError:
        # Our own query syntax should never fail; if an engine still refuses
        # something, the visitor gets "no results", not an error page.
        db.session.rollback()
        log.warning("search failed for %r", query, exc_info=True)
        return Results(query=query, filters=filters, failed=True)
    return results


def _page(ranked, sort: str, key):
    c = ranked.c
    cols = (c.score, c.at, c.kind, c.id) if sort == "relevance" else (c.at, c.kind, c.id)
    stmt = select(c.kind, c.id, c.score, c.at).order_by(*(col.desc() for col in cols)).limit(PAGE_SIZE + 1)
    if key is not None:
        types = (Double(), UTCDateTime(), None, None) if sort == "relevance" else (UTCDateTime(), None, None)
        values = [literal(v, type_=t) if t is not None else literal(v) for v, t in zip(key, types, strict=True)]
        stmt = stmt.where(tuple_(*cols) < tuple_(*values))
    return stmt


def _encode(row, sort: str) -> str:
    if sort == "relevance":
        return encode_cursor("r", repr(float(row.score)), row.at.astimezone(UTC), row.kind, row.id)
    return encode_cursor("n", row.at.astimezone(UTC), row.kind, row.id)


def _decode(cursor: str, sort: str) -> tuple:
    parts = decode_cursor(cursor, 5 if sort == "relevance" else 4)
    try:
        if sort == "relevance":
            tag, score, at, kind, id_ = parts
            key = (float(score), datetime.fromisoformat(at), int(kind), int(id_))
            if key[0] != key[0] or key[0] in (float("inf"), float("-inf")):
                raise ValueError(score)
        else:
            tag, at, kind, id_ = parts
            key = (datetime.fromisoformat(at), int(kind), int(id_))
    except (ValueError, OverflowError) as exc:
        raise BadCursor(cursor) from exc
    if tag != sort[0]:
        raise BadCursor(cursor)
    return key


# ---------------------------------------------------------------- engines

class _Engine:
    def __init__(self, query: ParsedQuery, any_term: bool = False):
        self.query = query
        self.any_term = any_term

    # Subclasses give, per kind: join(stmt, kind) (the FTS table, if any),
    # matches(kind), score(kind) (higher is better) and headline(kind, column).

    def ranked(self, viewer: User | None, filters: Filters):
        since = filters.since()
        arms = []
        for kind in filters.kinds:
            if kind == THREAD:
                stmt = select(literal_column(str(THREAD)).label("kind"), Thread.id.label("id"),
                              self.score(THREAD).label("score"), Thread.created_at.label("at"))
                stmt = self.join(stmt.select_from(Thread), THREAD)
                stmt = stmt.join(Topic, Topic.id == Thread.topic_id).where(searchable_threads(viewer))
                date = Thread.created_at
            elif kind == POST:
                stmt = select(literal_column(str(POST)).label("kind"), Post.id.label("id"),
                              self.score(POST).label("score"), Post.created_at.label("at"))
                stmt = self.join(stmt.select_from(Post), POST)
                stmt = (stmt.join(Thread, Thread.id == Post.thread_id).join(Topic, Topic.id == Thread.topic_id)
                        .where(searchable_posts(viewer)))
                date = Post.created_at
            else:
                date = func.coalesce(Story.published_at, Story.created_at, type_=UTCDateTime())
                stmt = select(literal_column(str(STORY)).label("kind"), Story.id.label("id"),
                              self.score(STORY).label("score"), date.label("at"))
                stmt = self.join(stmt.select_from(Story), STORY).where(searchable_stories(viewer))
            stmt = stmt.where(self.matches(kind))
            if filters.topic is not None and kind in (THREAD, POST):
                stmt = stmt.where(Thread.topic_id == filters.topic.id)
            if since is not None:
                stmt = stmt.where(date >= since)
            arms.append(stmt)
        return arms[0] if len(arms) == 1 else union_all(*arms)

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


class _Sqlite(_Engine):
    def _fts(self, kind):
        return table(_FTS[kind], column("rowid"))

    def join(self, stmt, kind):
        fts = self._fts(kind)
        return stmt.join(fts, fts.c.rowid == _MODELS[kind].id)

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
        q = self.query
        parts = [func.plainto_tsquery(self.CONFIG, literal(w)) for w in q.words]
        parts += [func.phraseto_tsquery(self.CONFIG, literal(" ".join(p))) for p in q.phrases]
        if q.prefix:
            parts.append(func.to_tsquery(self.CONFIG, literal(f"'{q.prefix}':*")))
        expr = parts[0]
        for part in parts[1:]:
            expr = expr.op("||" if self.any_term else "&&")(part)
        return expr

    def _vector(self, kind):
        return literal_column(f"{_MODELS[kind].__tablename__}.search_vector")

    def join(self, stmt, kind):
        return stmt

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
