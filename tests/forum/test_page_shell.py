"""Members' pages from a shared shell (board/page_shell.py): the page is rendered once for
members who see it alike, and each member's own values (name, badges, CSRF token, posts)
are filled in. Nobody gets another member's values; a member whose page differs gets her
own. (The test configuration also checks every filled page against a full render:
BOARD_SHELL_VERIFY.)"""
from __future__ import annotations

import re

import pytest
from flask import g, render_template_string
from flask_login import login_user
from sqlalchemy import update

from board import page_shell
from board.extensions import db
from board.models import Notification, User
from tests.conftest import session_login

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _client(app, user):
    client = app.test_client()
    session_login(app, client, user)
    return client


def _shells(app) -> int:
    cache = app.extensions["circle_shared_parts"]
    return sum(1 for key in cache.entries if key[0] == "shell")


@pytest.fixture
def readers(app, make):
    alice = make.user("alice")
    thread = make.thread(alice, title="Scan day nerves", body="Alice opens the thread")
    make.reply(make.user("dave"), thread, "Dave answers")
    people = {name: make.user(name) for name in ("bob", "carol")}
    people["mod"] = make.user("mod", role="moderator")
    return thread, people


def test_members_share_one_shell_and_each_sees_her_own_name_token_and_badges(app, make, readers):
    thread, p = readers
    with app.app_context():
        db.session.add_all([Notification(user_id=p["carol"].id, kind="x", text=f"note {i}", url="/")
                            for i in range(3)])
        db.session.commit()
    bob, carol = _client(app, p["bob"]), _client(app, p["carol"])
    before = _shells(app)
    pages = {}
    for name, client in (("bob", bob), ("carol", carol), ("bob2", bob)):
        for path in (f"/threads/{thread.id}", "/topics/newly-diagnosed", "/"):
            r = client.get(path)
            assert r.status_code == 200
            pages[(name, path)] = r.text
    # One shell per page for both members (same settings, neither follows or bookmarked it)
    assert _shells(app) - before == 3
    for path in (f"/threads/{thread.id}", "/topics/newly-diagnosed", "/"):
        bob_page, carol_page = pages[("bob", path)], pages[("carol", path)]
        assert ">bob</a></li>" in bob_page and ">carol</a></li>" not in bob_page
        assert ">carol</a></li>" in carol_page and ">bob</a></li>" not in carol_page
        assert set(TOKEN_RE.findall(bob_page)).isdisjoint(TOKEN_RE.findall(carol_page))
        assert len(set(TOKEN_RE.findall(bob_page))) == 1
        # carol's three unread notifications are on her menu, not on bob's
        assert 'Notifications <span class="badge">3<span class="visually-hidden"> unread' in carol_page
        assert 'class="badge"' not in bob_page
        assert "\x00" not in bob_page + carol_page  # no slot left unfilled
        assert pages[("bob2", path)] == bob_page  # the same page again, from the shell


def test_a_member_whose_page_differs_gets_her_own_shell(app, make, readers):
    thread, p = readers
    erin = make.user("erin")
    bob, carol, mod, erin = (_client(app, u) for u in (p["bob"], p["carol"], p["mod"], erin))
    token = TOKEN_RE.search(carol.get(f"/threads/{thread.id}").text).group(1)
    assert carol.post(f"/threads/{thread.id}/follow", data={"csrf_token": token}).status_code in (302, 303)
    with app.app_context():
        db.session.execute(update(User).where(User.username == "erin").values(text_size="larger", theme="dark"))
        db.session.commit()
    assert "following" in carol.get(f"/threads/{thread.id}").text.lower()  # the flashed "you're following" is shown
    bob_page = bob.get(f"/threads/{thread.id}").text  # the shell is made from bob's page...
    carol_page = carol.get(f"/threads/{thread.id}").text  # ...and not used for these three
    erin_page = erin.get(f"/threads/{thread.id}").text
    mod_page = mod.get(f"/threads/{thread.id}").text
    assert 'aria-pressed="false">Follow<' in bob_page and 'aria-pressed="true">Following<' in carol_page
    assert 'class="text-normal theme-auto"' in bob_page + carol_page
    assert 'class="text-larger theme-dark"' in erin_page and 'data-text-size="larger" class="text-size-larger" ' \
        'aria-pressed="true"' in erin_page
    assert "Moderator actions" in mod_page and "Moderator actions" not in bob_page
    assert ">Moderation</a>" in mod_page and ">Moderation</a>" not in bob_page + carol_page + erin_page


def test_a_flashed_message_is_shown_once_not_kept_in_a_shell(app, make, readers):
    thread, p = readers
    bob = _client(app, p["bob"])
    bob.get("/")  # the home shell exists
    with bob.session_transaction() as sess:
        sess["_flashes"] = [("success", "Your settings are saved.")]
    assert "Your settings are saved." in bob.get("/").text
    assert "Your settings are saved." not in bob.get("/").text
    carol = _client(app, p["carol"])
    assert "Your settings are saved." not in carol.get("/").text


def test_a_draft_waiting_in_the_reply_box_is_only_its_authors(app, make, readers):
    thread, p = readers
    bob, carol = _client(app, p["bob"]), _client(app, p["carol"])
    token = TOKEN_RE.search(bob.get(f"/threads/{thread.id}").text).group(1)
    r = bob.post("/drafts/save", data={"csrf_token": token, "place": f"reply:{thread.id}",
                                  "body": "Half a thought about scan days"})
    assert r.status_code in (200, 204, 302, 303)
    assert "Half a thought about scan days" in bob.get(f"/threads/{thread.id}").text
    assert "Half a thought about scan days" not in carol.get(f"/threads/{thread.id}").text


def test_verify_mode_catches_a_shell_key_that_leaves_something_out(app, make, monkeypatch):
    """The check the test suite relies on: a page that shows something of the viewer outside
    its slots and key is caught, instead of showing one member's value to another."""
    bob, carol = make.user("bob"), make.user("carol")
    monkeypatch.setattr(page_shell, "render_template", lambda name, **context: render_template_string(
        "{{ current_user.username }} {{ csrf_token() }}", **context))
    for user, expect_mismatch in ((bob, False), (carol, True)):
        with app.test_request_context("/probe"):
            g.shared_generation = 1
            login_user(db.session.get(User, user.id))
            if expect_mismatch:
                with pytest.raises(page_shell.ShellMismatch, match="carol"):
                    page_shell.render("probe.html", ("probe",), fills={})
            else:
                assert page_shell.render("probe.html", ("probe",), fills={}).startswith("bob ")
