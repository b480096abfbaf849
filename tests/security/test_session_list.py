"""Members see where they are logged in and can end any session; a new device is mailed."""
from __future__ import annotations

import re

from sqlalchemy import select

from board.extensions import db
from board.models import UserSession
from tests.conftest import login
from tests.security.conftest import path_of

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")


def _client(app, agent):
    c = app.test_client()
    c.environ_base["HTTP_USER_AGENT"] = agent
    return c


def test_sessions_are_listed_and_one_can_be_ended(app, make):
    user = make.user("maryg")
    laptop, phone = _client(app, FIREFOX), _client(app, IPHONE)
    login(laptop, user)
    login(phone, user, remember="y")
    page = laptop.get("/settings/security").get_data(as_text=True)
    assert "Firefox on Windows <strong>(this device)</strong>" in page
    assert "Safari on iPhone" in page
    with app.app_context():
        phone_session = db.session.scalar(select(UserSession.id).where(UserSession.device_label == "Safari on iPhone"))
    r = laptop.post(f"/settings/security/sessions/{phone_session}/end")
    assert r.status_code == 302
    assert phone.get("/settings/account").status_code == 302  # logged out there, remember-me cookie too
    phone.delete_cookie("session")
    assert phone.get("/settings/account").status_code == 302
    assert laptop.get("/settings/account").status_code == 200
    assert "Safari on iPhone" not in laptop.get("/settings/security").get_data(as_text=True)
    # someone else's session can't be ended from here
    other = make.user("bob")
    bob = app.test_client()
    login(bob, other)
    with app.app_context():
        bobs = db.session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))
    assert laptop.post(f"/settings/security/sessions/{bobs}/end").status_code == 404
    assert bob.get("/settings/account").status_code == 200


def test_end_every_other_session_and_log_out_ends_this_one(app, make):
    user = make.user("maryg")
    a, b, c = (_client(app, FIREFOX) for _ in range(3))
    for client in (a, b, c):
        login(client, user)
    assert a.post("/settings/security/sessions/end-others").status_code == 302
    assert b.get("/settings/account").status_code == 302 and c.get("/settings/account").status_code == 302
    assert a.get("/settings/account").status_code == 200
    a.post("/auth/logout")
    with app.app_context():
        assert db.session.scalar(select(UserSession).where(UserSession.ended_at.is_(None))) is None


def test_a_new_device_is_mailed_with_a_link_that_ends_that_session(app, make, smtp, deliver):
    user = make.user("maryg")
    home = _client(app, FIREFOX)
    login(home, user)
    login(home, user)  # the same browser again: not new
    deliver()
    assert not [m for m in smtp.to("maryg@example.org") if "was this you" in m["Subject"]]
    stranger = _client(app, IPHONE)
    login(stranger, user)
    deliver()
    mails = [m for m in smtp.to("maryg@example.org") if "was this you" in m["Subject"]]
    assert len(mails) == 1
    body = smtp.body(mails[0])
    assert "Safari on iPhone" in body
    link = next(link for link in smtp.links(mails[0]) if "/auth/sessions/end/" in link)
    anyone = app.test_client()  # the link works without logging in
    page = anyone.get(path_of(link))
    assert page.status_code == 200 and "End that session" in page.get_data(as_text=True)
    assert stranger.get("/settings/account").status_code == 200  # a GET changes nothing
    r = anyone.post(path_of(link))
    assert r.status_code == 200 and "is ended" in r.get_data(as_text=True)
    assert stranger.get("/settings/account").status_code == 302
    assert home.get("/settings/account").status_code == 200
    assert anyone.get(re.sub(r"end/.*", "end/forged", path_of(link))).status_code == 404
