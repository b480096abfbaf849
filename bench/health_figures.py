"""Time the community-health figures (board/moderation/health.py) on a benchmark database.

    python bench/seed_large.py                                   # the 1M-post database, once
    BOARD_ENV=development flask --app board db upgrade           # with DATABASE_URL pointing at it, if seeded earlier
    python bench/health_figures.py postgresql://postgres@127.0.0.1:5432/bench

Prints the number of queries one computation takes, what each costs, and the time of six
computations (the first one cold). The scale dataset has no moderation items or reports,
so those queries read empty tables there.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BOARD_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench")


def main(url: str) -> None:
    from sqlalchemy import event, func, select

    from board import create_app
    from board.extensions import db
    from board.models import ModerationItem, Post, Thread
    from board.moderation import health
    from config import normalize_database_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url)})
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Post, Thread, ModerationItem)]
        print("posts {:,}, threads {:,}, moderation items {:,}".format(*counts))
        timings: list[tuple[float, str]] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            context._circle_t0 = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            timings.append((time.perf_counter() - context._circle_t0, " ".join(statement.split())[:80]))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        runs = []
        for _ in range(6):
            timings.clear()
            t0 = time.perf_counter()
            figures = health.compute()
            runs.append(time.perf_counter() - t0)
            db.session.rollback()
        month = figures.windows[30]
        print(f"{len(timings)} queries (the settings row included); last run:")
        for seconds, statement in timings:
            print(f"  {seconds * 1000:7.1f} ms  {statement}")
        print(f"30 days: {month.threads:,} new threads, {month.answered:,} answered, first reply median "
              f"{month.first_reply.median} s, p90 {month.first_reply.p90} s; {month.members_posted:,} members posted")
        print("seconds per computation:", ", ".join(f"{t:.3f}" for t in runs),
              f"(median of the warm ones {statistics.median(runs[1:]):.3f})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/bench")
