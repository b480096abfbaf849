"""Every POST route in the URL map, without a CSRF token → 400 and no database change.

One documented exception: a *visitor's* text-size choice (POST /settings/display,
board/display.py) only sets their own `text_size` cookie and writes nothing, so
visitors' pages carry no token; a member's choice is saved and needs the token.
And the one-click unsubscribe (POST /unsubscribe/<token>, RFC 8058) is exempt: the
signed token is the proof; with a forged token it must answer 404 and change nothing.
"""
from __future__ import annotations

import pytest

from tests.attack.conftest import routes, table_counts
from tests.conftest import session_login


def _session_login(app, client, username):
    """Log in without the form (the form itself needs a token): a session as a login makes it."""
    from sqlalchemy import select

    from board.extensions import db
    from board.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
    session_login(app, client, user)


VISITOR_COOKIE_ONLY = {"display.text_size"}
SIGNED_TOKEN_IS_THE_PROOF = {"following.unsubscribe_confirm"}


@pytest.mark.csrf
@pytest.mark.parametrize("who", ["anonymous", "owner", "boss"])
def test_every_post_route_refuses_a_missing_token(app, world, who):
    client = app.test_client()
    if who != "anonymous":
        _session_login(app, client, who)
        assert client.get("/settings/account").status_code == 200  # really logged in
    posts = [(ep, rule) for ep, rule in routes(app) if "POST" in rule.methods]
    assert len(posts) > 40
    before = table_counts(app)
    failures = []
    payloads = [{}, {"body": "hello there friends", "title": "A title here", "reason": "spam", "note": "x",
                     "username": "owner", "password": "correct horse battery staple", "email": "x@example.org",
                     "csrf_token": "forged"}]
    for endpoint, rule in posts:
        for data in payloads:
            r = client.post(world.url(rule), data=data)
            if who == "anonymous" and endpoint in VISITOR_COOKIE_ONLY:
                assert r.status_code == 302
                continue
            if endpoint in SIGNED_TOKEN_IS_THE_PROOF:
                assert r.status_code == 404, (endpoint, r.status_code)
                continue
            if r.status_code != 400:
                failures.append(f"{endpoint} {rule.rule} as {who} with {sorted(data)}: {r.status_code}")
    assert failures == []
    assert table_counts(app) == before
