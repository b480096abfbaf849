"""Gunicorn settings for Circle (`make serve`, the benchmark and the load tests).

Every setting comes from the environment, so one file serves a laptop, a
benchmark run and a production machine:

    PORT               port to listen on (default 8000)
    HOST               address to bind (default 127.0.0.1; put a reverse proxy in front)
    GUNICORN_BIND      full bind string instead of HOST:PORT (e.g. unix:/run/circle.sock)
    WEB_CONCURRENCY    number of sync worker processes (default 2)
    GUNICORN_TIMEOUT   seconds before a stuck worker is killed and replaced (default 30)
    GUNICORN_ACCESS_LOG  "-" for stdout (default), a file path, or "off"
    GUNICORN_MAX_REQUESTS  recycle a worker after about this many requests (default 0: never)
    GUNICORN_LOG_LEVEL debug | info | warning | error (default info)
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (default: none)
    GUNICORN_LIMIT_REQUEST_LINE        longest request line in bytes (default 8190)
    GUNICORN_LIMIT_REQUEST_FIELDS      most header fields in a request (default 50)
    GUNICORN_LIMIT_REQUEST_FIELD_SIZE  longest header field in bytes (default 8190)

The request *body* is limited by the app (MAX_CONTENT_LENGTH, BOARD_MAX_REQUEST_BYTES,
board/limits.py): gunicorn passes the body through unread and the app refuses a
declared-too-large one with 413 before reading it, or stops a chunked one at the
limit. The proxy in front should refuse it first (README, "In front of gunicorn").

More than one worker needs REDIS_URL (rate limits are counted in Redis, not
per process): `create_app` refuses to start otherwise. WEB_CONCURRENCY is
exported here so that check sees the real worker count.
"""
from __future__ import annotations

import os

_host = os.environ.get("HOST", "127.0.0.1")
_port = os.environ.get("PORT", "8000")
bind = [os.environ.get("GUNICORN_BIND") or f"{_host}:{_port}"]

workers = max(1, int(os.environ.get("WEB_CONCURRENCY", "2") or 2))
os.environ["WEB_CONCURRENCY"] = str(workers)  # the app's own worker/Redis check reads it
worker_class = "sync"  # Circle's pages are short and CPU-bound; sync workers are the simplest and fastest here
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# GUNICORN_MAX_REQUESTS=N replaces each worker after about N requests (a guard
# against slow leaks); off by default.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0") or 0)
max_requests_jitter = max_requests // 10 if max_requests else 0

_access = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = None if _access.lower() in ("", "off", "none", "0", "false") else _access
# Common log format plus the time the request took in microseconds (%(D)s, last field).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Headers are read before the app sees anything, so gunicorn bounds them itself (400/431 answers).
# The request line holds the longest search URL (a 500-character query in 4-byte characters,
# percent-encoded, is about 6,100 bytes): 8190 is gunicorn's largest value. Browsers send about
# 20 header fields and proxies add a handful; one cookie header is well under 8 KB.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))
limit_request_fields = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELDS", "50"))
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "8190"))
proc_name = "circle"
# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which
# two servers on one machine (the benchmark runs two) would share. Off unless GUNICORN_CONTROL_SOCKET names one.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
