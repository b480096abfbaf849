"""Registration and email verification: signed, single-use, 48-hour links; no enumeration."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import MailMessage, User
from tests.conftest import PASSWORD
from tests.security.conftest import path_of, same_page


def register(client, username="maryg", email="mary@example.org", password=PASSWORD):
    return client.post("/auth/register", data={"username": username, "email": email, "password": password,
                                                "accept_guidelines": "y"})


def _user(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _verify_link(smtp, address):
    mails = [m for m in smtp.to(address) if "confirm" in m["Subject"].lower()]
    assert mails, f"no verification mail to {address}"
    links = [link for link in smtp.links(mails[-1]) if "/auth/verify/" in link]
    return path_of(links[0])


def test_new_account_is_told_to_check_the_inbox_and_is_not_verified(app, client):
    r = register(client)
    assert r.status_code == 302 and r.location == "/auth/check-email"
    page = client.get(r.location).get_data(as_text=True)
    assert "Check your inbox" in page
    user = _user(app, "maryg")
    assert user is not None and user.email_verified_at is None
    with app.app_context():
        row = db.session.scalar(select(MailMessage))
        assert row.to_address == "mary@example.org" and row.kind == "verify"
        assert "http://localhost/auth/verify/" in row.body_text


def test_verify_link_works_once_then_says_used_and_offers_a_new_one(app, client, smtp, deliver):
    register(client)
    deliver()
    link = _verify_link(smtp, "mary@example.org")
    assert link.startswith("/auth/verify/")

    page = client.get(link)  # a mail scanner opening the link spends nothing
    assert page.status_code == 200 and "Yes, confirm this address" in page.get_data(as_text=True)
    assert _user(app, "maryg").email_verified_at is None

    r = client.post(link)
    assert r.status_code == 302
    assert _user(app, "maryg").email_verified_at is not None
    home = client.get("/").get_data(as_text=True)
    assert "your email address is confirmed" in home and "/users/maryg" in home  # and logged in

    again = client.get(link)
    text = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "already been used" in text
    assert client.post(link).status_code == 400

    fresh = client.application.test_client()
    text = fresh.get(link).get_data(as_text=True)
    assert "already been used" in text and 'action="/auth/verify/resend"' in text  # offers a new link


def test_duplicate_email_registration_answers_like_a_new_one_and_warns_the_owner(app, client, make, smtp, deliver):
    make.user("owner", email="mary@example.org")
    other = app.test_client()
    new = register(other, username="newperson", email="fresh@example.org")
    dup = register(client, username="someoneelse", email="MARY@example.org")

    assert dup.status_code == new.status_code == 302
    assert dup.location == new.location
    assert [c.split("=")[0] for c in dup.headers.getlist("Set-Cookie")] == \
        [c.split("=")[0] for c in new.headers.getlist("Set-Cookie")]
    assert same_page(client.get(dup.location).get_data(as_text=True)) == \
        same_page(other.get(new.location).get_data(as_text=True))

    assert _user(app, "someoneelse") is None
    deliver()
    to_owner = smtp.to("mary@example.org")
    assert len(to_owner) == 1
    assert "tried to join" in to_owner[0]["Subject"]
    body = to_owner[0].get_content()
    assert "owner" in body and "/auth/reset" in body and "/auth/verify/" not in body


def test_username_taken_is_still_said(client, make):
    make.user("maryg")
    r = register(client, username="MaryG", email="other@example.org")
    assert r.status_code == 400 and "That username is taken" in r.get_data(as_text=True)


def test_unverified_member_can_read_but_not_post_and_is_told_kindly(app, client, make, login_as):
    author = make.user("author")
    thread = make.thread(author, title="A thread to read")
    login_as(make.user("newbie", verified=False))
    assert client.get(f"/threads/{thread.id}").status_code == 200
    r = client.post("/topics/newly-diagnosed/new", data={"title": "My first thread", "body": "Hello all"})
    text = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "Please confirm your email address" in text and 'href="/auth/verify/resend"' in text
    assert "Hello all" in text  # their words are kept
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "Me too"})
    assert r.status_code == 403
    with app.app_context():
        from board.models import Post

        assert db.session.scalar(select(func.count(Post.id))) == 1


def test_posting_block_reason_names_unverified_members():
    from board.models import User as U
    from board.permissions import posting_block_reason

    user = U(username="x", email="x@example.org", email_verified_at=None)
    user.deleted_at = user.memorial_at = user.suspended_until = user.silenced_until = None
    assert "confirm your email address" in posting_block_reason(user)


def test_logged_in_member_can_get_a_new_link_and_the_old_one_still_works_once(app, client, smtp, deliver, login_as):
    register(client)
    client.post("/auth/login", data={"username": "maryg", "password": PASSWORD})
    r = client.post("/auth/verify/resend")
    assert r.status_code == 302
    deliver()
    links = [path_of(l) for m in smtp.to("mary@example.org") for l in smtp.links(m) if "/auth/verify/" in l]
    assert len(links) == 2
    assert client.post(links[1]).status_code == 302
    assert "already been used" in client.get(links[0]).get_data(as_text=True)


def test_anonymous_resend_answers_the_same_for_known_and_unknown_addresses(app, client, smtp, deliver):
    register(client)
    known = app.test_client().post("/auth/verify/resend", data={"email": "mary@example.org"})
    unknown = app.test_client().post("/auth/verify/resend", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302 and known.location == unknown.location
    deliver()
    assert len(smtp.to("mary@example.org")) == 2 and smtp.to("nobody@example.org") == []


def test_expired_link_says_so_and_offers_a_new_one(app, client, monkeypatch):
    register(client)
    from itsdangerous import TimestampSigner

    from board.auth.tokens import make_verify_token

    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 49 * 3600)
    with app.test_request_context():
        token = make_verify_token(db.session.scalar(select(User).where(User.username == "maryg")))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    r = client.get(f"/auth/verify/{token}")
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "This link has expired" in text and "48 hours" in text
    assert "Send me a new link" in text


def test_a_link_of_47_hours_still_works(app, client, monkeypatch):
    register(client)
    from itsdangerous import TimestampSigner

    from board.auth.tokens import make_verify_token

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 47 * 3600)
    with app.test_request_context():
        token = make_verify_token(db.session.scalar(select(User).where(User.username == "maryg")))
    monkeypatch.undo()
    assert client.post(f"/auth/verify/{token}").status_code == 302


@pytest.mark.parametrize("token", ["nonsense", "a" * 3000, "eyJ1IjoxfQ.bad.sig", "%00", "..%2F..%2Fetc"])
def test_tampered_links_are_refused_kindly(client, token):
    r = client.get(f"/auth/verify/{token}")
    assert r.status_code in (400, 404)
    if r.status_code == 400:
        assert "This link doesn" in r.get_data(as_text=True)


def test_a_reset_link_is_not_a_verification_link(app, client, make):
    user = make.user("maryg", verified=False)
    from board.auth.tokens import make_reset_token

    with app.test_request_context():
        token = make_reset_token(db.session.get(User, user.id))
    assert client.post(f"/auth/verify/{token}").status_code == 400
    assert _user(app, "maryg").email_verified_at is None


@pytest.mark.ratelimit
def test_verification_mails_are_limited_to_three_an_hour_per_address(app, client):
    register(client)
    codes = [app.test_client().post("/auth/verify/resend", data={"email": "mary@example.org"}).status_code
             for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    # another address is not affected
    assert client.post("/auth/verify/resend", data={"email": "else@example.org"}).status_code == 302


def test_users_verify_command(app, runner, make):
    make.user("maryg", verified=False)
    r = runner.invoke(args=["users", "verify", "MaryG"])
    assert r.exit_code == 0 and "now confirmed" in r.output
    assert _user(app, "maryg").email_verified_at is not None
    assert "already confirmed" in runner.invoke(args=["users", "verify", "maryg"]).output
    missing = runner.invoke(args=["users", "verify", "nobody"])
    assert missing.exit_code != 0 and "No member called" in missing.output


def test_users_create_is_verified_and_refuses_a_used_address_clearly(app, runner, make):
    make.user("first", email="used@example.org")
    r = runner.invoke(args=["users", "create", "second", "--email", "used@example.org", "--password", PASSWORD])
    assert r.exit_code != 0 and "already exists" in r.output
