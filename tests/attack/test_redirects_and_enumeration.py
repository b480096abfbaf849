"""Open redirects are refused everywhere `next` is taken; login, registration and
password reset answer the same for existing and unknown accounts (text, status,
cookie names, and — for login — time, thanks to a dummy hash)."""
from __future__ import annotations

import re
import statistics
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD

EVIL = [
    "//evil.example", "//evil.example/path", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https:evil.example", "https://evil.example", "http:/evil.example",
    "%2F%2Fevil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "/%5C%5Cevil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
    "/\x00/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "//evil.example%2F..", "/./\\evil.example", "／／evil.example", "//evil。example", "/\u3000/evil.example",
    "//@evil.example", "/@evil.example", "evil.example", ".evil.example", "////evil.example",
]


def _browser_target(location: str) -> str:
    """Where a browser would go: it strips tab/CR/LF and leading C0/space, and reads '\\' as '/'."""
    loc = re.sub(r"[\t\r\n]", "", location).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                                    "\x1d\x1e\x1f ")
    return loc.replace("\\", "/")


def assert_local(response, what):
    assert response.status_code in (301, 302, 303), (what, response.status_code)
    location = response.headers["Location"]
    target = _browser_target(location)
    parts = urlsplit(target)
    assert parts.scheme in ("", "http", "https"), (what, location)
    assert parts.netloc in ("", "localhost"), (what, location)
    assert target.startswith("/") and not target.startswith("//"), (what, location)
    assert "evil" not in parts.netloc


@pytest.mark.parametrize("target", EVIL)
def test_login_refuses_open_redirects(app, make, target):
    make.user("alice")
    for how in ("query", "form"):
        client = app.test_client()
        url = "/auth/login"
        data = {"username": "alice", "password": PASSWORD}
        if how == "query":
            r = client.post(url, query_string={"next": target}, data=data)
        else:
            r = client.post(url, data={**data, "next": target})
        assert_local(r, (how, target))
        # The login page itself never puts the target into a link or a refresh.
        page = app.test_client().get("/auth/login", query_string={"next": target}).get_data(as_text=True)
        assert "evil.example\"" not in page.replace("&#34;", '"').split("<main", 1)[0]


def csrf_token(app, client) -> str:
    """A valid token for this client's session (what the form would carry)."""
    import hashlib
    import os

    from itsdangerous import URLSafeTimedSerializer

    with client.session_transaction() as s:
        raw = s.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.mark.parametrize("target", EVIL)
def test_display_setting_refuses_open_redirects(app, make, target, login_as, client):
    visitor = app.test_client()
    assert_local(visitor.post("/settings/display", data={"text_size": "large", "next": target}), target)
    assert_local(visitor.post("/settings/display", data={"text_size": "bogus", "next": target}), target)
    make.user("bob")
    login_as("bob")
    token = csrf_token(app, client)  # a member's choice is saved, so it always needs the token
    assert_local(client.post("/settings/display", data={"text_size": "large", "next": target,
                                                       "csrf_token": token}), target)


def test_every_reader_of_next_goes_through_safe_next():
    """Every place in the app that reads a `next` parameter passes it through safe_next."""
    from pathlib import Path

    import board

    readers = []
    for path in Path(board.__file__).parent.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""get\(\s*["']next["']""", line):
                readers.append((path.name, n))
                assert "safe_next(" in line, f"{path}:{n} reads next without safe_next: {line.strip()}"
    assert len(readers) >= 2


@pytest.mark.parametrize("target", EVIL)
def test_follow_buttons_refuse_open_redirects(app, make, client, login_as, target):
    owner = make.user("carol")
    thread = make.thread(owner, title="A thread to follow", body="words")
    login_as("carol")
    for url in (f"/threads/{thread.id}/follow", "/topics/newly-diagnosed/follow", "/users/alice/mute"):
        r = client.post(url, data={"next": target}, query_string={"next": target})
        if r.status_code in (301, 302, 303):
            assert_local(r, (url, target))
        else:
            assert r.status_code < 500


# ------------------------------------------------------------------ enumeration

def _normalise(html: str, *words: str) -> str:
    for w in words:
        html = html.replace(w, "WORD")
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def _cookie_names(response) -> list[str]:
    return sorted(h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie"))


def test_login_answers_the_same_for_unknown_and_wrong_password(app, make):
    make.user("alice")
    a = app.test_client().post("/auth/login", data={"username": "alice", "password": "wrong password here"})
    b = app.test_client().post("/auth/login", data={"username": "nobody1", "password": "wrong password here"})
    c = app.test_client().post("/auth/login", data={"username": "alice@example.org", "password": "wrong password here"})
    d = app.test_client().post("/auth/login", data={"username": "nobody@example.org", "password": "wrong password here"})
    assert a.status_code == b.status_code == c.status_code == d.status_code
    assert _cookie_names(a) == _cookie_names(b) == _cookie_names(c) == _cookie_names(d)
    pa = _normalise(a.get_data(as_text=True), "alice@example.org", "nobody@example.org", "alice", "nobody1")
    pb = _normalise(b.get_data(as_text=True), "alice@example.org", "nobody@example.org", "alice", "nobody1")
    pc = _normalise(c.get_data(as_text=True), "alice@example.org", "nobody@example.org", "alice", "nobody1")
    pd = _normalise(d.get_data(as_text=True), "alice@example.org", "nobody@example.org", "alice", "nobody1")
    assert pa == pb
    assert pc == pd


def test_registration_answers_the_same_for_a_used_address(app, make):
    make.user("alice", email="alice@example.org")
    used = app.test_client().post("/auth/register", data={"username": "newname1", "email": "alice@example.org",
                                                          "password": "a fresh long passphrase 1", "accept_guidelines": "y"},
                                  follow_redirects=True)
    new = app.test_client().post("/auth/register", data={"username": "newname2", "email": "fresh@example.org",
                                                         "password": "a fresh long passphrase 1", "accept_guidelines": "y"},
                                 follow_redirects=True)
    assert used.status_code == new.status_code == 200
    assert [r.status_code for r in used.history] == [r.status_code for r in new.history]
    assert [_cookie_names(r) for r in used.history] == [_cookie_names(r) for r in new.history]
    words = ("alice@example.org", "fresh@example.org", "newname1", "newname2")
    assert _normalise(used.get_data(as_text=True), *words) == _normalise(new.get_data(as_text=True), *words)


def test_reset_answers_the_same_for_unknown_addresses(app, make):
    make.user("alice", email="alice@example.org")
    known = app.test_client().post("/auth/reset", data={"email": "alice@example.org"}, follow_redirects=True)
    unknown = app.test_client().post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code
    assert [r.status_code for r in known.history] == [r.status_code for r in unknown.history]
    assert [_cookie_names(r) for r in known.history] == [_cookie_names(r) for r in unknown.history]
    words = ("alice@example.org", "nobody@example.org")
    assert _normalise(known.get_data(as_text=True), *words) == _normalise(unknown.get_data(as_text=True), *words)


@pytest.mark.real_hashing
def test_login_timing_unknown_vs_wrong_password(app, make):
    make.user("alice")
    client = app.test_client()

    def once(name):
        start = time.perf_counter()
        r = client.post("/auth/login", data={"username": name, "password": "wrong password here"})
        assert r.status_code < 500
        return time.perf_counter() - start

    once("alice"), once("nobody")  # warm up (the dummy hash is made lazily)
    known, unknown = [], []
    for i in range(15):
        known.append(once("alice"))
        unknown.append(once(f"nobody{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 <= ratio <= 2.0, (ratio, statistics.median(known), statistics.median(unknown))
