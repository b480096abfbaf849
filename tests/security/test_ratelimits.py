"""Rate limits (Flask-Limiter, moving window; memory:// or the real Redis when REDIS_URL is set)."""
from __future__ import annotations

import pytest
from flask import redirect
from flask_login import login_required

from board import create_app
from board.extensions import limiter
from board.security import (
    LOGIN_PER_ACCOUNT, LOGIN_PER_IP, POST_INTERVAL, REGISTER_PER_IP, REPORTS_PER_MEMBER, THREAD_INTERVAL,
    report_limit, when_to_try_again,
)
from tests.conftest import PASSWORD, _base_config, login


def _ip(client, ip):
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_the_limits_are_the_ones_the_issue_asks_for(app):
    assert LOGIN_PER_IP == "6/minute;30/hour" and LOGIN_PER_ACCOUNT == "5/minute"
    assert REGISTER_PER_IP == "3/hour" and REPORTS_PER_MEMBER == "20/day"
    assert POST_INTERVAL == {0: "1 per 30 seconds", 1: "1 per 5 seconds"}
    assert THREAD_INTERVAL == {0: "1 per 2 minutes", 1: "1 per 15 seconds"}
    assert app.config["RATELIMIT_STRATEGY"] == "moving-window"


@pytest.mark.ratelimit
def test_login_is_limited_to_six_a_minute_per_ip(app, client):
    codes = [client.post("/auth/login", data={"username": f"name{n}", "password": "wrong password"}).status_code
             for n in range(7)]
    assert codes == [400] * 6 + [429]
    page = client.post("/auth/login", data={"username": "other", "password": "x"})
    text = page.get_data(as_text=True)
    assert page.status_code == 429 and "Please try again in about" in text
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    # another address is not held back
    assert _ip(app.test_client(), "10.0.0.9").post(
        "/auth/login", data={"username": "x", "password": "y"}).status_code == 400


@pytest.mark.ratelimit
def test_login_is_limited_to_five_a_minute_per_account_name_from_any_ip(app, make):
    make.user("maryg")
    codes = [_ip(app.test_client(), f"10.0.1.{n}").post(
        "/auth/login", data={"username": "MaryG" if n % 2 else "maryg", "password": "wrong password"}).status_code
        for n in range(6)]
    assert codes == [400] * 5 + [429]
    # even the right password waits: the attacker can't tell
    late = _ip(app.test_client(), "10.0.1.99").post("/auth/login", data={"username": "maryg", "password": PASSWORD})
    assert late.status_code == 429
    # other accounts are fine
    assert _ip(app.test_client(), "10.0.1.100").post(
        "/auth/login", data={"username": "someone", "password": "x"}).status_code == 400


@pytest.mark.ratelimit
def test_getting_the_login_page_is_not_limited(client):
    assert {client.get("/auth/login").status_code for _ in range(10)} == {200}


@pytest.mark.ratelimit
def test_registration_is_limited_to_three_an_hour_per_ip_and_mistakes_dont_count(app, client):
    assert client.post("/auth/register", data={"username": "x", "email": "bad", "password": "short"}).status_code == 400
    codes = [client.post("/auth/register", data={
        "username": f"newbie{n}", "email": f"newbie{n}@example.org", "password": PASSWORD, "accept_guidelines": "y"}).status_code
        for n in range(4)]
    assert codes == [302, 302, 302, 429]


def _post_thread(client, n=0):
    return client.post("/topics/newly-diagnosed/new", data={
        "title": f"My thread number {n}", "body": f"Words I want to keep {n}"})


@pytest.mark.ratelimit
def test_new_member_waits_two_minutes_between_threads_and_keeps_their_text(client, make, login_as):
    login_as(make.user("newbie", trust_level=0))
    assert _post_thread(client, 1).status_code == 302
    r = _post_thread(client, 2)
    text = r.get_data(as_text=True)
    assert r.status_code == 429
    assert "Please try again in about" in text
    assert "My thread number 2" in text and "Words I want to keep 2" in text  # the form's text, kept


@pytest.mark.ratelimit
def test_new_member_waits_thirty_seconds_between_posts(app, client, make, login_as):
    author = make.user("author")
    thread = make.thread(author)
    login_as(make.user("newbie", trust_level=0))
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "first"}).status_code == 302
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "second, kept"})
    assert r.status_code == 429 and "second, kept" in r.get_data(as_text=True)
    secs = int(r.headers["Retry-After"])
    assert 1 <= secs <= 31


@pytest.mark.ratelimit
def test_member_waits_five_seconds_between_posts_and_a_failed_post_does_not_count(app, client, make, login_as):
    thread = make.thread(make.user("author"))
    login_as(make.user("regular", trust_level=1))
    assert client.post(f"/threads/{thread.id}/reply", data={"body": ""}).status_code == 400  # nothing written
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "first"}).status_code == 302
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "second"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) <= 6


@pytest.mark.ratelimit
def test_members_limits_are_their_own(app, make):
    thread = make.thread(make.user("author"))
    one, two = app.test_client(), app.test_client()
    login(one, make.user("one", trust_level=0))
    login(two, make.user("two", trust_level=0))
    assert one.post(f"/threads/{thread.id}/reply", data={"body": "hi"}).status_code == 302
    assert two.post(f"/threads/{thread.id}/reply", data={"body": "hi"}).status_code == 302


@pytest.mark.ratelimit
def test_moderators_are_never_held_back(client, make, login_as):
    thread = make.thread(make.user("author"))
    login_as(make.user("mod", role="moderator"))
    codes = [client.post(f"/threads/{thread.id}/reply", data={"body": f"note {n}"}).status_code for n in range(4)]
    codes += [_post_thread(client, n).status_code for n in range(3)]
    assert set(codes) == {302}


def test_limits_are_off_in_ordinary_tests(client, make, login_as):
    thread = make.thread(make.user("author"))
    login_as(make.user("newbie", trust_level=0))
    codes = [client.post(f"/threads/{thread.id}/reply", data={"body": f"reply {n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 302]


def test_flask_ratelimit_enabled_false_turns_every_limit_off(app, monkeypatch):
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    config = _base_config(app.config["SQLALCHEMY_DATABASE_URI"])
    config.pop("RATELIMIT_ENABLED")
    off = create_app(config)
    assert off.config["RATELIMIT_ENABLED"] is False
    client = off.test_client()
    codes = {client.post("/auth/login", data={"username": "maryg", "password": "x"}).status_code for _ in range(8)}
    assert codes == {400}


def _app_with_report_route(request_config):
    """A fresh app with a stand-in report route using `report_limit` (the moderation
    engineer applies the same decorator to the real one)."""
    app = create_app(request_config)

    @app.post("/_test/report")
    @report_limit
    @login_required
    def _report():
        return redirect("/")

    with app.app_context():
        from board.cli import seed_topics
        from board.extensions import db

        seed_topics()
        db.session.commit()
    return app


@pytest.mark.ratelimit
def test_report_limit_is_twenty_a_day_per_member_and_staff_are_exempt(app, make):
    config = _base_config(app.config["SQLALCHEMY_DATABASE_URI"])
    config["RATELIMIT_ENABLED"] = True
    report_app = _app_with_report_route(config)
    limiter.reset()
    member, mod = make.user("reporter"), make.user("mod", role="moderator")
    c = report_app.test_client()
    login(c, member)
    codes = [c.post("/_test/report", data={"note": "this worries me"}).status_code for _ in range(21)]
    assert codes == [302] * 20 + [429]
    text = c.post("/_test/report", data={"note": "this worries me"}).get_data(as_text=True)
    assert "this worries me" in text and "UTC" in text
    m = report_app.test_client()
    login(m, mod)
    assert {m.post("/_test/report").status_code for _ in range(22)} == {302}


@pytest.mark.parametrize("seconds, words", [
    (None, "in a minute"), (1, "in about 1 second"), (30, "in about 30 seconds"), (61, "in about 2 minutes"),
    (3600 * 5, "(in about 5 hours)"),
])
def test_when_to_try_again_is_plain_words(seconds, words):
    assert words in when_to_try_again(seconds)


def test_when_redis_is_unreachable_limits_fall_back_to_memory_instead_of_failing(app):
    config = _base_config(app.config["SQLALCHEMY_DATABASE_URI"])
    config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    broken = create_app(config)
    try:
        client = broken.test_client()
        codes = [client.post("/auth/login", data={"username": f"n{n}", "password": "x"}).status_code
                 for n in range(7)]
        assert codes == [400] * 6 + [429]
    finally:
        limiter._storage_dead = False  # the next app gets working storage again
