"""Shared pieces of the benchmark and load scripts: loopback guards, the
database marker, starting gunicorn, and a tiny cookie-keeping HTTP client.

Standard library only (plus the app itself), so `make bench` needs nothing
beyond requirements.txt and wrk.
"""
from __future__ import annotations

import http.client
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DATA_DIR = BENCH_DIR / ".data"
RESULTS_DIR = BENCH_DIR / "results"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARKER_TABLE = "circle_bench_marker"
BENCH_PASSWORD = "bench password 2468"
SECRET_KEY = "bench-only-secret-not-for-production-0123456789"
BENCH_USER_AGENT = "circle-bench"  # sent by the login and by wrk for the member targets


class Refused(SystemExit):
    """A guard said no (non-loopback address, a database with real members)."""

    def __init__(self, message: str):
        super().__init__(f"REFUSED: {message}")


# ---------------------------------------------------------------- loopback guards

def is_loopback_host(host: str | None) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    if not host:
        return False
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def require_loopback_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname):
        raise Refused(f"{url!r} is not a loopback address; the benchmark only ever talks to 127.0.0.1/::1.")
    return url


def require_loopback_database(url: str) -> str:
    """SQLite files are local; a PostgreSQL URL must name a loopback host or a local socket."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return url
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host and not host.startswith("/") and not is_loopback_host(host):
        raise Refused(f"database host {host!r} is not a loopback address.")
    return url


def database_url(url: str) -> str:
    from config import normalize_database_url

    return require_loopback_database(normalize_database_url(url))


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


# ---------------------------------------------------------------- database marker

def make_app(url: str, **extra):
    """The app in development config against `url`, for seeding and checks (never served)."""
    from board import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
        "MAIL_SEND_INLINE": False,
    }
    config.update(extra)
    saved = os.environ.get("BOARD_ENV")
    os.environ["BOARD_ENV"] = "development"  # only while building the app
    try:
        return create_app(config)
    finally:
        if saved is None:
            os.environ.pop("BOARD_ENV", None)
        else:
            os.environ["BOARD_ENV"] = saved


def inspect_database(engine) -> dict:
    """What is in the database: {'tables': bool, 'users': int, 'marker': str | None}."""
    from sqlalchemy import inspect, text

    names = set(inspect(engine).get_table_names())
    info = {"tables": bool(names - {MARKER_TABLE}), "users": 0, "marker": None}
    with engine.connect() as conn:
        if "users" in names:
            info["users"] = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        if MARKER_TABLE in names:
            info["marker"] = conn.execute(
                text(f"SELECT dataset FROM {MARKER_TABLE} ORDER BY created_at DESC LIMIT 1")
            ).scalar()
    return info


def guard_database(engine, *, force: bool) -> dict:
    """Refuse to touch a database that holds members but no benchmark marker."""
    info = inspect_database(engine)
    if info["users"] and not info["marker"] and not force:
        raise Refused(
            f"{engine.url.render_as_string(hide_password=True)} holds {info['users']} members and no "
            f"benchmark marker ({MARKER_TABLE}): it looks like a real database. Use --force only if you "
            "are sure it may be wiped."
        )
    return info


def create_database_if_missing(url: str) -> bool:
    """On a fresh machine the benchmark databases (bench, bench_small, bench_load) don't exist yet:
    create the named database through the server's `postgres` database. True if it was created."""
    import re

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                return False
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"created PostgreSQL database {name}", flush=True)
            return True
    finally:
        admin.dispose()


def reset_database(url: str, *, force: bool = False) -> None:
    """Wipe a benchmark database (after the guard) and build the schema with the migrations."""
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if path and os.path.exists(path):
            engine = create_engine(url)
            try:
                guard_database(engine, force=force)
            finally:
                engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        create_database_if_missing(url)
        engine = create_engine(url)
        try:
            guard_database(engine, force=force)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    app = make_app(url)
    from flask_migrate import upgrade

    from board.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()


def write_marker(conn, dataset: str) -> None:
    from sqlalchemy import text

    conn.execute(text(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (dataset VARCHAR(200) NOT NULL, created_at VARCHAR(40) NOT NULL)"
    ))
    conn.execute(text(f"DELETE FROM {MARKER_TABLE}"))
    conn.execute(
        text(f"INSERT INTO {MARKER_TABLE} (dataset, created_at) VALUES (:d, :t)"),
        {"d": dataset, "t": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    )


# ---------------------------------------------------------------- gunicorn

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database: str, *, port: int, workers: int = 2, redis_url: str | None = None,
                   access_log: str = "off", rate_limits: bool = False) -> dict:
    """Environment for Circle in production config under gunicorn."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("FLASK_") or name in ("DATABASE_URL", "BOARD_ENV"):
            env.pop(name)
    env.update({
        "BOARD_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url or os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "GUNICORN_ACCESS_LOG": access_log,
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOG_LEVEL": "warning",
        "MAIL_SERVER": "",
        "PYTHONPATH": str(ROOT),
    })
    if not rate_limits:
        env["FLASK_RATELIMIT_ENABLED"] = "false"
    return env


class Server:
    """A gunicorn process group started by us; stopped by its own pid only."""

    def __init__(self, name: str, app_spec: str, env: dict, port: int, log_path: Path):
        self.name, self.app_spec, self.env, self.port, self.log_path = name, app_spec, env, port, log_path
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 40.0) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # one run per log file
        self.proc = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), self.app_spec],
            cwd=str(ROOT), env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _, _ = fetch(self.base + "/healthz", timeout=2)
                if status in (200, 503):
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name}: not answering on {self.base} after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)  # gunicorn's master stops its own workers
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we created for this server only
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self._log.close()
        self.proc = None

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- HTTP

def fetch(url: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
          timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """One request, no redirects followed. Returns (status, lower-cased headers, body)."""
    parts = urllib.parse.urlsplit(url)
    require_loopback_url(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        hdrs: dict = {}
        for k, v in resp.getheaders():
            k = k.lower()
            hdrs.setdefault(k, [])
            hdrs[k].append(v)
        return resp.status, hdrs, data
    finally:
        conn.close()


def wait_idle(base: str, *, quick: float = 0.5, limit: float = 90.0) -> float:
    """Wait until the server answers /healthz within `quick` seconds (requests queued behind a
    finished wrk run have drained). Bounded by `limit`; returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        t = time.monotonic()
        try:
            fetch(base + "/healthz", timeout=limit)
            if time.monotonic() - t < quick:
                break
        except OSError:
            time.sleep(0.5)
    return time.monotonic() - start


CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: bytes) -> str | None:
    m = CSRF_RE.search(html)
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode()


class Browser:
    """Keeps cookies (ignoring the Secure flag: production config marks cookies
    Secure, and the benchmark talks plain HTTP on loopback)."""

    def __init__(self, base: str, timeout: float = 10.0):
        self.base = require_loopback_url(base.rstrip("/"))
        self.cookies: dict[str, str] = {}
        self.timeout = timeout

    def _headers(self, extra: dict | None = None) -> dict:
        h = {"User-Agent": BENCH_USER_AGENT, "Accept": "text/html"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(extra or {})
        return h

    def _keep(self, headers: dict) -> None:
        for line in headers.get("set-cookie", []):
            pair = line.split(";", 1)[0]
            name, _, value = pair.partition("=")
            name = name.strip()
            if not value or "expires=thu, 01 jan 1970" in line.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str) -> tuple[int, dict, bytes]:
        status, headers, body = fetch(self.base + path, headers=self._headers(), timeout=self.timeout)
        self._keep(headers)
        return status, headers, body

    def post(self, path: str, form: dict) -> tuple[int, dict, bytes]:
        data = urllib.parse.urlencode(form).encode()
        status, headers, body = fetch(
            self.base + path, method="POST", body=data, timeout=self.timeout,
            headers=self._headers({"Content-Type": "application/x-www-form-urlencoded",
                                   "Origin": self.base, "Referer": self.base + path}),
        )
        self._keep(headers)
        return status, headers, body

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def login(self, username: str, password: str = BENCH_PASSWORD) -> None:
        status, _, page = self.get("/auth/login")
        token = csrf_token(page)
        if status != 200 or not token:
            raise RuntimeError(f"login page answered {status} without a csrf_token")
        status, headers, _ = self.post("/auth/login", {"csrf_token": token, "username": username, "password": password})
        if status != 302:
            raise RuntimeError(f"logging in as {username} answered {status}, not a redirect")
        # Follow the redirect as a browser does and keep the cookie it sets: logging in starts a
        # fresh session (board/auth/sessions.py), and the first page a member sees puts the CSRF
        # token in it. wrk replays one fixed cookie, so without this every member request would
        # make a new CSRF token and a new session cookie, which no real browser ever causes.
        location = urllib.parse.urlsplit((headers.get("location") or ["/"])[0])
        self.get(location.path + (f"?{location.query}" if location.query else ""))


@contextmanager
def timed(label: str):
    start = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - start:.1f} s", flush=True)
