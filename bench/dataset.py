"""Benchmark datasets: members, threads, posts and stories generated as rows
and written in bulk (SQLAlchemy Core executemany on any engine, or PostgreSQL
COPY for the million-post database). Never one ORM object at a time, never HTTP.

Bodies come from a small pool of distinct Markdown texts; each distinct body
is rendered once with `board.markup.render_markdown`, exactly as the app would
at write time, and the stored HTML is shared by every post using it.
"""
from __future__ import annotations

import random
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from bench.common import BENCH_PASSWORD, write_marker

SENTENCES = [
    "My oncologist said the latest scan shows the liver spots are stable, which is the word I have learned to love.",
    "Fatigue is the hardest part for me; I plan one thing a day and rest before I need to.",
    "Does anyone else get mouth sores on this drug? Salt water rinses helped me more than anything I bought.",
    "I brought a notebook to every appointment and wrote my questions down the night before.",
    "The nurse navigator at my cancer center answered so many small questions that I stopped feeling silly asking.",
    "We told the kids in plain words and they surprised me with how well they listened.",
    "Bone pain flared after radiation for a week and then eased off, so hang in there.",
    "My care team adjusted the dose and the neuropathy in my feet is finally calmer.",
    "I keep a bag packed for infusion days: socks, ginger chews, a book and a charger.",
    "Walking ten minutes after dinner helps me sleep, even on the tired days.",
    "Someone here told me to ask for a palliative care referral early, and it changed everything for my pain.",
    "Work let me go part time, and the money worry is real, but a social worker helped with the forms.",
    "Scanxiety hits me three days before every scan; I try to keep those days full and gentle.",
    "I joined a clinical trial last spring and the extra visits were worth it for me.",
    "My husband learned to make soup that I can actually taste again, which felt like a small miracle.",
    "Please ask your team before trying supplements; some interact with the tablets.",
    "Yoga on a chair sounded silly until I tried it; my shoulders thank me.",
    "Thank you all for being here at three in the morning when the worry is loudest.",
]
MARKDOWN_EXTRAS = [
    "**Tip:** write the questions down before the appointment.",
    "_Be gentle with yourself._",
    "- rest\n- water\n- one small walk",
    "There is a good overview at https://www.cancer.gov/types/breast if it helps.",
    "> You are not alone in this.",
]
# Rarer words, so a search can hit ~1% of posts as well as the ~20% a common word like "fatigue" hits.
DRUGS = [
    "abemaciclib", "alpelisib", "anastrozole", "capecitabine", "denosumab", "docetaxel", "elacestrant",
    "eribulin", "everolimus", "exemestane", "fulvestrant", "gemcitabine", "letrozole", "olaparib",
    "paclitaxel", "palbociclib", "pembrolizumab", "pertuzumab", "ribociclib", "sacituzumab", "talazoparib",
    "tamoxifen", "trastuzumab", "tucatinib", "vinorelbine", "zoledronic", "carboplatin", "neratinib",
    "lapatinib", "goserelin", "leuprolide", "megestrol", "capivasertib", "inavolisib", "datopotamab",
    "dexamethasone", "ondansetron", "olanzapine", "gabapentin", "duloxetine",
]
STORY_TITLES = [
    "What helped me most in the first year", "Learning to live scan to scan", "A garden, a dog and my third line",
    "The day I told my daughter", "Why I joined a trial", "Finding my people here", "Rest is not giving up",
]
NAMES = ["June", "Rosa", "Dan", "Priya", "Helen", "Maria", "Aisha", "Grace", "Lena", "Tomoko", "Sue", "Kate"]
IDENTITIES = ["living", "living", "living", "caregiver", "family", "supporter", ""]


@dataclass
class Params:
    name: str
    members: int
    threads: int
    posts: int
    stories: int
    long_thread_posts: int
    body_pool: int = 200
    seed: int = 42
    # Threads in thread 1's topic (None: an even share). The 1k database puts 33 there so its
    # topic pages hold as many threads as the 1M database's (30 on the first page, 3 on the last).
    long_topic_threads: int | None = None

    def label(self) -> str:
        return (f"{self.name} v2: {self.members} members, {self.threads} threads, {self.posts} posts, "
                f"{self.stories} stories, long thread {self.long_thread_posts}"
                + (f", {self.long_topic_threads} threads in its topic" if self.long_topic_threads else ""))


BENCH = Params("bench", members=300, threads=400, posts=10_000, stories=100, long_thread_posts=120)
LARGE = Params("large", members=5_000, threads=50_000, posts=1_000_000, stories=20_000, long_thread_posts=2_000)
SMALL = Params("small", members=50, threads=50, posts=1_000, stories=20, long_thread_posts=200,
               long_topic_threads=33)


def _body(rng: random.Random, target: int = 400) -> str:
    paragraphs, current, length = [], [], 0
    while length < target:
        s = rng.choice(SENTENCES)
        current.append(s)
        length += len(s) + 1
        if len(current) >= 2 and rng.random() < 0.5:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    if rng.random() < 0.4:
        paragraphs.append(rng.choice(MARKDOWN_EXTRAS))
    if rng.random() < 0.5:
        paragraphs.append(f"My care team brought up {rng.choice(DRUGS)} this week.")
    return "\n\n".join(paragraphs)


def body_pool(params: Params) -> list[tuple[str, str]]:
    from board.markup import render_markdown

    rng = random.Random(params.seed)
    pool = []
    seen = set()
    while len(pool) < params.body_pool:
        source = _body(rng)
        if source in seen:
            continue
        seen.add(source)
        pool.append((source, render_markdown(source)))  # rendered once per distinct body
    return pool


def story_pool(rng: random.Random, n: int = 40) -> list[tuple[str, str]]:
    from board.markup import render_markdown

    out = []
    for _ in range(n):
        source = _body(rng, 1500)
        out.append((source, render_markdown(source)))
    return out


def thread_sizes(params: Params, rng: random.Random) -> list[int]:
    """Posts per thread: the long thread first, the rest spread with some variation; sums to params.posts."""
    rest_threads = params.threads - 1
    rest_posts = params.posts - params.long_thread_posts
    if rest_threads < 1 or rest_posts < rest_threads:
        raise SystemExit("need at least one post per thread")
    base, extra = divmod(rest_posts, rest_threads)
    sizes = [base + (1 if i < extra else 0) for i in range(rest_threads)]
    for i in range(0, rest_threads - 1, 2):
        d = rng.randint(0, max(sizes[i + 1] - 1, 0) // 2)
        sizes[i] += d
        sizes[i + 1] -= d
    rng.shuffle(sizes)
    return [params.long_thread_posts] + sizes


class Generated:
    """Rows per table, as dicts, streamed (posts are a generator)."""

    def __init__(self, params: Params, topics: list[tuple[int, str, bool]], now: datetime | None = None):
        self.params = params
        self.topics = topics  # (id, slug, members_only)
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.rng = random.Random(params.seed)
        self.pool = body_pool(params)
        from board.auth.passwords import hash_password

        self.password_hash = hash_password(BENCH_PASSWORD)  # one hash shared by every bench member
        self.sizes = thread_sizes(params, self.rng)
        public = [t for t in topics if not t[2]]
        self.long_topic = public[0][0]
        # Threads per topic: round-robin over every topic (members-only ones included).
        self.thread_topic = [self.long_topic] + [topics[i % len(topics)][0] for i in range(params.threads - 1)]
        if params.long_topic_threads:
            extra = min(params.long_topic_threads, params.threads) - 1
            others = [t[0] for t in topics if t[0] != self.long_topic]
            rest = params.threads - 1 - extra
            self.thread_topic = ([self.long_topic] * (extra + 1)
                                 + [others[i % len(others)] for i in range(rest)])
        self.span = timedelta(days=730)
        self.thread_meta: list[dict] = []
        self.user_posts = [0] * (params.members + 1)
        self._plan_threads()

    def users(self):
        p, rng = self.params, self.rng
        for uid in range(1, p.members + 1):
            name = rng.choice(NAMES)
            yield {
                "id": uid, "username": f"bench_{uid:05d}", "email": f"bench_{uid:05d}@example.invalid",
                "password_hash": self.password_hash, "role": "member", "trust_level": 1,
                "session_token": secrets.token_urlsafe(24), "created_at": self.now - self.span - timedelta(days=30),
                "email_verified_at": self.now - self.span, "display_name": f"{name} {chr(65 + uid % 26)}.",
                "identity": rng.choice(IDENTITIES), "city": "", "region": "",
            }

    def _plan_threads(self) -> None:
        """Every thread's counters and times, decided before any post is written (threads go in first)."""
        p, rng = self.params, self.rng
        n_threads = p.threads
        next_post = 1
        for t_index, size in enumerate(self.sizes):
            start = self.now - self.span + timedelta(seconds=int(self.span.total_seconds() * t_index / n_threads))
            step = max(60, int(self.span.total_seconds() / n_threads / max(size, 1)))
            author0 = rng.randint(1, p.members)
            last_author = author0 if size == 1 else rng.randint(1, p.members)
            self.thread_meta.append({
                "id": t_index + 1, "topic_id": self.thread_topic[t_index], "author_id": author0,
                "first_post_id": next_post, "last_post_id": next_post + size - 1, "last_poster_id": last_author,
                "post_count": size, "created_at": start, "last_activity_at": start + timedelta(seconds=step * (size - 1)),
                "_step": step,
            })
            next_post += size

    def posts(self):
        """Posts of every thread in order, consistent with the planned thread counters."""
        p, pool = self.params, self.pool
        rng = random.Random(p.seed + 3)
        post_id = 0
        for meta in self.thread_meta:
            size, step, start = meta["post_count"], meta["_step"], meta["created_at"]
            for k in range(size):
                post_id += 1
                if k == 0:
                    author = meta["author_id"]
                elif k == size - 1:
                    author = meta["last_poster_id"]
                else:
                    author = rng.randint(1, p.members)
                self.user_posts[author] += 1
                source, html = pool[rng.randrange(len(pool))]
                yield {
                    "id": post_id, "thread_id": meta["id"], "author_id": author, "body_source": source,
                    "body_html": html, "status": "published", "is_first": k == 0,
                    "created_at": start + timedelta(seconds=step * k), "moderator_note": "",
                }

    def threads(self):
        rng = random.Random(self.params.seed + 1)
        for meta in self.thread_meta:
            title = rng.choice(SENTENCES)[:70].rsplit(" ", 1)[0]
            if meta["id"] == 1:
                title = "Benchmark thread: what got you through the first year?"
            meta = {k: v for k, v in meta.items() if not k.startswith("_")}
            yield {
                **meta, "title": title, "slug": _slug(title), "status": "published", "pinned": False, "locked": False,
            }

    def topic_updates(self):
        per_topic: dict[int, dict] = {}
        for meta in self.thread_meta:
            agg = per_topic.setdefault(meta["topic_id"], {"thread_count": 0, "post_count": 0,
                                                          "last_activity_at": None, "last_thread_id": None})
            agg["thread_count"] += 1
            agg["post_count"] += meta["post_count"]
            if agg["last_activity_at"] is None or meta["last_activity_at"] >= agg["last_activity_at"]:
                agg["last_activity_at"] = meta["last_activity_at"]
                agg["last_thread_id"] = meta["id"]
        return per_topic

    def stories(self):
        from board.stories.catalog import PROMPTS, THEMES

        p = self.params
        rng = random.Random(p.seed + 2)
        pool = story_pool(rng)
        themes = list(THEMES)
        prompts = [""] + list(PROMPTS)
        story_rows, theme_rows = [], []
        for sid in range(1, p.stories + 1):
            source, html = pool[sid % len(pool)]
            name = rng.choice(NAMES)
            published = self.now - timedelta(minutes=7 * (p.stories - sid + 1))
            story_rows.append({
                "id": sid, "author_id": rng.randint(1, p.members), "title": rng.choice(STORY_TITLES),
                "body_source": source, "body_html": html, "status": "published", "prompt": rng.choice(prompts),
                "signature_style": "first", "sig_first_name": name, "signature": name,
                "consent_at": published, "created_at": published, "updated_at": published,
                "submitted_at": published, "published_at": published, "featured": sid > p.stories - 3,
                "featured_at": published if sid > p.stories - 3 else None, "helped_count": rng.randint(0, 40),
                "moderator_note": "", "pending_edit_returned": False,
            })
            for theme in rng.sample(themes, rng.randint(1, 2)):
                theme_rows.append({"story_id": sid, "theme": theme})
        return story_rows, theme_rows


def _slug(title: str) -> str:
    from board.titles import slugify

    return slugify(title)


# ---------------------------------------------------------------- writers

def _complete(table, rows_iter, db_columns: set[str]):
    """Fill scalar column defaults for keys a row leaves out; keep only columns the database has."""
    defaults = {}
    for col in table.columns:
        if col.default is not None and getattr(col.default, "is_scalar", False):
            defaults[col.name] = col.default.arg
    for row in rows_iter:
        full = {**{k: v for k, v in defaults.items() if k not in row}, **row}
        yield {k: v for k, v in full.items() if k in db_columns}


def _db_columns(engine, name: str) -> set[str]:
    from sqlalchemy import inspect

    return {c["name"] for c in inspect(engine).get_columns(name)}


def _batches(it, size):
    batch = []
    for row in it:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_core(conn, table, rows, db_columns, batch=2000) -> int:
    n = 0
    for chunk in _batches(_complete(table, rows, db_columns), batch):
        conn.execute(table.insert(), chunk)
        n += len(chunk)
    return n


def _insert_copy(raw, table, rows, db_columns) -> int:
    n = 0
    cols = None
    cursor = raw.cursor()
    copy_cm = None
    for row in _complete(table, rows, db_columns):
        if cols is None:
            cols = list(row)
            copy_cm = cursor.copy(f'COPY {table.name} ({", ".join(cols)}) FROM STDIN')
            copy = copy_cm.__enter__()
        copy.write_row([row[c] for c in cols])
        n += 1
    if copy_cm is not None:
        copy_cm.__exit__(None, None, None)
    return n


def seed(url: str, params: Params, *, force: bool = False, reset: bool = True, use_copy: bool | None = None,
         log=print) -> dict:
    """Reset the database (after the guard), run the migrations, write the dataset and the marker."""
    from sqlalchemy import bindparam, select, text, update

    from bench.common import make_app, reset_database
    from board.extensions import db
    from board.models import Post, Story, StoryTheme, Thread, Topic, User

    started = time.perf_counter()
    if reset:
        reset_database(url, force=force)
    app = make_app(url)
    with app.app_context():
        from board.cli import seed_topics

        seed_topics()
        db.session.commit()
        topics = [(t.id, t.slug, t.members_only) for t in db.session.scalars(select(Topic).order_by(Topic.position))]
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        use_copy = postgres if use_copy is None else use_copy
        gen = Generated(params, topics)
        counts = {}
        with engine.begin() as conn:
            dropped = []
            if postgres and use_copy:
                # Build the posts indexes (GIN search index included) once after loading, not row by row.
                dropped = _index_definitions(conn, "posts")
                for name, _ in dropped:
                    conn.execute(text(f'DROP INDEX "{name}"'))
            raw = conn.connection.driver_connection if use_copy else None

            def write(model, rows):
                table = model.__table__
                cols = _db_columns(conn, table.name)
                t0 = time.perf_counter()
                n = _insert_copy(raw, table, rows, cols) if use_copy else _insert_core(conn, table, rows, cols)
                log(f"  {table.name}: {n:,} rows in {time.perf_counter() - t0:.1f} s")
                counts[table.name] = n

            write(User, gen.users())
            write(Thread, gen.threads())
            write(Post, gen.posts())
            if dropped:
                t0 = time.perf_counter()
                conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
                for _, definition in dropped:
                    conn.execute(text(definition))
                log(f"  posts indexes ({', '.join(n for n, _ in dropped)}) rebuilt in {time.perf_counter() - t0:.1f} s")
            story_rows, theme_rows = gen.stories()
            write(Story, story_rows)
            write(StoryTheme, theme_rows)
            for topic_id, agg in gen.topic_updates().items():
                conn.execute(update(Topic.__table__).where(Topic.__table__.c.id == topic_id).values(**agg))
            t0 = time.perf_counter()
            user_t = User.__table__
            for chunk in _batches(((uid, n) for uid, n in enumerate(gen.user_posts) if n), 5000):
                conn.execute(
                    update(user_t).where(user_t.c.id == bindparam("uid"))
                    .values(post_count=bindparam("n"), approved_post_count=bindparam("n")),
                    [{"uid": uid, "n": n} for uid, n in chunk],
                )
            log(f"  user counters in {time.perf_counter() - t0:.1f} s")
            if postgres:
                for name in ("users", "posts", "threads", "stories", "topics"):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT coalesce(max(id), 1) FROM {name}))"
                    ))
            write_marker(conn, params.label())
        if postgres:
            t0 = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            log(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
        db.engine.dispose()
    elapsed = time.perf_counter() - started
    log(f"seeded {params.label()} in {elapsed:.1f} s")
    return {"params": asdict(params), "counts": counts, "seconds": round(elapsed, 1)}


def migration_head() -> str:
    from alembic.script import ScriptDirectory

    from bench.common import ROOT

    return ",".join(sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads()))


def dataset_matches(url: str, params: Params) -> bool:
    """True when the database already holds exactly this dataset at the current schema (a rerun skips seeding)."""
    from sqlalchemy import create_engine, text

    from bench.common import inspect_database

    engine = create_engine(url)
    try:
        if inspect_database(engine)["marker"] != params.label():
            return False
        with engine.connect() as conn:
            revisions = ",".join(sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version"))))
        return revisions == migration_head()
    except Exception:  # noqa: BLE001 - missing database file, no tables…
        return False
    finally:
        engine.dispose()


def _index_definitions(conn, table: str) -> list[tuple[str, str]]:
    """Secondary indexes of a PostgreSQL table (not constraints): (name, CREATE INDEX …)."""
    from sqlalchemy import text

    return [tuple(r) for r in conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    ), {"t": table})]


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use bench/seed_bench.py or bench/seed_large.py")
