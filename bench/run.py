"""`make bench`: Circle's pages against a bare-Flask ceiling, measured with wrk.

    python bench/run.py                       # SQLite (bench/.data/bench.sqlite)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench python bench/run.py
    python bench/run.py --duration 3 --warmup 1 --rounds 1   # a quick smoke run
    python bench/run.py --scale               # `make bench-large`: 1M posts vs 1k posts on PostgreSQL

What it does, in one run:
1. checks every address is loopback (refuses anything else) and that wrk is
   installed (installs Debian's wrk with apt-get when missing and allowed);
2. seeds the benchmark dataset (bench/seed_bench.py; skipped when already there);
3. starts the ceiling (bench/ceiling_app.py) and Circle (production config),
   each under gunicorn with the repo's gunicorn.conf.py and 2 sync workers;
4. logs in once as a member (CSRF token from the login form) for the
   logged-in target;
5. warms every target up, then runs wrk (16 connections, 15 s) on each target,
   twice, alternating (ceiling, thread, …, ceiling, thread, …);
6. prints the table (req/s, mean and p99 latency, ratios to the ceiling page of
   the same number of items: 25 posts with 25 items, 50 with 50) and the
   PASS/FAIL targets, and writes everything as JSON to bench/results/.

Pages that do not exist yet answer 404 and are reported "not available".
Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BENCH_DIR, BENCH_USER_AGENT, DATA_DIR, RESULTS_DIR, ROOT, Browser, Refused, Server, database_url, fetch, free_port,
    is_postgres, production_env, require_loopback_url, wait_idle,
)

WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"

# (name, label, ratio needed vs the same-size ceiling's req/s or None, items: which ceiling (25 or 50))
TARGETS = [
    ("thread", "Thread, anonymous (25 posts)", 1.0, 25),
    ("thread_50", "Thread, anonymous (50 posts)", 1.0, 50),
    ("thread_member", "Thread, member (25 posts)", 0.5, 25),
    ("thread_member_50", "Thread, member (50 posts)", None, 50),
    ("topic", "Topic page, anonymous", 1.0, 25),
    ("topic_member", "Topic page, member", 0.5, 25),
    ("home", "Home page, anonymous", 1.0, 25),
    ("home_member", "Home page, member", 0.5, 25),
    ("stories", "Story list", 1.0, 25),
    ("story", "Story page", None, 25),
    ("search", "Search results", None, 25),
]
CEILINGS = {25: "/items/25", 50: "/items/50"}  # bench/ceiling_app.py: the same page with 25 or 50 items
P99_FACTOR = 3.0  # thread pages' p99 <= 3 x the same-size ceiling's p99
P99_TARGETS = ("thread", "thread_member")


@dataclass
class Target:
    name: str
    label: str
    url: str | None = None
    headers: dict = field(default_factory=dict)
    need_ratio: float | None = None
    items: int = 25                      # compared with the ceiling page of this many items
    expect: bytes | None = None          # bytes the page must contain to count as the right page
    expect_count: tuple[bytes, int] | None = None
    available: bool = True
    note: str = ""
    runs: list = field(default_factory=list)


# ---------------------------------------------------------------- wrk

def ensure_wrk(install: bool) -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if not install:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (or run without --no-install)")
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed and this is not root: please `sudo apt-get install -y wrk`")
    print("wrk not found: installing Debian's wrk package (apt-get install -y wrk)…", flush=True)
    cmd = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300)
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("installing wrk failed")
    return path


def run_wrk(wrk: str, url: str, *, connections: int, duration: float, threads: int = 1,
            headers: dict | None = None) -> dict:
    require_loopback_url(url)
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
           "-s", str(WRK_SCRIPT)]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"^WRK_JSON (\{.*\})$", proc.stdout, re.M)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-400:]} {proc.stderr[-400:]}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "socket_errors": errors,
        "bad_status": raw["non2xx3xx"],
        "kb_per_response": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 1),
    }


def summarize(runs: list[dict]) -> dict:
    if not runs:
        return {}
    total = sum(r["requests"] for r in runs)
    return {
        "rps": round(statistics.mean(r["rps"] for r in runs), 1),
        "rps_runs": [r["rps"] for r in runs],
        "mean_ms": round(sum(r["mean_ms"] * r["requests"] for r in runs) / max(total, 1), 2),
        "p99_ms": max(r["p99_ms"] for r in runs),  # the worse run
        "p95_ms": max(r["p95_ms"] for r in runs),
        "requests": total,
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "bad_status": sum(r["bad_status"] for r in runs),
    }


def _base(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


# ---------------------------------------------------------------- machine

def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()), "git_commit": commit + ("+dirty" if dirty else ""),
        "wrk": wrk_version[0] if wrk_version else "",
    }


# ---------------------------------------------------------------- targets

def probe(target: Target) -> None:
    """Is the page there and is it the page we mean? (404 = not built yet.)"""
    try:
        status, headers, body = fetch(target.url, headers={"Accept": "text/html", **target.headers}, timeout=15)
    except OSError as exc:
        target.available, target.note = False, f"error: {exc}"
        return
    if status in (301, 302, 308) and headers.get("location"):
        location = headers["location"][0]
        if location.startswith("/"):
            base = target.url.split("/", 3)
            target.url = "/".join(base[:3]) + location
            return probe(target)
    if status == 404:
        target.available, target.note = False, "not available (404: page not built yet)"
        return
    if status != 200:
        target.available, target.note = False, f"not available (answered {status})"
        return
    if target.expect and target.expect not in body:
        target.available, target.note = False, f"wrong page: {target.expect!r} missing"
        return
    if target.expect_count:
        needle, n = target.expect_count
        if body.count(needle) != n:
            target.available, target.note = False, f"expected {n} × {needle!r}, found {body.count(needle)}"
            return
    target.note = f"{len(body) / 1024:.0f} KB"
    if "Cookie" in target.headers and headers.get("set-cookie"):
        # wrk replays the same cookie: a session rewritten on every request would be measured on
        # every request, which a browser (keeping the new cookie) never causes.
        target.note += " (warning: the member's session cookie is rewritten on every request)"


def dataset_facts(url: str) -> dict:
    """Ids and slugs the targets need, read from the benchmark database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    facts = {"thread_id": 1, "topic_slug": None, "story_id": None, "username": "bench_00001"}
    try:
        with engine.connect() as conn:
            facts["topic_slug"] = conn.execute(text(
                "SELECT t.slug FROM topics t JOIN threads th ON th.topic_id = t.id WHERE th.id = 1"
            )).scalar()
            facts["username"] = conn.execute(text("SELECT username FROM users ORDER BY id LIMIT 1")).scalar()
            try:
                facts["story_id"] = conn.execute(text(
                    "SELECT id FROM stories WHERE status = 'published' ORDER BY id LIMIT 1"
                )).scalar()
            except Exception:  # noqa: BLE001 - no stories table
                pass
    finally:
        engine.dispose()
    return facts


def build_targets(base: str, facts: dict, member_cookie: str | None) -> list[Target]:
    tid = facts["thread_id"]
    urls = {
        "thread": f"/threads/{tid}",
        "thread_50": f"/threads/{tid}?per_page=50",
        "thread_member": f"/threads/{tid}",
        "thread_member_50": f"/threads/{tid}?per_page=50",
        "topic": f"/topics/{facts['topic_slug']}",
        "topic_member": f"/topics/{facts['topic_slug']}",
        "home": "/",
        "home_member": "/",
        "stories": "/stories",
        "story": f"/stories/{facts['story_id']}" if facts.get("story_id") else None,
        "search": "/search?q=denosumab",
    }
    out = []
    for name, label, ratio, items in TARGETS:
        t = Target(name, label, need_ratio=ratio, items=items)
        path = urls.get(name)
        if path is None:
            t.available, t.note = False, "not available (no published story in the dataset)"
        else:
            t.url = base + path
        if name in ("thread", "thread_member"):
            t.expect_count = (b'<article class="post', 25)
        if name in ("thread_50", "thread_member_50"):
            t.expect_count = (b'<article class="post', 50)
        if name.endswith("_member") or name.endswith("_member_50"):
            if member_cookie:
                # The User-Agent the login used: Flask-Login's session protection marks the session
                # not fresh (and rewrites it) when it changes, as it would for a stolen cookie.
                t.headers = {"Cookie": member_cookie, "User-Agent": BENCH_USER_AGENT}
                t.expect = b"Log out"
            else:
                t.available, t.note = False, "could not log in"
        out.append(t)
    return out


# ---------------------------------------------------------------- report

def fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}×"


def evaluate(ceilings: dict[int, dict], targets: list[Target]) -> list[dict]:
    """`ceilings`: items -> the ceiling page's summary; each target is compared with its own size."""
    checks = []
    by_name = {t.name: t for t in targets}
    for t in targets:
        if t.need_ratio is None:
            continue
        what = f"{t.label}: req/s ≥ {t.need_ratio}× the {t.items}-item ceiling"
        if not t.available or not t.runs:
            checks.append({"check": what, "result": "SKIP", "detail": t.note})
            continue
        ceiling = ceilings[t.items]
        s = summarize(t.runs)
        ratio = s["rps"] / ceiling["rps"] if ceiling.get("rps") else 0
        ok = ratio >= t.need_ratio and s["bad_status"] == 0
        detail = f"{s['rps']:.0f} req/s = {ratio:.2f}× ceiling ({ceiling['rps']:.0f} req/s)"
        if s["bad_status"]:
            detail += f"; {s['bad_status']} responses were not 2xx/3xx"
        checks.append({"check": what, "result": "PASS" if ok else "FAIL", "detail": detail})
    for name in P99_TARGETS:
        t = by_name.get(name)
        if not (t and t.available and t.runs):
            continue
        ceiling = ceilings[t.items]
        s = summarize(t.runs)
        limit = P99_FACTOR * ceiling["p99_ms"]
        ok = s["p99_ms"] <= limit
        checks.append({"check": f"{t.label}: p99 ≤ {P99_FACTOR:g}× the {t.items}-item ceiling's p99",
                       "result": "PASS" if ok else "FAIL",
                       "detail": f"{s['p99_ms']:.1f} ms vs limit {limit:.1f} ms (ceiling {ceiling['p99_ms']:.1f} ms; "
                                 f"{s['p99_ms'] / ceiling['p99_ms']:.2f}×)"})
    return checks


def print_table(ceilings: dict[int, dict], targets: list[Target], checks: list[dict]) -> None:
    header = (f"{'target':<32} {'req/s':>9} {'mean ms':>9} {'p99 ms':>9} {'vs ceiling':>11} {'p99 vs':>7}"
              f"  runs (req/s)")
    print()
    print(header)
    print("-" * len(header))
    for items, ceiling in sorted(ceilings.items()):
        print(f"{f'Ceiling (bare Flask, {items} items)':<32} {ceiling['rps']:>9.0f} {ceiling['mean_ms']:>9.1f} "
              f"{ceiling['p99_ms']:>9.1f} {'1.00×':>11} {'1.00×':>7}  {ceiling['rps_runs']}")
    for t in targets:
        if not t.available:
            print(f"{t.label:<32} {'—':>9} {'—':>9} {'—':>9} {'—':>11} {'—':>7}  {t.note}")
            continue
        ceiling = ceilings[t.items]
        s = summarize(t.runs)
        ratio = s["rps"] / ceiling["rps"] if ceiling["rps"] else None
        p99 = s["p99_ms"] / ceiling["p99_ms"] if ceiling["p99_ms"] else None
        extra = f"  ({s['bad_status']} non-2xx/3xx!)" if s["bad_status"] else ""
        extra += f"  ({s['socket_errors']} socket errors)" if s["socket_errors"] else ""
        print(f"{t.label:<32} {s['rps']:>9.0f} {s['mean_ms']:>9.1f} {s['p99_ms']:>9.1f} {fmt_ratio(ratio):>11}"
              f" {fmt_ratio(p99):>7}  {s['rps_runs']}  (vs {t.items} items){extra}")
    print()
    for c in checks:
        print(f"  {c['result']:<4}  {c['check']}  — {c['detail']}")
    print()


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (default: SQLite at bench/.data/bench.sqlite; env BENCH_DATABASE_URL)")
    parser.add_argument("--duration", type=float, default=15, help="seconds per measured wrk run (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1: leave the cores to the app)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers for both apps (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per target, alternating (default 2)")
    parser.add_argument("--only", default="", help="comma-separated target names (ceiling always runs)")
    parser.add_argument("--reseed", action="store_true", help="seed the dataset even if it is already there")
    parser.add_argument("--force", action="store_true", help="let the seeder wipe a database without the bench marker")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install wrk when missing")
    parser.add_argument("--out", default=None, help="JSON output file (default bench/results/bench-<time>.json)")
    parser.add_argument("--scale", action="store_true", help="run the 1M-vs-1k scale comparison instead (PostgreSQL)")
    args, rest = parser.parse_known_args(argv)
    if args.scale:
        from bench import scale

        return scale.main(rest, args)
    if rest:
        parser.error(f"unknown arguments: {rest}")
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 120 and 1 <= args.rounds <= 10
            and 1 <= args.connections <= 256):
        parser.error("duration 1–600 s, warmup 0–120 s, rounds 1–10, connections 1–256")

    try:
        wrk = ensure_wrk(install=not args.no_install)
        url = database_url(args.database_url or f"sqlite:///{DATA_DIR / 'bench.sqlite'}")
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2

    print(f"Circle benchmark · database: {'PostgreSQL' if is_postgres(url) else 'SQLite'}", flush=True)
    from bench.dataset import BENCH, dataset_matches, seed

    if args.reseed or not dataset_matches(url, BENCH):
        try:
            seed(url, BENCH, force=args.force, log=lambda m: print(m, flush=True))
        except Refused as exc:
            print(exc, file=sys.stderr)
            return 2
    else:
        print(f"dataset already seeded ({BENCH.label()})")
    facts = dataset_facts(url)

    info = machine_info()
    log_dir = RESULTS_DIR
    ceiling_port, circle_port = free_port(), free_port()
    ceiling_env = production_env(url, port=ceiling_port, workers=args.workers)
    circle_env = production_env(url, port=circle_port, workers=args.workers)
    ceiling_srv = Server("ceiling", "bench.ceiling_app:app", ceiling_env, ceiling_port, log_dir / "ceiling.log")
    circle_srv = Server("circle", "board:create_app()", circle_env, circle_port, log_dir / "circle.log")
    started = time.time()
    try:
        ceiling_srv.start()
        circle_srv.start()
        member_cookie = None
        try:
            browser = Browser(circle_srv.base)
            browser.login(facts["username"])
            member_cookie = browser.cookie_header()
        except Exception as exc:  # noqa: BLE001 - reported as a skipped target
            print(f"could not log in as {facts['username']}: {exc}", file=sys.stderr)
        ceiling_targets = {n: Target(f"ceiling_{n}", f"Ceiling ({n} items)", url=ceiling_srv.base + path,
                                     expect_count=(b'<article class="post"', n)) for n, path in CEILINGS.items()}
        targets = build_targets(circle_srv.base, facts, member_cookie)
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        for t in targets:
            if only and t.name not in only:
                t.available, t.note = False, "not selected (--only)"
            if t.available:
                probe(t)
        for ceiling in ceiling_targets.values():
            probe(ceiling)
            if not ceiling.available:
                raise RuntimeError(f"the ceiling app is not answering as expected: {ceiling.note}")
        live = list(ceiling_targets.values()) + [t for t in targets if t.available]
        for t in live:
            print(f"  {t.name:<14} {t.url}  ({t.note})")
        if args.warmup:
            print(f"warming up: {args.warmup:g} s per target", flush=True)
            for t in live:
                run_wrk(wrk, t.url, connections=args.connections, duration=args.warmup, headers=t.headers)
                wait_idle(_base(t.url))
        est = len(live) * args.rounds * (args.duration + 1)
        print(f"measuring: {len(live)} targets × {args.rounds} rounds × {args.duration:g} s (about {est / 60:.1f} min)",
              flush=True)
        for rnd in range(1, args.rounds + 1):
            for t in live:
                r = run_wrk(wrk, t.url, connections=args.connections, duration=args.duration,
                            threads=args.wrk_threads, headers=t.headers)
                r["round"] = rnd
                r["drain_s"] = round(wait_idle(_base(t.url)), 1)  # let requests wrk left queued finish first
                t.runs.append(r)
                print(f"  round {rnd} {t.name:<14} {r['rps']:>8.0f} req/s  mean {r['mean_ms']:>6.1f} ms  "
                      f"p99 {r['p99_ms']:>6.1f} ms" + (f"  bad status {r['bad_status']}" if r["bad_status"] else ""),
                      flush=True)
    except (RuntimeError, OSError) as exc:
        print(f"benchmark setup failed: {exc}", file=sys.stderr)
        return 2
    finally:
        circle_srv.stop()
        ceiling_srv.stop()

    ceilings = {n: summarize(c.runs) for n, c in ceiling_targets.items()}
    checks = evaluate(ceilings, targets)
    print_table(ceilings, targets, checks)
    info["loadavg_end"] = list(os.getloadavg())
    result = {
        "kind": "circle-bench",
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "machine": info,
        "settings": {
            "database": "postgresql" if is_postgres(url) else "sqlite", "dataset": BENCH.label(),
            "connections": args.connections, "duration_s": args.duration, "warmup_s": args.warmup,
            "rounds": args.rounds, "gunicorn_workers": args.workers, "worker_class": "sync",
            "load_generator": "wrk", "wrk_threads": args.wrk_threads, "rate_limits": "off (FLASK_RATELIMIT_ENABLED=false)",
        },
        "ceiling": {**ceilings[50], "runs": ceiling_targets[50].runs},
        "ceilings": {str(n): {**ceilings[n], "runs": c.runs} for n, c in ceiling_targets.items()},
        "targets": [
            {"name": t.name, "label": t.label, "url": t.url.split("//", 1)[-1].split("/", 1)[-1] if t.url else None,
             "available": t.available, "note": t.note, "need_ratio": t.need_ratio, "ceiling_items": t.items,
             **({**summarize(t.runs), "ratio": round(summarize(t.runs)["rps"] / ceilings[t.items]["rps"], 3),
                 "p99_ratio": round(summarize(t.runs)["p99_ms"] / max(ceilings[t.items]["p99_ms"], 0.001), 3),
                 "runs": t.runs} if t.runs else {})}
            for t in targets
        ],
        "checks": checks,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS_DIR / (
        "bench-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-pg" if is_postgres(url) else "-sqlite") + ".json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed = [c for c in checks if c["result"] == "FAIL"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
