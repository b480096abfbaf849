"""Seed the benchmark dataset that `make bench` measures.

    python bench/seed_bench.py [--database-url URL] [--if-needed] [--force]

Default target: bench/.data/bench.sqlite (SQLite), or BENCH_DATABASE_URL.
The database is wiped and rebuilt with the migrations, so the script refuses a
database that holds members but no benchmark marker (table circle_bench_marker)
unless --force. Writes with bulk inserts (SQLAlchemy Core executemany, or COPY
on PostgreSQL), never HTTP; each distinct body is rendered once with
board.markup.render_markdown.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, database_url  # noqa: E402
from bench.dataset import BENCH, dataset_matches, seed  # noqa: E402


def default_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'bench.sqlite'}"


def build_parser(defaults=BENCH, description=__doc__) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="target database (loopback only)")
    parser.add_argument("--force", action="store_true",
                        help="wipe even a database that holds members and no benchmark marker")
    parser.add_argument("--if-needed", action="store_true", help="skip when the same dataset is already there")
    for field in ("members", "threads", "posts", "stories", "long_thread_posts"):
        parser.add_argument("--" + field.replace("_", "-"), type=int, default=getattr(defaults, field))
    return parser


def run(args, defaults, url: str) -> int:
    url = database_url(url)
    params = replace(defaults, members=args.members, threads=args.threads, posts=args.posts,
                     stories=args.stories, long_thread_posts=args.long_thread_posts)
    if args.if_needed and dataset_matches(url, params):
        print(f"already seeded: {params.label()}")
        return 0
    print(f"seeding {params.label()} into {url.split('@')[-1]}")
    seed(url, params, force=args.force)
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run(args, BENCH, args.database_url or default_url())


if __name__ == "__main__":
    sys.exit(main())
