"""Fill PostgreSQL with the scale dataset: 1,000,000 posts in 50,000 threads
across the topics, 5,000 members and 20,000 stories, in minutes (COPY).

    python bench/seed_large.py                       # postgresql://postgres@127.0.0.1/bench
    python bench/seed_large.py --small               # the 1k-post comparison database (bench_small)
    python bench/seed_large.py --database-url URL --posts 200000 …

Thread 1 is a 2,000-post thread (200 posts in --small); every other thread
gets an even share with some variation. Posts are written with PostgreSQL COPY
(psycopg), the posts table's secondary indexes (the full-text GIN index
included) are dropped before the load and rebuilt after it, and every
denormalized counter (thread post counts, first/last post, topic counters,
member post counts) is computed while generating, so the pages read exactly
what the services would have written. Bodies come from a pool of 200 distinct
Markdown texts, each rendered once with board.markup.render_markdown.

Safety: the target must be on loopback, and the script wipes the schema only
when the database is empty or carries the benchmark marker table
(circle_bench_marker); a database with members and no marker is refused unless
--force. Never point it at the database named `test` that the test suite uses.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Refused, database_url, is_postgres  # noqa: E402
from bench.dataset import LARGE, SMALL  # noqa: E402
from bench.seed_bench import build_parser, run  # noqa: E402

LARGE_URL = os.environ.get("BENCH_LARGE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
SMALL_URL = os.environ.get("BENCH_SMALL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_small")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    small = "--small" in argv
    if small:
        argv.remove("--small")
    defaults = SMALL if small else LARGE
    parser = build_parser(defaults, __doc__)
    args = parser.parse_args(argv)
    url = database_url(args.database_url or (SMALL_URL if small else LARGE_URL))
    if not is_postgres(url):
        parser.error("the scale dataset is for PostgreSQL (COPY); use bench/seed_bench.py for SQLite")
    if url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] == "test" and not args.force:
        raise Refused("the database named `test` belongs to the test suite; use `bench` / `bench_small`.")
    return run(args, defaults, url)


if __name__ == "__main__":
    sys.exit(main())
