"""Request-size limits against the real server: gunicorn (one sync worker, production
config) on loopback, spoken to with raw sockets so a test can declare a 200 MB body,
send a little of it and see what comes back, how fast, and whether the connection is
closed. After every refusal the same worker must answer /healthz at once.

The app-level cases (each error page, the per-view limit) are in test_request_limits.py.
"""
from __future__ import annotations

import select
import socket
import time
import urllib.parse
from dataclasses import dataclass

import pytest

from bench.common import Browser, fetch
from board.limits import NOTE_MAX, POST_BODY_MAX, POST_TITLE_MAX

LIMIT = 2 * 1024 * 1024
SMALL_PAGE = 20_000  # an error page without kept text is about 4 KB
PAGE_BUDGET = SMALL_PAGE + POST_TITLE_MAX + POST_BODY_MAX + NOTE_MAX
QUICK = 2.0  # seconds: these answers take milliseconds (before: seconds, or the 30 s worker timeout); the margin is for a busy machine
PIECE = 64 * 1024


@dataclass
class Answer:
    status: int
    raw: bytes
    seconds: float
    closed: bool  # the server closed the connection (we read to the end)

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


def exchange(port: int, head: str, body: bytes = b"", *, half_close: bool = False, timeout: float = 5.0) -> Answer:
    """Send `head` and then `body` in pieces, stopping as soon as the server answers; read the answer
    to the end of the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    start = time.monotonic()
    raw, closed = b"", False
    try:
        sock.sendall(head.encode("latin-1"))
        for i in range(0, len(body), PIECE):
            if select.select([sock], [], [], 0)[0]:
                break  # answered already: a refused body need not be sent
            try:
                sock.sendall(body[i:i + PIECE])
            except (BrokenPipeError, ConnectionResetError):
                break
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            except socket.timeout:
                break
            if not data:
                closed = True
                break
            raw += data
    finally:
        sock.close()
    seconds = time.monotonic() - start
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.") else 0
    return Answer(status, raw, seconds, closed)


def post_head(path: str, *, length: int | None = None, chunked: bool = False,
              content_type: str = "application/x-www-form-urlencoded", cookie: str = "", method: str = "POST") -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/html", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return "\r\n".join(lines) + "\r\n\r\n"


def chunks(data: bytes, size: int = PIECE, *, end: bool = True) -> bytes:
    out = b"".join(b"%x\r\n" % len(data[i:i + size]) + data[i:i + size] + b"\r\n" for i in range(0, len(data), size))
    return out + (b"0\r\n\r\n" if end else b"")


def assert_worker_free(server) -> None:
    """The (only) worker answers the next request at once, and it is the same worker."""
    pids = server.worker_pids()
    start = time.monotonic()
    status, _, body = fetch(server.base + "/healthz", timeout=5)
    assert (status, time.monotonic() - start < QUICK) == (200, True), body
    assert server.worker_pids() == pids  # not killed and replaced


def assert_refused(answer: Answer, status: int = 413) -> None:
    assert answer.status == status, answer.text[:300]
    assert answer.size < SMALL_PAGE, answer.size
    assert answer.seconds < QUICK, answer.seconds
    assert answer.closed
    if status == 413:
        assert "That was more than Circle can take in one go" in answer.text


@pytest.fixture(scope="module")
def member_cookie(gunicorn_server) -> str:
    browser = Browser(gunicorn_server.base)
    browser.login(gunicorn_server.member, gunicorn_server.password)
    return browser.cookie_header()


# ---------------------------------------------------------------- bodies that declare too much

@pytest.mark.parametrize("method, path, content_type", [
    ("POST", "/auth/login", "application/x-www-form-urlencoded"),
    ("POST", "/auth/login", "multipart/form-data; boundary=xx"),
    ("POST", "/search", "application/x-www-form-urlencoded"),        # 405 before the limit
    ("POST", "/no/such/page", "application/x-www-form-urlencoded"),  # 404 before the limit
    ("GET", "/", "application/x-www-form-urlencoded"),               # a page that reads no body
])
def test_an_anonymous_200_mb_body_is_refused_before_it_is_sent(gunicorn_server, method, path, content_type):
    answer = exchange(gunicorn_server.port, post_head(path, length=200_000_000, content_type=content_type,
                                                      method=method), b"title=" + b"a" * PIECE)
    assert_refused(answer)
    assert_worker_free(gunicorn_server)


def test_a_members_50_mb_reply_is_refused_and_nothing_is_posted(gunicorn_server, member_cookie):
    path = f"/threads/{gunicorn_server.thread_id}/reply"
    answer = exchange(gunicorn_server.port, post_head(path, length=50_000_000, cookie=member_cookie),
                      b"body=" + b"a" * PIECE)
    assert_refused(answer)
    assert_worker_free(gunicorn_server)
    status, _, page = fetch(gunicorn_server.base + f"/threads/{gunicorn_server.thread_id}",
                            headers={"Cookie": member_cookie})
    assert status == 200 and b"aaaaaaaaaa" not in page


def _file_part_body(size: int) -> bytes:
    return (b"--xx\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nA short reply\r\n"
            b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
            + b"\0" * size + b"\r\n--xx--\r\n")


def test_a_members_11_mb_file_part_to_a_form_without_pictures_is_refused(gunicorn_server, member_cookie):
    body = _file_part_body(11_000_000)
    answer = exchange(gunicorn_server.port, post_head(
        "/settings/display", length=len(body), cookie=member_cookie,
        content_type="multipart/form-data; boundary=xx"), body)
    assert_refused(answer)
    assert_worker_free(gunicorn_server)


def test_a_form_with_pictures_refuses_more_than_its_own_limit_at_the_door(gunicorn_server, member_cookie):
    # The reply form takes pictures (BOARD_MAX_IMAGE_REQUEST_BYTES, 41 MB) but not a byte more
    body = _file_part_body(42 * 1024 * 1024)
    answer = exchange(gunicorn_server.port, post_head(
        f"/threads/{gunicorn_server.thread_id}/reply", length=len(body), cookie=member_cookie,
        content_type="multipart/form-data; boundary=xx"), body)
    assert_refused(answer)
    assert_worker_free(gunicorn_server)


# ---------------------------------------------------------------- bodies without a length

def test_a_chunked_body_is_stopped_at_the_limit(gunicorn_server):
    # a little over the limit: the server reads 2 MB, answers, and drains the rest while closing
    body = chunks(b"body=" + b"a" * (LIMIT + 16 * 1024))
    assert_refused(exchange(gunicorn_server.port, post_head("/auth/login", chunked=True), body))
    assert_worker_free(gunicorn_server)


def test_an_endless_chunked_body_is_answered_without_waiting_for_its_end(gunicorn_server, member_cookie):
    body = chunks(b"body=" + b"a" * (40 * 1024 * 1024), end=False)  # 40 MB offered, no last chunk
    answer = exchange(gunicorn_server.port,
                      post_head(f"/threads/{gunicorn_server.thread_id}/reply", chunked=True, cookie=member_cookie),
                      body)
    assert answer.status == 413 and answer.seconds < QUICK
    assert_worker_free(gunicorn_server)


# ---------------------------------------------------------------- bodies that lie, bodies that are malformed

def test_a_body_shorter_than_it_says_is_a_400(gunicorn_server):
    answer = exchange(gunicorn_server.port, post_head("/auth/login", length=1000), b"title=abc", half_close=True)
    assert_refused(answer, 400)
    assert_worker_free(gunicorn_server)


def test_a_body_longer_than_it_says_is_read_only_as_far_as_it_says(gunicorn_server):
    answer = exchange(gunicorn_server.port, post_head("/auth/login", length=9), b"title=abc" + b"x" * 60_000)
    assert_refused(answer, 400)  # the form is "title=abc": no CSRF token
    assert b"xxxxxxxx" not in answer.raw
    assert_worker_free(gunicorn_server)


def test_a_200_mb_claim_with_ten_bytes_sent_is_answered_at_once(gunicorn_server):
    """The worker does not wait for a body it is going to refuse (the client never closes its side)."""
    assert_refused(exchange(gunicorn_server.port, post_head("/auth/login", length=200_000_000), b"title=abc"))
    assert_worker_free(gunicorn_server)


def test_a_malformed_chunk_is_a_400_not_a_500(gunicorn_server):
    answer = exchange(gunicorn_server.port, post_head("/auth/login", chunked=True), b"zz\r\nabc\r\n0\r\n\r\n")
    assert_refused(answer, 400)
    assert_worker_free(gunicorn_server)
    assert "Traceback" not in gunicorn_server.log_path.read_text(errors="replace")


def test_a_length_and_chunked_together_are_refused_by_gunicorn(gunicorn_server):
    head = post_head("/auth/login", length=5, chunked=True)
    assert_refused(exchange(gunicorn_server.port, head, b"0\r\n\r\n"), 400)
    assert_worker_free(gunicorn_server)


# ---------------------------------------------------------------- headers (gunicorn.conf.py)

@pytest.mark.parametrize("head, status", [
    ("GET /search?q=" + "a" * 9000 + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("GET / HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-Extra-{i}: 1\r\n" for i in range(60)) + "\r\n", 431),
    ("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + "a" * 9000 + "\r\n\r\n", 431),
])
def test_oversized_headers_are_refused_by_gunicorn(gunicorn_server, head, status):
    answer = exchange(gunicorn_server.port, head)
    assert answer.status == status and answer.size < 1000 and answer.closed
    assert_worker_free(gunicorn_server)


def test_the_longest_search_still_fits_in_the_request_line(gunicorn_server):
    query = urllib.parse.quote("乳" * 500)  # the search box takes 500 characters; these are 3 bytes each
    status, _, _ = fetch(gunicorn_server.base + "/search?q=" + query + "&topic=&sort=relevance")
    assert status == 200


# ---------------------------------------------------------------- error pages just under the limit

def _form_just_under_the_limit() -> bytes:
    fields = {"title": "T" * 100_000, "note": "N" * 100_000, "body": ""}
    used = len(urllib.parse.urlencode(fields))
    fields["body"] = "B" * (LIMIT - used - 1024)
    body = urllib.parse.urlencode(fields).encode()
    assert LIMIT - 2048 < len(body) < LIMIT
    return body


@pytest.mark.parametrize("path, status", [
    ("/auth/login", 400),    # no CSRF token
    ("/search", 405),
    ("/no/such/page", 404),
])
def test_an_error_page_for_a_body_just_under_the_limit_is_small(gunicorn_server, path, status):
    body = _form_just_under_the_limit()
    answer = exchange(gunicorn_server.port, post_head(path, length=len(body)), body)
    assert answer.status == status, answer.text[:300]
    assert answer.size < PAGE_BUDGET, answer.size
    assert "Your text, so it isn't lost" in answer.text
    assert "B" * POST_BODY_MAX in answer.text and "B" * (POST_BODY_MAX + 1) not in answer.text
    assert_worker_free(gunicorn_server)


def test_a_members_error_page_for_a_body_just_under_the_limit_is_small(gunicorn_server, member_cookie):
    body = _form_just_under_the_limit()  # no CSRF token: 400, with her text kept (cut at the field limits)
    answer = exchange(gunicorn_server.port, post_head(f"/threads/{gunicorn_server.thread_id}/reply",
                                                      length=len(body), cookie=member_cookie), body)
    assert answer.status == 400 and answer.size < PAGE_BUDGET + 5_000  # a member's header is a little longer
    assert_worker_free(gunicorn_server)
