"""`make bench-large` (bench/run.py --scale): does depth or size cost anything?

Compares, between the 1M-post PostgreSQL database (bench/seed_large.py) and
the 1k-post one (bench/seed_large.py --small), measured in the same run with
wrk against gunicorn (2 sync workers, production config):

- page 1 and the last page (?page=last) of the long thread (2,000 posts in the
  1M database, 200 in the 1k one);
- a topic's first page and its deepest page (the keyset cursor of the last page
  is computed directly from the database: the row just before the last page's
  offset, encoded with board.forum.queries.encode_cursor);
- a search for a rare word (~0.5% of posts) and for a common one (~20%), with
  p95 server time taken from gunicorn's access log (%(D)s, microseconds).

Target: every page within 1.5× (mean latency) between the two databases, and
within the 1M database the deepest page within 1.5× of the first.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    RESULTS_DIR, ROOT, Refused, Server, database_url, fetch, free_port, is_postgres, production_env, wait_idle,
)
from bench.dataset import LARGE, SMALL, dataset_matches, seed  # noqa: E402

LIMIT = 1.5
SEARCH_COMMON = "fatigue"    # in about a fifth of the generated posts
SEARCH_RARE = "denosumab"    # in about half a percent


def page_facts(url: str, per_page: int = 30) -> dict:
    """The long thread, its topic, and the keyset cursor of that topic's deepest page."""
    from sqlalchemy import func, select

    from bench.common import make_app
    from board.extensions import db
    from board.forum.queries import encode_cursor
    from board.models import Thread, Topic

    app = make_app(url)
    with app.app_context():
        thread = db.session.get(Thread, 1)
        topic = db.session.get(Topic, thread.topic_id)
        listing = (select(Thread).where(Thread.topic_id == topic.id, Thread.status == "published")
                   .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc()))
        n = db.session.scalar(select(func.count()).select_from(listing.subquery()))
        per_page = app.config.get("BOARD_THREADS_PER_PAGE", per_page)
        last_offset = ((n - 1) // per_page) * per_page
        cursor = None
        if last_offset:
            before = db.session.scalars(listing.offset(last_offset - 1).limit(1)).one()
            cursor = encode_cursor(int(before.pinned), before.last_activity_at, before.id)
        facts = {"thread_id": thread.id, "thread_posts": thread.post_count, "topic_slug": topic.slug,
                 "topic_threads": n, "deepest_page": last_offset // per_page + 1, "deepest_cursor": cursor}
        db.engine.dispose()
    return facts


def pages(f: dict) -> dict[str, str]:
    out = {
        "thread_first": f"/threads/{f['thread_id']}",
        "thread_last": f"/threads/{f['thread_id']}?page=last",
        "topic_first": f"/topics/{f['topic_slug']}",
        "topic_deepest": f"/topics/{f['topic_slug']}" + (f"?cursor={f['deepest_cursor']}" if f["deepest_cursor"] else ""),
        "search_rare": f"/search?q={SEARCH_RARE}",
        "search_common": f"/search?q={SEARCH_COMMON}",
    }
    return out


LABELS = {
    "thread_first": "Long thread, page 1",
    "thread_last": "Long thread, last page",
    "topic_first": "Topic, first page",
    "topic_deepest": "Topic, deepest page",
    "search_rare": f"Search, rare word ({SEARCH_RARE!r})",
    "search_common": f"Search, common word ({SEARCH_COMMON!r})",
}


def server_times_ms(log_path: Path, path_prefix: str, since_line: int) -> list[float]:
    pattern = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d{3}) .* (\d+)$')
    times = []
    with open(log_path, errors="replace") as fh:
        for i, line in enumerate(fh):
            if i < since_line:
                continue
            m = pattern.search(line.strip())
            if m and m.group(1).startswith(path_prefix) and m.group(2) == "200":
                times.append(int(m.group(3)) / 1000)
    return times


def line_count(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main(rest: list[str], common_args) -> int:
    from bench.run import ensure_wrk, run_wrk, summarize

    parser = argparse.ArgumentParser(prog="bench/run.py --scale")
    parser.add_argument("--large-url", default=os.environ.get("BENCH_LARGE_DATABASE_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--small-url", default=os.environ.get("BENCH_SMALL_DATABASE_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/bench_small"))
    parser.add_argument("--scale-duration", type=float, default=None,
                        help="seconds per wrk run (default: --duration, capped at 10)")
    parser.add_argument("--search-connections", type=int, default=2,
                        help="wrk connections for the search pages (slow on 1M posts; default 2)")
    parser.add_argument("--no-seed", action="store_true", help="fail instead of seeding a missing dataset")
    args = parser.parse_args(rest)
    duration = args.scale_duration or min(common_args.duration, 10)
    rounds = common_args.rounds
    try:
        wrk = ensure_wrk(install=not common_args.no_install)
        dbs = {"1k": database_url(args.small_url), "1M": database_url(args.large_url)}
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    if not all(is_postgres(u) for u in dbs.values()):
        print("the scale comparison runs on PostgreSQL", file=sys.stderr)
        return 2
    for name, params in (("1k", SMALL), ("1M", LARGE)):
        if common_args.reseed or not dataset_matches(dbs[name], params):
            if args.no_seed:
                print(f"the {name} database is not seeded: python bench/seed_large.py"
                      + (" --small" if name == "1k" else ""), file=sys.stderr)
                return 2
            print(f"seeding the {name} database ({params.label()}) — minutes for 1M posts", flush=True)
            try:
                seed(dbs[name], params, force=common_args.force, log=lambda m: print(m, flush=True))
            except Refused as exc:
                print(exc, file=sys.stderr)
                return 2
    facts = {name: page_facts(url) for name, url in dbs.items()}
    for name, f in facts.items():
        print(f"  {name}: thread {f['thread_id']} has {f['thread_posts']} posts; topic {f['topic_slug']} has "
              f"{f['topic_threads']} threads, deepest page {f['deepest_page']}")

    servers = {}
    logs = {}
    try:
        for name, url in dbs.items():
            port = free_port()
            logs[name] = RESULTS_DIR / f"scale-{name}-access.log"
            if logs[name].exists():
                logs[name].unlink()
            env = production_env(url, port=port, workers=common_args.workers, access_log=str(logs[name]))
            servers[name] = Server(f"circle-{name}", "board:create_app()", env, port,
                                   RESULTS_DIR / f"scale-{name}.log").start()
        urls = {name: {k: servers[name].base + p for k, p in pages(facts[name]).items()} for name in dbs}
        available = {}
        for key in LABELS:
            ok = True
            for name in dbs:
                status, _, body = fetch(urls[name][key], timeout=30)
                if status != 200:
                    ok = False
                    available[key] = f"not available (answered {status})"
                elif (key == "topic_deepest" and facts[name]["deepest_cursor"]
                      and f'href="/topics/{facts[name]["topic_slug"]}?cursor='.encode() in body):
                    ok = False
                    available[key] = "the computed cursor is not the deepest page (a next link is shown)"
            if ok:
                available[key] = "ok"
        live = [k for k in LABELS if available[k] == "ok"]
        print(f"warming up, then {len(live)} pages × 2 databases × {rounds} rounds × {duration:g} s "
              f"({common_args.connections} connections; {args.search_connections} for searches)", flush=True)
        for name in dbs:
            for key in live:
                for _ in range(2 * common_args.workers):  # every worker sees every page once or twice
                    fetch(urls[name][key], timeout=60)
        marks = {name: line_count(logs[name]) for name in dbs}
        runs: dict = {name: {k: [] for k in live} for name in dbs}
        for rnd in range(1, rounds + 1):
            for key in live:
                for name in dbs:
                    conns = args.search_connections if key.startswith("search") else common_args.connections
                    r = run_wrk(wrk, urls[name][key], connections=conns, duration=duration,
                                threads=common_args.wrk_threads)
                    r["round"] = rnd
                    r["connections"] = conns
                    r["drain_s"] = round(wait_idle(servers[name].base), 1)  # requests wrk left queued
                    runs[name][key].append(r)
                    print(f"  round {rnd} {name:>3} {key:<14} {r['rps']:>7.0f} req/s  mean {r['mean_ms']:>7.1f} ms  "
                          f"p99 {r['p99_ms']:>7.1f} ms", flush=True)
    except (RuntimeError, OSError) as exc:
        print(f"scale benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        for s in servers.values():
            s.stop()

    search_ms = {}
    for key, word in (("search_rare", SEARCH_RARE), ("search_common", SEARCH_COMMON)):
        if key in live:
            for name in dbs:
                search_ms[f"{name} {word}"] = server_times_ms(logs[name], f"/search?q={word}", marks[name])
    rows, checks = [], []
    print()
    print(f"{'page':<26} {'1k: req/s':>10} {'mean ms':>8} {'1M: req/s':>10} {'mean ms':>8} {'1M/1k':>7}")
    for key in LABELS:
        if key not in live:
            print(f"{LABELS[key]:<26} {available[key]}")
            checks.append({"check": f"{LABELS[key]}: 1M within {LIMIT}× of 1k", "result": "SKIP",
                           "detail": available[key]})
            continue
        s = {name: summarize(runs[name][key]) for name in dbs}
        if not (s["1k"]["requests"] and s["1M"]["requests"]):
            print(f"{LABELS[key]:<26} no request finished within wrk's 10 s timeout")
            checks.append({"check": f"{LABELS[key]}: 1M within {LIMIT}× of 1k", "result": "FAIL",
                           "detail": "no request finished (10 s timeout)"})
            continue
        ratio = s["1M"]["mean_ms"] / s["1k"]["mean_ms"] if s["1k"]["mean_ms"] else float("inf")
        rows.append({"page": key, "label": LABELS[key], "1k": s["1k"], "1M": s["1M"], "ratio_1M_vs_1k": round(ratio, 3),
                     "runs": {n: runs[n][key] for n in dbs}})
        print(f"{LABELS[key]:<26} {s['1k']['rps']:>10.0f} {s['1k']['mean_ms']:>8.1f} {s['1M']['rps']:>10.0f} "
              f"{s['1M']['mean_ms']:>8.1f} {ratio:>6.2f}×")
        checks.append({"check": f"{LABELS[key]}: 1M within {LIMIT}× of 1k", "result": "PASS" if ratio <= LIMIT else "FAIL",
                       "detail": f"{s['1M']['mean_ms']:.1f} ms vs {s['1k']['mean_ms']:.1f} ms = {ratio:.2f}×"})
    by = {r["page"]: r for r in rows}
    for deep, shallow in (("thread_last", "thread_first"), ("topic_deepest", "topic_first")):
        if deep in by and shallow in by and by[shallow]["1M"]["mean_ms"]:
            ratio = by[deep]["1M"]["mean_ms"] / by[shallow]["1M"]["mean_ms"]
            checks.append({"check": f"1M: {LABELS[deep]} within {LIMIT}× of {LABELS[shallow].lower()}",
                           "result": "PASS" if ratio <= LIMIT else "FAIL", "detail": f"{ratio:.2f}×"})
    search_report = None
    if search_ms:
        search_report = {name: {"requests": len(v), "p50_ms": round(statistics.median(v), 2) if v else None,
                                "p95_ms": round(p95(v), 2) if v else None} for name, v in search_ms.items()}
        print("\nsearch server time (gunicorn access log, %(D)s): "
              + "; ".join(f"{n}: p95 {r['p95_ms']} ms, median {r['p50_ms']} ms over {r['requests']} requests"
                          for n, r in search_report.items()))
    print()
    for c in checks:
        print(f"  {c['result']:<4}  {c['check']}  — {c['detail']}")
    result = {
        "kind": "circle-bench-scale", "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "loadavg": list(os.getloadavg()), "facts": facts,
        "settings": {"connections": common_args.connections, "duration_s": duration, "rounds": rounds,
                     "gunicorn_workers": common_args.workers, "datasets": {"1k": SMALL.label(), "1M": LARGE.label()}},
        "pages": rows, "search_server_time": search_report, "checks": checks,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = Path(common_args.out) if common_args.out else RESULTS_DIR / (
        "scale-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"results written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 1 if any(c["result"] == "FAIL" for c in checks) else 0
