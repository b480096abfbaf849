"""First contact is a request; who may write to whom; trust-level gates; bad input."""
from __future__ import annotations

import pytest

from board.extensions import db
from board.messages import services
from board.models import User
from tests.messages.conftest import (
    conversation_id, conversations, friends, member_row, messages_in, notes, send,
)

CANT = "We can&#39;t send a message to that member."


def test_first_message_is_a_request_with_the_senders_profile_then_accept(app, make, browser):
    alice = make.user("alice", display_name="Alice M.", city="Oregon", region="WI", identity="living")
    bob = make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    r = send(a, bob, "Hello Bob, I saw your post about heat packs.")
    assert r.status_code == 302
    cid = conversation_id(r)
    assert member_row(app, cid, bob).state == "request"
    (note,) = notes(app, bob, "message_request")
    assert note.text == "Alice M. would like to send you a message." and note.url == "/messages/requests"
    page = b.get("/messages/requests").get_data(as_text=True)
    assert "From Alice M." in page and "Oregon, WI" in page and "Living with MBC" in page
    assert "I saw your post about heat packs." in page
    assert 'action="/messages/requests/%d/accept"' % cid in page
    # the header shows one new thing in Messages
    assert 'href="/messages">Messages <span class="badge">1' in b.get("/").get_data(as_text=True)

    # Until accepted, the sender can't send more
    r = a.post(f"/messages/{cid}/reply", data={"body": "Are you there?"})
    assert r.status_code == 403
    text = r.get_data(as_text=True)
    assert "waiting to be accepted" in text and "Are you there?" in text  # her text is kept
    assert len(messages_in(app, cid)) == 1

    assert b.post(f"/messages/requests/{cid}/accept").status_code == 302
    assert member_row(app, cid, bob).state == "active"
    assert b.get(f"/messages/{cid}").status_code == 200
    assert b.post(f"/messages/{cid}/reply", data={"body": "Hi Alice!"}).status_code == 302
    assert a.post(f"/messages/{cid}/reply", data={"body": "Lovely to hear from you"}).status_code == 302
    assert [m.body_source for m in messages_in(app, cid)] == [
        "Hello Bob, I saw your post about heat packs.", "Hi Alice!", "Lovely to hear from you"]
    # Now they know each other: a new conversation needs no request
    cid2 = conversation_id(send(a, bob, "A new topic"))
    assert member_row(app, cid2, bob).state == "active"


def test_decline_tells_the_sender_only_not_delivered(app, make, browser):
    alice, bob = make.user("alice", display_name="Alice"), make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = conversation_id(send(a, bob, "Buy my book?"))
    assert b.post(f"/messages/requests/{cid}/decline").status_code == 302
    assert "Buy my book?" not in b.get("/messages/requests").get_data(as_text=True)
    assert b.get(f"/messages/{cid}").status_code == 404
    page = a.get(f"/messages/{cid}").get_data(as_text=True)
    assert "Not delivered." in page
    assert "declin" not in page.lower()
    assert a.post(f"/messages/{cid}/reply", data={"body": "Please?"}).status_code == 403
    # Declining didn't make them "known": a new message is a request again (or refused by settings)
    cid2 = conversation_id(send(a, bob, "Second try"))
    assert member_row(app, cid2, bob).state == "request"


@pytest.mark.parametrize("setting, stranger_ok, known_ok", [
    ("members", True, True), ("known", False, True), ("moderators", False, False),
])
def test_who_may_write_settings(app, make, browser, setting, stranger_ok, known_ok):
    bob = make.user("bob")
    friend, stranger, mod = make.user("friend"), make.user("stranger"), make.user("mod", role="moderator")
    b, f = browser(bob), browser(friend)
    friends(app, f, b, bob)
    r = b.post("/settings/messages", data={"who_may_write": setting, "mail_mode": "each"})
    assert r.status_code == 302
    assert services_who(app, bob) == setting
    for client, ok in ((browser(stranger), stranger_ok), (f, known_ok), (browser(mod), True)):
        r = send(client, bob, "Hello there")
        if ok:
            assert r.status_code == 302
        else:
            assert r.status_code == 400 and CANT in r.get_data(as_text=True)
            assert "Hello there" in r.get_data(as_text=True)


def services_who(app, user):
    with app.app_context():
        return services.who_may_write(db.session.get(User, user.id))


def test_new_members_can_write_only_to_moderators(app, make, browser):
    newbie = make.user("newbie", trust_level=0)
    bob, mod = make.user("bob"), make.user("mod", role="moderator")
    n = browser(newbie)
    r = send(n, bob, "hi bob")
    assert r.status_code == 400 and CANT in r.get_data(as_text=True)
    r = send(n, mod, "I need help with my account")
    assert r.status_code == 302
    cid = conversation_id(r)
    assert messages_in(app, cid)[0].status == "published"  # not held just for being new
    # and a stranger can't write to a brand-new member who set nothing either? They can: the default is
    # "members", but a level-0 stranger can't (above). A level-1 member's first message is a request.
    r = send(browser(bob), newbie, "Welcome to Circle!")
    assert member_row(app, conversation_id(r), newbie).state == "request"


@pytest.mark.parametrize("case", ["yourself", "unknown", "blocked_by_them", "you_blocked", "memorial", "refuses"])
def test_every_refusal_reads_the_same_and_keeps_the_text(app, make, browser, case):
    alice = make.user("alice")
    target = make.user("target")
    a, t = browser(alice), browser(target)
    to = "target"
    if case == "yourself":
        to = "alice"
    elif case == "unknown":
        to = "nobody-here"
    elif case == "blocked_by_them":
        assert t.post("/users/alice/block").status_code == 302
    elif case == "you_blocked":
        assert a.post("/users/target/block").status_code == 302
    elif case == "memorial":
        with app.app_context():
            from board.models import utcnow

            db.session.get(User, target.id).memorial_at = utcnow()
            db.session.commit()
    elif case == "refuses":
        t.post("/settings/messages", data={"who_may_write": "moderators", "mail_mode": "each"})
    r = a.post("/messages/new", data={"to": to, "body": "My words, kept safe"})
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert CANT in text and "My words, kept safe" in text
    assert conversations(app) == []


def test_bad_input_is_a_form_error_with_the_text_kept(app, make, browser):
    alice = make.user("alice")
    names = [make.user(f"friend{i}").username for i in range(6)]
    a = browser(alice)
    r = a.post("/messages/new", data={"to": "friend0", "body": "   "})
    assert r.status_code == 400 and "Please write a message" in r.get_data(as_text=True)
    r = a.post("/messages/new", data={"to": "friend0", "body": "x" * 10_001})
    assert r.status_code == 400 and "10,000 characters" in r.get_data(as_text=True)
    r = a.post("/messages/new", data={"to": ", ".join(names), "body": "Six people and me"})
    assert r.status_code == 400 and "up to 6 people" in r.get_data(as_text=True)
    assert "Six people and me" in r.get_data(as_text=True)
    r = a.post("/messages/new", data={"to": ", ".join(names[:5]), "body": "Five people and me"})
    assert r.status_code == 302
    assert conversations(app)[0].id == conversation_id(r)


def test_new_conversations_per_day_are_limited(app, make, browser):
    app.config["BOARD_MESSAGES_NEW_PER_DAY"] = 3
    alice = make.user("alice")
    others = [make.user(f"member{i}") for i in range(4)]
    a = browser(alice)
    for other in others[:3]:
        assert send(a, other, "hello").status_code == 302
    r = send(a, others[3], "one too many")
    assert r.status_code == 400 and "up to 3 new conversations a day" in r.get_data(as_text=True)
    assert "one too many" in r.get_data(as_text=True)


def test_silenced_or_unverified_members_cannot_send_but_can_answer_moderators(app, make, browser):
    from datetime import timedelta

    from board.models import utcnow

    quiet = make.user("quiet")
    unverified = make.user("unverified", verified=False)
    bob = make.user("bob")
    with app.app_context():
        db.session.get(User, quiet.id).silenced_until = utcnow() + timedelta(days=2)
        db.session.commit()
    for user in (quiet, unverified):
        r = send(browser(user), bob, "hello")
        assert r.status_code == 403 and "hello" in r.get_data(as_text=True)
    assert conversations(app) == []


def test_leave_and_archive(app, make, browser):
    alice, bob = make.user("alice", display_name="Alice"), make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob)
    assert a.post(f"/messages/{cid}/archive").status_code == 302
    assert f"/messages/{cid}\"" not in a.get("/messages").get_data(as_text=True)
    assert f"/messages/{cid}\"" in a.get("/messages?archived=1").get_data(as_text=True)
    b.post(f"/messages/{cid}/reply", data={"body": "still there?"})
    assert f"/messages/{cid}\"" in a.get("/messages").get_data(as_text=True)  # a new message brings it back
    assert b.post(f"/messages/{cid}/leave").status_code == 302
    assert member_row(app, cid, bob).state == "left"
    a.post(f"/messages/{cid}/reply", data={"body": "bye"})
    assert notes(app, bob, "message") == []


@pytest.mark.ratelimit
def test_messages_are_rate_limited_per_member_and_the_text_is_kept(app, make, browser):
    alice, bob = make.user("alice"), make.user("bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob)  # alice has just sent a message (POST /messages/new)
    r = a.post(f"/messages/{cid}/reply", data={"body": "two, too soon"})
    assert r.status_code == 429
    assert "two, too soon" in r.get_data(as_text=True) and r.headers.get("Retry-After")
    # a form sent back to fix doesn't count; moderators are never held back
    mod = browser(make.user("mod", role="moderator"))
    for body in ("m1", "m2", "m3"):
        assert send(mod, bob, body).status_code == 302


def test_a_group_conversation_reaches_everyone_but_who_left(app, make, browser):
    alice, bob, carol = make.user("alice", display_name="Alice"), make.user("bob"), make.user("carol")
    a, b, c = browser(alice), browser(bob), browser(carol)
    cid = conversation_id(send(a, "bob, @carol", "Hello both of you"))
    assert b.post(f"/messages/requests/{cid}/accept").status_code == 302
    assert c.post(f"/messages/requests/{cid}/accept").status_code == 302
    assert c.post(f"/messages/{cid}/leave").status_code == 302
    assert b.post(f"/messages/{cid}/reply", data={"body": "Hi Alice!"}).status_code == 302
    assert [n.text for n in notes(app, alice, "message")] == ["New message from bob."]
    assert notes(app, carol, "message") == []
    assert member_row(app, cid, alice).unread_count == 1
