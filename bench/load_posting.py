"""Load without loss (and, with --outage, an outage without loss).

    python bench/load_posting.py                     # 50 writers + 4 readers, 60 s, PostgreSQL bench_load
    python bench/load_posting.py --clients 10 --duration 10      # the CI size
    python bench/load_posting.py --outage            # stop PostgreSQL for 10 s in the middle (pg_ctlcluster)
    python bench/load_posting.py --outage-proxy      # the same outage for this app only, through a TCP proxy
    python bench/load_posting.py --outage-dry-run    # the outage control flow, nothing stopped

Against gunicorn (2 sync workers, production config) and PostgreSQL, on
loopback only. Each writer is a different level-1 member, logged in through the
real login form (CSRF token parsed from it); writers start threads and reply to
threads, readers load the home, topic and thread pages. Every body carries a
unique token. A post counts as acknowledged when the answer is the 302 redirect
to the new post (/posts/<id>) or the new thread (/threads/<id>-slug).

Afterwards every acknowledged token must be stored exactly once, in the post
the redirect named; no response may be a 5xx (except 503 while PostgreSQL is
down, when --outage). It prints acknowledged vs stored vs 5xx counts, writes
JSON to bench/results/ and exits 1 on any mismatch (2 on a setup error).

Outage checks: while PostgreSQL is stopped, pages and form posts answer the 503
page (never a 500), and the 503 page after a POST shows the member's text;
/healthz answers 503 "database unavailable"; within 5 s of PostgreSQL's return
the app serves normally again without a restart (pool_pre_ping); and no
acknowledged post is missing. Stopping PostgreSQL disturbs anything else using
that server on this machine: run the real outage only when nobody else is.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BENCH_PASSWORD, RESULTS_DIR, ROOT, Browser, Refused, Server, csrf_token, database_url, fetch, free_port,
    is_postgres, production_env, require_loopback_url,
)

DEFAULT_URL = os.environ.get("LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_load")
THREAD_LOCATION = re.compile(r"/threads/(\d+)(?:-[^/?#]*)?(?:[?#].*)?$")
POST_LOCATION = re.compile(r"/posts/(\d+)(?:[?#].*)?$")
TOKEN_RE = re.compile(r"LT[a-z0-9]{6}-\d{3}-\d{5}")
WORDS = ("thank you for sharing this, my scans were stable and the fatigue is easing a little, "
         "the nurse suggested smaller meals and a short walk after lunch").split()


# ---------------------------------------------------------------- shared state

@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict = field(default_factory=dict)        # token -> ("thread"|"reply", id)
    attempted: set = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)  # "writer 302", "reader 200", ...
    server_errors: list = field(default_factory=list)   # (t, who, method, path, status)
    outage_503: list = field(default_factory=list)      # (t, who, method, path, kept_text_ok)
    conn_errors: list = field(default_factory=list)     # (t, who, method, path, error)
    refused: Counter = field(default_factory=Counter)
    healthz: list = field(default_factory=list)         # (t, status, body)
    threads: list = field(default_factory=list)         # thread ids anyone may reply to
    logins_failed: int = 0

    def count(self, key: str) -> None:
        with self.lock:
            self.statuses[key] += 1

    def record(self, **kw):
        with self.lock:
            for k, v in kw.items():
                getattr(self, k).append(v)


class Clock:
    def __init__(self):
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0


@dataclass
class Outage:
    enabled: bool = False
    dry_run: bool = False
    proxy: object = None  # a bench.tcp_proxy.FlakyProxy in --outage-proxy mode
    at: float = 20.0
    seconds: float = 10.0
    stop_started: float | None = None
    stopped_at: float | None = None
    start_started: float | None = None
    started_at: float | None = None
    healthy_at: float | None = None   # first normal page after PostgreSQL's return
    page_ok_at: float | None = None
    log: list = field(default_factory=list)

    def window(self) -> tuple[float, float] | None:
        """When a 503 is the right answer: from the stop command to 5 s after the start command returned."""
        if self.stop_started is None:
            return None
        end = (self.started_at if self.started_at is not None else float("inf")) + 5.0
        return self.stop_started, end


class Deadline:
    """When the load stops: after `duration`, and with an outage never before `after` seconds past
    the database's return (stopping PostgreSQL can take a while). Hard cap: `cap` seconds."""

    def __init__(self, duration: float, outage: "Outage", after: float = 10.0, cap: float | None = None):
        self.duration, self.outage, self.after = duration, outage, after
        self.cap = cap if cap is not None else duration + outage.seconds + 120

    def value(self) -> float:
        d = self.duration
        if self.outage.enabled and self.outage.stop_started is not None:
            d = self.cap if self.outage.started_at is None else max(d, self.outage.started_at + self.after)
        return min(d, self.cap)

    def passed(self, now: float) -> bool:
        return now >= self.value()


def pg_cluster_command(action: str) -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        raise SystemExit("pg_ctlcluster not found: the outage test needs a local Debian PostgreSQL cluster")
    mode = ["--mode", "fast"] if action == "stop" else []
    return ["pg_ctlcluster", "--skip-systemctl-redirect", *mode, versions[-1], "main", action]


# ---------------------------------------------------------------- preparation

def prepare(url: str, *, clients: int, reset: bool, force: bool, seed_threads: int = 20) -> dict:
    """Members load_001… (level 1), the topics and a few threads to reply to."""
    from sqlalchemy import create_engine, select

    from bench.common import guard_database, make_app, reset_database, write_marker
    from board.auth.passwords import hash_password
    from board.extensions import db
    from board.forum import services
    from board.models import Thread, Topic, User, utcnow

    if reset:
        reset_database(url, force=force)
    else:
        engine = create_engine(url)
        try:
            guard_database(engine, force=force)
        finally:
            engine.dispose()
    app = make_app(url)
    with app.app_context():
        from board.cli import seed_topics

        seed_topics()
        pw = hash_password(BENCH_PASSWORD)
        existing = set(db.session.scalars(select(User.username).where(User.username.like("load_%"))))
        for i in range(1, clients + 2):  # one extra member starts the seed threads
            name = f"load_{i:03d}"
            if name not in existing:
                db.session.add(User(username=name, email=f"{name}@example.invalid", password_hash=pw,
                                    trust_level=1, email_verified_at=utcnow(), display_name=f"Load {i}"))
        db.session.flush()
        topics = list(db.session.scalars(select(Topic).where(Topic.members_only.is_(False)).order_by(Topic.position)))
        starter = db.session.scalar(select(User).where(User.username == f"load_{clients + 1:03d}"))
        have = db.session.scalar(select(db.func.count(Thread.id)).where(Thread.status == "published")) or 0
        for i in range(max(0, seed_threads - have)):
            services.create_thread(starter, topics[i % len(topics)], f"Load test thread number {i + 1}",
                                   "A thread for the load test to reply to.")
        with db.engine.begin() as conn:
            write_marker(conn, f"load: {clients} members")
        db.session.commit()
        thread_ids = list(db.session.scalars(select(Thread.id).where(Thread.status == "published")))
        slugs = [t.slug for t in topics]
        db.engine.dispose()
    return {"thread_ids": thread_ids, "topic_slugs": slugs}


# ---------------------------------------------------------------- workers

def _body(token: str, rng: random.Random) -> str:
    return f"Load test {token}. " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + "."


def writer(idx: int, browser: Browser, stats: Stats, clock: Clock, deadline: Deadline, slugs: list[str],
           thread_ratio: float, think: float, run_id: str, outage: Outage, max_actions: int) -> None:
    rng = random.Random(idx)
    who = f"writer{idx:03d}"
    token_cache: str | None = None
    for seq in range(1, max_actions + 1):
        if deadline.passed(clock.now()):
            break
        try:
            if token_cache is None:
                status, _, page = browser.get(f"/topics/{rng.choice(slugs)}/new")
                stats.count(f"writer GET {status}")
                token_cache = csrf_token(page) if status == 200 else None
                if token_cache is None:
                    _classify(stats, clock, outage, who, "GET", "/topics/…/new", status, page, None)
                    time.sleep(0.5)
                    continue
        except OSError as exc:
            stats.record(conn_errors=(round(clock.now(), 2), who, "GET", "form", repr(exc)))
            time.sleep(0.5)
            continue
        token = f"LT{run_id}-{idx:03d}-{seq:05d}"
        body = _body(token, rng)
        with stats.lock:
            pool = stats.threads
            target = rng.choice(pool) if pool else None
        if target is None or rng.random() < thread_ratio:
            kind, path = "thread", f"/topics/{rng.choice(slugs)}/new"
            form = {"csrf_token": token_cache, "title": f"Load thread {token}", "body": body}
        else:
            kind, path = "reply", f"/threads/{target}/reply"
            form = {"csrf_token": token_cache, "body": body}
        with stats.lock:
            stats.attempted.add(token)
        started = clock.now()
        try:
            status, headers, page = browser.post(path, form)
        except OSError as exc:
            stats.record(conn_errors=(round(started, 2), who, "POST", path, repr(exc)))
            time.sleep(0.2)
            continue
        stats.count(f"writer POST {status}")
        if status == 302:
            location = (headers.get("location") or [""])[0]
            m_post, m_thread = POST_LOCATION.search(location), THREAD_LOCATION.search(location)
            with stats.lock:
                if kind == "reply" and m_post:
                    stats.acked[token] = ("reply", int(m_post.group(1)))
                elif kind == "thread" and m_thread:
                    tid = int(m_thread.group(1))
                    stats.acked[token] = ("thread", tid)
                    stats.threads.append(tid)
                else:
                    stats.refused[f"302 to unexpected {location[:60]}"] += 1
        else:
            if status == 400 and b"csrf" in page.lower():
                token_cache = None
            _classify(stats, clock, outage, who, "POST", path, status, page, token)
        if think:
            time.sleep(rng.uniform(0, think))


def _classify(stats: Stats, clock: Clock, outage: Outage, who: str, method: str, path: str, status: int,
              page: bytes, token: str | None) -> None:
    t = round(clock.now(), 2)  # when the answer came (a request sent just before the stop may answer 503)
    if status == 503:
        kept = None
        if method == "POST" and token:
            kept = token.encode() in page
        stats.record(outage_503=(t, who, method, path, kept))
    elif status >= 500:
        stats.record(server_errors=(t, who, method, path, status))
    elif status >= 400:
        with stats.lock:
            stats.refused[f"{method} {status}"] += 1


def reader(idx: int, base: str, stats: Stats, clock: Clock, deadline: Deadline, slugs: list[str], think: float,
           outage: Outage, max_actions: int) -> None:
    rng = random.Random(1000 + idx)
    browser = Browser(base, timeout=10)
    who = f"reader{idx:02d}"
    for _ in range(max_actions):
        if deadline.passed(clock.now()):
            break
        with stats.lock:
            tid = rng.choice(stats.threads) if stats.threads else None
        choices = ["/", f"/topics/{rng.choice(slugs)}"]
        if tid:
            choices += [f"/threads/{tid}", f"/threads/{tid}?page=last"]
        path = rng.choice(choices)
        started = clock.now()
        try:
            status, _, page = browser.get(path)
        except OSError as exc:
            stats.record(conn_errors=(round(started, 2), who, "GET", path, repr(exc)))
            time.sleep(0.2)
            continue
        stats.count(f"reader GET {status}")
        if status != 200:
            _classify(stats, clock, outage, who, "GET", path, status, page, None)
        if think:
            time.sleep(rng.uniform(0, think))


def health_monitor(base: str, stats: Stats, clock: Clock, deadline: Deadline, outage: Outage, period: float = 0.5):
    for _ in range(int((deadline.cap + 60) / period) + 1):
        if deadline.passed(clock.now()):
            break
        t = clock.now()
        try:
            status, _, body = fetch(base + "/healthz", headers={"Accept": "application/json"}, timeout=5)
            text = body.decode(errors="replace")[:120]
        except OSError as exc:
            status, text = 0, repr(exc)
        stats.record(healthz=(round(t, 2), status, text))
        if outage.started_at is not None and outage.healthy_at is None and status == 200:
            outage.healthy_at = t
        time.sleep(period)


def outage_controller(base: str, stats: Stats, clock: Clock, outage: Outage, sample_path: str) -> None:
    while clock.now() < outage.at:
        time.sleep(0.1)
    outage.stop_started = clock.now()
    if outage.proxy is not None:
        outage.proxy.down()
        outage.log.append("proxy: PostgreSQL connections reset and refused (for this app only)")
    elif outage.dry_run:
        outage.log.append("dry run: would run " + " ".join(pg_cluster_command("stop")))
    else:
        proc = subprocess.run(pg_cluster_command("stop"), capture_output=True, text=True, timeout=60)
        outage.log.append(f"stop: rc={proc.returncode} {proc.stderr.strip()[:200]}")
    outage.stopped_at = clock.now()
    time.sleep(outage.seconds)
    outage.start_started = clock.now()
    if outage.proxy is not None:
        outage.proxy.up()
        outage.log.append("proxy: accepting connections again")
    elif outage.dry_run:
        outage.log.append("dry run: would run " + " ".join(pg_cluster_command("start")))
    else:
        proc = subprocess.run(pg_cluster_command("start"), capture_output=True, text=True, timeout=120)
        outage.log.append(f"start: rc={proc.returncode} {proc.stderr.strip()[:200]}")
    outage.started_at = clock.now()
    # How soon does a real page answer normally again? (bounded: 30 s, every 0.1 s)
    for _ in range(300):
        try:
            status, _, _ = fetch(base + sample_path, timeout=5)
        except OSError:
            status = 0
        if status == 200:
            outage.page_ok_at = clock.now()
            break
        time.sleep(0.1)


# ---------------------------------------------------------------- verification

def verify(url: str, stats: Stats, run_id: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_pre_ping=True)
    rows = None
    last_error = None
    for _ in range(60):  # PostgreSQL may still be starting after an outage: bounded wait
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT id, thread_id, is_first, status, body_source FROM posts WHERE body_source LIKE :p"
                ), {"p": f"Load test LT{run_id}-%"}).all()
            break
        except Exception as exc:  # noqa: BLE001
            last_error = exc
            time.sleep(0.5)
    engine.dispose()
    if rows is None:
        raise RuntimeError(f"could not read the database to verify: {last_error}")
    stored: dict[str, list] = {}
    for pid, tid, is_first, status, body in rows:
        m = TOKEN_RE.search(body)
        if m:
            stored.setdefault(m.group(0), []).append((pid, tid, is_first, status))
    missing, duplicated, wrong = [], [], []
    for token, (kind, ident) in stats.acked.items():
        found = stored.get(token, [])
        if not found:
            missing.append(token)
            continue
        if len(found) > 1:
            duplicated.append(token)
        pid, tid, is_first, _status = found[0]
        if (kind == "reply" and pid != ident) or (kind == "thread" and (tid != ident or not is_first)):
            wrong.append((token, kind, ident, found[0][:3]))
    unacked_stored = sorted(t for t in stored if t not in stats.acked)
    dup_unacked = [t for t in unacked_stored if len(stored[t]) > 1]
    return {
        "acknowledged": len(stats.acked),
        "acknowledged_threads": sum(1 for k, _ in stats.acked.values() if k == "thread"),
        "acknowledged_replies": sum(1 for k, _ in stats.acked.values() if k == "reply"),
        "stored_rows": len(rows),
        "stored_tokens": len(stored),
        "acknowledged_and_stored_once": len(stats.acked) - len(missing) - len(duplicated),
        "missing": missing[:50], "missing_count": len(missing),
        "duplicated": duplicated[:50], "duplicated_count": len(duplicated) + len(dup_unacked),
        "wrong_target": wrong[:20], "wrong_target_count": len(wrong),
        "stored_without_ack": len(unacked_stored),
        "stored_status": dict(Counter(s for v in stored.values() for (_, _, _, s) in v)),
    }


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL on loopback (env LOAD_DATABASE_URL)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent writers, each a different member")
    parser.add_argument("--readers", type=int, default=4, help="concurrent anonymous readers")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--thread-ratio", type=float, default=0.25, help="share of writes that start a thread")
    parser.add_argument("--think", type=float, default=0.1, help="max random pause between a client's requests (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed-threads", type=int, default=20, help="threads to reply to, made before the load")
    parser.add_argument("--no-reset", action="store_true",
                        help="keep the schema and data (for CI's test database); still refuses real members")
    parser.add_argument("--force", action="store_true", help="wipe even a database without the benchmark marker")
    parser.add_argument("--outage", action="store_true", help="stop PostgreSQL during the load, then start it")
    parser.add_argument("--outage-at", type=float, default=None, help="seconds into the load (default: a third)")
    parser.add_argument("--outage-seconds", type=float, default=10)
    parser.add_argument("--outage-dry-run", action="store_true", help="outage control flow without stopping anything")
    parser.add_argument("--outage-proxy", action="store_true",
                        help="simulate the outage with a TCP proxy between the app and PostgreSQL (disturbs nobody)")
    parser.add_argument("--recovery-limit", type=float, default=5.0, help="seconds allowed to serve normally again")
    parser.add_argument("--rate-limits", action="store_true", help="keep Flask-Limiter on (default off)")
    parser.add_argument("--out", default=None, help="JSON result file (default bench/results/load-<time>.json)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 200 and 0 <= args.readers <= 50 and 1 <= args.duration <= 900
            and 1 <= args.outage_seconds <= 120):
        parser.error("clients 1–200, readers 0–50, duration 1–900 s, outage 1–120 s")
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))

    try:
        url = database_url(args.database_url)
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    if not is_postgres(url):
        print("the load test runs against PostgreSQL (set --database-url or LOAD_DATABASE_URL)", file=sys.stderr)
        return 2
    outage = Outage(enabled=args.outage or args.outage_dry_run or args.outage_proxy, dry_run=args.outage_dry_run,
                    at=args.outage_at if args.outage_at is not None else args.duration / 3,
                    seconds=args.outage_seconds)
    if outage.enabled and not args.outage_proxy:
        pg_cluster_command("stop")  # fail early when pg_ctlcluster is missing
        if outage.at + outage.seconds + 5 > args.duration:
            parser.error("the load must go on at least 5 s after PostgreSQL returns: raise --duration")

    run_id = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    say(f"load test {run_id}: {args.clients} writers + {args.readers} readers for {args.duration:g} s"
        + (f"; outage at {outage.at:g} s for {outage.seconds:g} s" + (" (DRY RUN)" if outage.dry_run else "")
           if outage.enabled else ""))
    phases = {}
    t_phase = time.monotonic()
    try:
        facts = prepare(url, clients=args.clients, reset=not args.no_reset, force=args.force,
                        seed_threads=args.seed_threads)
        phases["prepare_s"] = round(time.monotonic() - t_phase, 1)
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    port = free_port()
    app_db_url = url
    if args.outage_proxy:
        from sqlalchemy.engine import make_url

        from bench.tcp_proxy import FlakyProxy

        parsed = make_url(url)
        outage.proxy = FlakyProxy((parsed.host or "127.0.0.1", parsed.port or 5432)).start()
        app_db_url = parsed.set(host="127.0.0.1", port=outage.proxy.port).render_as_string(hide_password=False)
    env = production_env(app_db_url, port=port, workers=args.workers, rate_limits=args.rate_limits)
    server = Server("circle-load", "board:create_app()", env, port, RESULTS_DIR / "load-server.log")
    stats = Stats(threads=list(facts["thread_ids"]))
    started_wall = time.time()
    try:
        t_phase = time.monotonic()
        server.start()
        phases["server_start_s"] = round(time.monotonic() - t_phase, 1)
        base = require_loopback_url(server.base)
        # Log every writer in first (argon2 is slow on purpose), in parallel, bounded.
        browsers: list[Browser | None] = [None] * args.clients

        def do_login(i):
            b = Browser(base, timeout=30)
            for _attempt in range(3):
                try:
                    b.login(f"load_{i + 1:03d}")
                    browsers[i] = b
                    return
                except (OSError, RuntimeError):
                    time.sleep(0.5)
            with stats.lock:
                stats.logins_failed += 1

        t0 = time.monotonic()
        login_threads = [threading.Thread(target=do_login, args=(i,), daemon=True) for i in range(args.clients)]
        for t in login_threads:
            t.start()
        for t in login_threads:
            t.join(timeout=120)
        phases["logins_s"] = round(time.monotonic() - t0, 1)
        say(f"  {args.clients - stats.logins_failed} members logged in ({phases['logins_s']} s)")
        if stats.logins_failed:
            raise RuntimeError(f"{stats.logins_failed} members could not log in")

        clock = Clock()
        deadline = Deadline(args.duration, outage)
        max_actions = int((args.duration + args.outage_seconds + 120) * 100) + 10
        workers = [threading.Thread(target=writer, daemon=True, args=(
            i, browsers[i], stats, clock, deadline, facts["topic_slugs"], args.thread_ratio, args.think, run_id,
            outage, max_actions)) for i in range(args.clients)]
        workers += [threading.Thread(target=reader, daemon=True, args=(
            i, base, stats, clock, deadline, facts["topic_slugs"], args.think, outage, max_actions))
            for i in range(args.readers)]
        workers.append(threading.Thread(target=health_monitor, daemon=True,
                                        args=(base, stats, clock, deadline, outage)))
        controller = None
        if outage.enabled:
            controller = threading.Thread(target=outage_controller, daemon=True,
                                          args=(base, stats, clock, outage, f"/threads/{facts['thread_ids'][0]}"))
            workers.append(controller)
        for w in workers:
            w.start()
        last = -10.0
        while any(w.is_alive() for w in workers) and clock.now() < deadline.cap + 90:
            if clock.now() - last >= 10:
                last = clock.now()
                say(f"  t={clock.now():5.1f}s acknowledged {len(stats.acked)}, 5xx {len(stats.server_errors)}, "
                    f"503 {len(stats.outage_503)}, connection errors {len(stats.conn_errors)}")
            time.sleep(0.5)
        for w in workers:
            w.join(timeout=15)
        if controller is not None and controller.is_alive():
            raise RuntimeError("the outage controller did not finish (is PostgreSQL back?)")
    except (RuntimeError, OSError) as exc:
        print(f"load test setup failed: {exc}", file=sys.stderr)
        if (outage.enabled and not outage.dry_run and outage.proxy is None and outage.stop_started
                and outage.started_at is None):
            subprocess.run(pg_cluster_command("start"), timeout=120)  # never leave PostgreSQL stopped
        return 2
    finally:
        server.stop()
        if outage.proxy is not None:
            outage.proxy.close()

    t_phase = time.monotonic()
    result = verify(url, stats, run_id)
    phases["verify_s"] = round(time.monotonic() - t_phase, 1)
    failures = []
    if result["acknowledged"] == 0:
        failures.append("no post was acknowledged: nothing was tested")
    if result["missing_count"]:
        failures.append(f"{result['missing_count']} acknowledged posts are missing")
    if result["duplicated_count"]:
        failures.append(f"{result['duplicated_count']} posts are stored more than once")
    if result["wrong_target_count"]:
        failures.append(f"{result['wrong_target_count']} redirects named another post than the one stored")
    if stats.server_errors:
        failures.append(f"{len(stats.server_errors)} responses were 5xx (not 503 during the outage)")
    window = outage.window() if outage.enabled and not outage.dry_run else None
    bad_503 = [e for e in stats.outage_503 if window is None or not (window[0] <= e[0] <= window[1])]
    if bad_503:
        failures.append(f"{len(bad_503)} responses were 503 outside the outage")
    outage_report = None
    if outage.enabled:
        in_window = [e for e in stats.outage_503 if window and window[0] <= e[0] <= window[1]]
        posts_503 = [e for e in in_window if e[2] == "POST"]
        kept_missing = [e for e in posts_503 if e[4] is False]
        health_down = [h for h in stats.healthz if h[1] == 503 and "unavailable" in h[2]]
        health_500 = [h for h in stats.healthz if h[1] >= 500 and h[1] != 503]
        recovery = (outage.page_ok_at - outage.started_at) if (outage.page_ok_at and outage.started_at) else None
        outage_report = {
            "dry_run": outage.dry_run, "stop_started_s": outage.stop_started, "stopped_s": outage.stopped_at,
            "start_started_s": outage.start_started, "started_s": outage.started_at,
            "first_normal_page_after_start_s": round(recovery, 2) if recovery is not None else None,
            "healthz_first_200_after_start_s": round(max(0.0, outage.healthy_at - outage.started_at), 2)
            if outage.healthy_at and outage.started_at else None,
            "responses_503": len(in_window), "posts_answered_503": len(posts_503),
            "posts_503_without_kept_text": len(kept_missing), "healthz_reported_outage": len(health_down),
            "log": outage.log, "mode": "proxy" if outage.proxy is not None else
            ("dry-run" if outage.dry_run else "pg_ctlcluster"),
        }
        if not outage.dry_run:
            if not in_window:
                failures.append("no request got the 503 page during the outage")
            if kept_missing:
                failures.append(f"{len(kept_missing)} POSTs answered 503 without showing the member's text")
            if not health_down:
                failures.append("/healthz never reported the database outage")
            if health_500:
                failures.append(f"/healthz answered {len(health_500)} times with a 5xx other than 503")
            if recovery is None or recovery > args.recovery_limit:
                failures.append(f"the app did not serve normally within {args.recovery_limit:g} s of PostgreSQL's "
                                f"return (took {recovery if recovery is not None else 'forever'})")

    conn_during = [e for e in stats.conn_errors if window and window[0] <= e[0] <= window[1]]
    conn_outside = [e for e in stats.conn_errors if e not in conn_during]
    if conn_outside:
        failures.append(f"{len(conn_outside)} requests failed at the connection level (no HTTP answer)")

    summary = {
        "kind": "circle-load", "run_id": run_id,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started_wall, 1),
        "settings": {"clients": args.clients, "readers": args.readers, "duration_s": args.duration,
                     "thread_ratio": args.thread_ratio, "think_s": args.think, "workers": args.workers,
                     "rate_limits": args.rate_limits, "outage": outage.enabled, "outage_dry_run": outage.dry_run},
        "loadavg": list(os.getloadavg()),
        "phases": phases,
        "verification": result,
        "responses": dict(sorted(stats.statuses.items())),
        "refused": dict(stats.refused),
        "server_errors": stats.server_errors[:50], "server_error_count": len(stats.server_errors),
        "responses_503": len(stats.outage_503), "responses_503_outside_outage": len(bad_503),
        "connection_errors": len(stats.conn_errors), "connection_errors_sample": stats.conn_errors[:10],
        "outage": outage_report,
        "outage_mode": ("proxy" if args.outage_proxy else "dry-run" if args.outage_dry_run
                        else "pg_ctlcluster" if args.outage else None),
        "healthz_samples": stats.healthz if outage.enabled else stats.healthz[:5],
        "failures": failures, "passed": not failures,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS_DIR / (
        "load-" + ("outage-" if outage.enabled and not outage.dry_run else "")
        + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.write_text(json.dumps(summary, indent=2, default=str) + "\n")

    say("")
    say(f"acknowledged posts : {result['acknowledged']} ({result['acknowledged_threads']} threads, "
        f"{result['acknowledged_replies']} replies)")
    say(f"stored exactly once: {result['acknowledged_and_stored_once']}   missing: {result['missing_count']}   "
        f"duplicated: {result['duplicated_count']}   wrong target: {result['wrong_target_count']}")
    say(f"stored without ack : {result['stored_without_ack']} (the answer was lost, e.g. during the outage)")
    say(f"5xx responses      : {len(stats.server_errors)} (503 during the outage: {len(stats.outage_503) - len(bad_503)})")
    say(f"responses          : {dict(sorted(stats.statuses.items()))}")
    if outage_report:
        say(f"outage             : {json.dumps({k: v for k, v in outage_report.items() if k != 'log'})}")
        for line in outage.log:
            say(f"                     {line}")
    say(f"phases             : {phases}; machine load average {os.getloadavg()[0]:.1f}")
    say(f"results written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if failures:
        say("FAIL: " + "; ".join(failures))
        return 1
    say("PASS: every acknowledged post is stored exactly once; no 5xx" + (" outside the outage" if outage.enabled else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
