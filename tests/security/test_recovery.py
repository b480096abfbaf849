"""Password reset: a signed, single-use link valid for one hour; the same answer for every address."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import User
from tests.conftest import PASSWORD
from tests.security.conftest import path_of, same_page

NEW_PASSWORD = "purple otters swim at dawn"


def _reset_links(smtp, address):
    return [path_of(l) for m in smtp.to(address) if "Reset" in m["Subject"]
            for l in smtp.links(m) if "/auth/reset/" in l]


def _user(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def test_reset_request_answers_the_same_whether_or_not_the_address_exists(app, make, smtp, deliver):
    make.user("maryg", email="mary@example.org")
    known_client, unknown_client = app.test_client(), app.test_client()
    known = known_client.post("/auth/reset", data={"email": "Mary@Example.org"})
    unknown = unknown_client.post("/auth/reset", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == "/auth/reset/sent"
    assert same_page(known_client.get(known.location).get_data(as_text=True)) == \
        same_page(unknown_client.get(unknown.location).get_data(as_text=True))
    # an address that isn't even valid gets the same answer too
    odd = app.test_client().post("/auth/reset", data={"email": "not-an-address"})
    assert odd.status_code == 302 and odd.location == "/auth/reset/sent"
    deliver()
    assert len(_reset_links(smtp, "mary@example.org")) == 1
    assert smtp.to("nobody@example.org") == []


def test_reset_link_sets_a_new_password_once_and_ends_other_sessions(app, client, make, smtp, deliver):
    make.user("maryg", email="mary@example.org")
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"username": "maryg", "password": PASSWORD})
    assert elsewhere.get("/settings/profile").status_code == 200

    client.post("/auth/reset", data={"email": "mary@example.org"})
    deliver()
    link = _reset_links(smtp, "mary@example.org")[0]
    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)

    r = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302
    assert client.get("/settings/profile").status_code == 200  # logged in here
    assert elsewhere.get("/settings/profile").status_code == 302  # and nowhere else

    again = client.post(link, data={"password": "another fine passphrase", "confirm": "another fine passphrase"})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert "Send me a new password link" in again.get_data(as_text=True)

    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"username": "maryg", "password": PASSWORD}).status_code == 400
    assert fresh.post("/auth/login", data={"username": "maryg", "password": NEW_PASSWORD}).status_code == 302

    deliver()
    changed = [m for m in smtp.to("mary@example.org") if "password was changed" in m["Subject"]]
    assert len(changed) == 1


def test_weak_or_mismatched_new_password_is_explained_and_the_link_still_works(app, client, make, smtp, deliver):
    make.user("maryg", email="mary@example.org")
    client.post("/auth/reset", data={"email": "mary@example.org"})
    deliver()
    link = _reset_links(smtp, "mary@example.org")[0]
    weak = client.post(link, data={"password": "password123", "confirm": "password123"})
    assert weak.status_code == 400 and "very common" in weak.get_data(as_text=True)
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and "two passwords are different" in mismatch.get_data(as_text=True)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_reset_link_expires_after_an_hour(app, client, make, monkeypatch):
    user = make.user("maryg")
    from itsdangerous import TimestampSigner

    from board.auth.tokens import make_reset_token

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
    with app.test_request_context():
        token = make_reset_token(db.session.get(User, user.id))
    monkeypatch.undo()
    r = client.get(f"/auth/reset/{token}")
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "This link has expired" in text and "one hour" in text


def test_reset_confirms_an_unconfirmed_address(app, client, make, smtp, deliver):
    make.user("maryg", email="mary@example.org", verified=False)
    client.post("/auth/reset", data={"email": "mary@example.org"})
    deliver()
    client.post(_reset_links(smtp, "mary@example.org")[0], data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert _user(app, "maryg").email_verified_at is not None


def test_a_suspended_member_can_reset_but_is_not_logged_in(app, client, make, smtp, deliver):
    from datetime import timedelta

    from board.models import utcnow

    make.user("maryg", email="mary@example.org", suspended_until=utcnow() + timedelta(days=3))
    client.post("/auth/reset", data={"email": "mary@example.org"})
    deliver()
    r = client.post(_reset_links(smtp, "mary@example.org")[0], data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302 and r.location == "/auth/login"
    assert client.get("/settings/profile").status_code == 302


def test_login_page_links_to_reset(client):
    assert 'href="/auth/reset"' in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.ratelimit
def test_reset_mails_are_limited_to_three_an_hour_per_address_known_or_not(app, make):
    make.user("maryg", email="mary@example.org")
    for address in ("mary@example.org", "nobody@example.org"):
        codes = [app.test_client().post("/auth/reset", data={"email": address}).status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429], address
