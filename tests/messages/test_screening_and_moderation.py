"""Messages are screened like posts; a held message reaches no one until a moderator approves it;
crisis wording is urgent and the sender sees where to get help; reports show only the reported
message and the two before it, and every look is in the audit log; moderators reach out."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Message, ModerationAction, User
from board.moderation.intake import maybe_promote
from board.moderation.lists import seed_moderation
from board.moderation.rules import PRIORITY_URGENT
from tests.messages.conftest import conversation_id, friends, items, member_row, messages_in, notes, send


@pytest.fixture
def words(app):
    with app.app_context():
        seed_moderation()
        db.session.commit()


@pytest.fixture
def pair(app, make, browser):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob, "Hi Bob, so good to meet you in the thread.")
    return {"alice": alice, "bob": bob, "a": a, "b": b, "cid": cid}


@pytest.mark.parametrize("scam", [
    "Message me on WhatsApp, I have something that helped my aunt.",
    "You can pay the processing fee in bitcoin.",
    "This miracle cure shrinks tumors in weeks, order now.",
    "Please send money by wire transfer to help my family.",
])
def test_scam_patterns_are_held_and_reach_no_one_until_approved(app, make, browser, words, pair, scam):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    before = len(notes(app, pair["bob"], "message"))
    r = a.post(f"/messages/{cid}/reply", data={"body": scam})
    assert r.status_code == 302
    held = messages_in(app, cid)[-1]
    assert held.status == "pending"
    # The sender sees it with "waiting"; the recipient sees nothing, gets no notification, no unread
    assert "Waiting for a moderator" in a.get(f"/messages/{cid}").get_data(as_text=True)
    assert scam.split(",")[0] not in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert len(notes(app, pair["bob"], "message")) == before
    assert member_row(app, cid, pair["bob"]).unread_count == 0
    (item,) = items(app, kind="pending_message")
    assert item.target_id == held.id and any("Watched phrase" in r for r in item.reasons)
    mod = browser(make.user("mod", role="moderator"))
    assert mod.post(f"/moderation/items/{item.id}/approve", data={"note": ""}).status_code == 302
    assert messages_in(app, cid)[-1].status == "published"
    assert scam.split(",")[0] in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert len(notes(app, pair["bob"], "message")) == before + 1
    (delivered,) = notes(app, pair["alice"], "message_delivered")


def test_a_returned_message_is_never_delivered_and_its_author_reads_why(app, make, browser, words, pair):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    a.post(f"/messages/{cid}/reply", data={"body": "Add me on Telegram for the cure."})
    (item,) = items(app, kind="pending_message")
    mod = browser(make.user("mod", role="moderator"))
    r = mod.post(f"/moderation/items/{item.id}/reject", data={"reason": "", "note": "Please keep talking here."})
    assert r.status_code == 302
    page = a.get(f"/messages/{cid}").get_data(as_text=True)
    assert "Not delivered. A moderator says: Please keep talking here." in page
    assert "Telegram" not in b.get(f"/messages/{cid}").get_data(as_text=True)


def test_links_wait_for_review_below_trust_level_2(app, make, browser, pair):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    a.post(f"/messages/{cid}/reply", data={"body": "Here is the article: https://example.org/study"})
    assert messages_in(app, cid)[-1].status == "pending"
    (item,) = items(app, kind="pending_message")
    assert any("link" in r for r in item.reasons)
    with app.app_context():
        db.session.get(User, pair["bob"].id).trust_level = 2
        db.session.commit()
    b.post(f"/messages/{cid}/reply", data={"body": "And mine: https://example.org/other"})
    assert messages_in(app, cid)[-1].status == "published"


def test_a_blocked_phrase_is_refused_with_the_text_kept(app, make, browser, words, pair):
    r = pair["a"].post(f"/messages/{pair['cid']}/reply", data={"body": "Send me your bank details please"})
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "Your message includes" in text and "Send me your bank details please" in text


def test_crisis_in_a_message_is_delivered_urgent_and_the_sender_sees_help(app, make, browser, pair):
    moderator = make.user("mod", role="moderator")
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    r = a.post(f"/messages/{cid}/reply", data={"body": "Honestly I want to die, I can't do another round."},
               follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "You don't have to face this alone" in page and "988" in page
    msg = messages_in(app, cid)[-1]
    assert msg.status == "published"  # never held back for crisis wording
    (item,) = items(app, kind="crisis")
    assert item.target_id == msg.id and item.priority == PRIORITY_URGENT
    assert [n.url for n in notes(app, moderator, "urgent_item")] == [f"/moderation/items/{item.id}"]
    # the recipient gets a notification that quotes nothing
    assert all("die" not in n.text for n in notes(app, pair["bob"]))
    # the moderator sees the message (and no more than the two before it), the crisis words marked
    mod = browser(moderator)
    item_page = mod.get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "<mark>want to die</mark>" in item_page and "Message this member privately" in item_page


def test_crisis_with_a_scam_pattern_is_held_but_urgent(app, make, browser, words, pair):
    pair["a"].post(f"/messages/{pair['cid']}/reply", data={"body": "I want to die. Message me on WhatsApp."})
    (item,) = items(app)
    assert item.kind == "pending_message" and item.priority == PRIORITY_URGENT
    assert messages_in(app, pair["cid"])[-1].status == "pending"


def test_a_report_shows_the_message_and_at_most_two_before_it_and_each_look_is_audited(app, make, browser, pair):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    for i in range(1, 6):
        (a if i % 2 else b).post(f"/messages/{cid}/reply", data={"body": f"zqmsg{i} words"})
    reported = messages_in(app, cid)[-1]  # zqmsg5, by alice
    assert reported.body_source == "zqmsg5 words"
    page = b.get(f"/messages/{reported.id}/report").get_data(as_text=True)
    assert "at most the two before it" in page
    r = b.post(f"/messages/{reported.id}/report", data={"reason": "unkind", "note": ""})
    assert r.status_code == 302
    (item,) = items(app, kind="report")
    assert item.target_id == reported.id and item.subject_user_id == pair["alice"].id
    moderator = make.user("mod", role="moderator")
    mod = browser(moderator)
    queue = mod.get("/moderation").get_data(as_text=True)
    assert "A private message" in queue and "zqmsg" not in queue  # lists never quote it
    with app.app_context():
        assert db.session.scalar(select(ModerationAction).where(ModerationAction.action == "view_private")) is None
    page = mod.get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "zqmsg5" in page and "zqmsg4" in page and "zqmsg3" in page
    assert "zqmsg2" not in page and "zqmsg1" not in page and "so good to meet you" not in page
    mod.get(f"/moderation/items/{item.id}")
    with app.app_context():
        rows = list(db.session.scalars(select(ModerationAction).where(ModerationAction.action == "view_private")))
        assert len(rows) == 2
        assert all(r.moderator_id == moderator.id and r.data["message_id"] == reported.id for r in rows)
    log = mod.get("/moderation/log").get_data(as_text=True)
    assert "Read a private message (queue item)" in log
    # ...and the moderator still can't open the conversation itself
    assert mod.get(f"/moderation/log").status_code == 200 and mod.get(f"/messages/{cid}").status_code == 404
    # Removing it: the recipient sees "Message removed", the author her own copy
    assert mod.post(f"/moderation/items/{item.id}/remove", data={"note": "Please be kind"}).status_code == 302
    assert "Message removed." in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert "zqmsg5" not in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert "A moderator removed this message: Please be kind" in a.get(f"/messages/{cid}").get_data(as_text=True)
    # ...and undo puts it back
    assert mod.post(f"/moderation/items/{item.id}/undo").status_code == 302
    assert "zqmsg5" in b.get(f"/messages/{cid}").get_data(as_text=True)


def test_only_a_recipient_can_report_a_message(app, make, browser, pair):
    a, cid = pair["a"], pair["cid"]
    own = messages_in(app, cid)[0]
    assert a.get(f"/messages/{own.id}/report").status_code == 404
    outsider = browser(make.user("carol"))
    assert outsider.get(f"/messages/{own.id}/report").status_code == 404
    assert outsider.post(f"/messages/{own.id}/report", data={"reason": "spam"}).status_code == 404
    mod = browser(make.user("mod", role="moderator"))
    assert mod.get(f"/messages/{own.id}/report").status_code == 404


def test_a_request_can_be_reported_from_the_requests_page(app, make, browser):
    alice, bob = make.user("alice"), make.user("bob")
    a, b = browser(alice), browser(bob)
    cid = conversation_id(send(a, bob, "Invest in my fund"))
    (msg,) = messages_in(app, cid)
    assert f"/messages/{msg.id}/report" in b.get("/messages/requests").get_data(as_text=True)
    assert b.post(f"/messages/{msg.id}/report", data={"reason": "spam"}).status_code == 302
    assert items(app, kind="report")[0].target_id == msg.id


def test_block_stops_messages_mentions_and_notifications_and_they_are_not_told(app, make, browser, pair):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    alice, bob = pair["alice"], pair["bob"]
    assert b.post("/users/alice/block").status_code == 302
    before = len(notes(app, bob))
    r = a.post(f"/messages/{cid}/reply", data={"body": "zqafterblock are you ok?"})
    assert r.status_code == 302  # she is not told
    assert "zqafterblock" in a.get(f"/messages/{cid}").get_data(as_text=True)
    assert "zqafterblock" not in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert member_row(app, cid, bob).unread_count == 0
    # mentions and replies in threads don't reach bob either
    thread = make.thread(bob, title="Bob's thread about scans")
    make.reply(alice, thread, "@bob I know how that feels")
    assert len(notes(app, bob)) == before
    # a new conversation: the same "can't send" as anyone else
    r = send(a, bob, "hello again")
    assert r.status_code == 400 and "We can&#39;t send a message to that member." in r.get_data(as_text=True)
    # unblocking lets things through again (what was sent meanwhile stays unseen)
    assert b.post("/users/alice/block").status_code == 302
    a.post(f"/messages/{cid}/reply", data={"body": "zqafterunblock"})
    page = b.get(f"/messages/{cid}").get_data(as_text=True)
    assert "zqafterunblock" in page


def test_moderators_cannot_be_blocked(app, make, browser):
    make.user("mod", role="moderator")
    member = browser(make.user("alice"))
    r = member.post("/users/mod/block", follow_redirects=True)
    assert "Moderators can&#39;t be blocked" in r.get_data(as_text=True)


def test_moderator_outreach_from_a_crisis_item_bypasses_settings_and_the_member_can_reply(app, make, browser):
    member = make.user("alice", display_name="Alice")
    moderator = make.user("mod", role="moderator", display_name="Moderator Mo")
    other_mod = make.user("mod2", role="moderator")
    m = browser(member)
    assert m.post("/settings/messages", data={"who_may_write": "moderators", "mail_mode": "never"}).status_code == 302
    make.thread(member, title="Scan results", body="I want to end my life")
    (item,) = items(app, kind="crisis")
    mod = browser(moderator)
    form = mod.get(f"/moderation/items/{item.id}/message")
    assert form.status_code == 200 and "Circle moderators" in form.get_data(as_text=True)
    r = mod.post(f"/moderation/items/{item.id}/message", data={"body": "Hi Alice, we're here. How are you?"})
    assert r.status_code == 302
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert member_row(app, cid, member).state == "active"  # no request step
    (note,) = notes(app, member, "message")
    assert note.text == "New message from Circle moderators."
    page = m.get(f"/messages/{cid}").get_data(as_text=True)
    assert "Circle moderators" in page and "Moderator Mo" not in page and "How are you?" in page
    assert m.post(f"/messages/{cid}/reply", data={"body": "Thank you. I'm safe tonight."}).status_code == 302
    assert "safe tonight" in mod.get(f"/messages/{cid}").get_data(as_text=True)
    # other staff see who wrote in the audit log, but can't read the conversation
    o = browser(other_mod)
    assert o.get(f"/messages/{cid}").status_code == 404
    with app.app_context():
        row = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "message_member"))
        assert row.moderator_id == moderator.id and row.target_user_id == member.id and row.item_id == item.id
        assert "safe tonight" not in str(row.data) and row.before_text == row.after_text == ""
    assert "Messaged a member as Circle moderators" in o.get("/moderation/log").get_data(as_text=True)


def test_outreach_needs_a_crisis_or_report_item_and_a_moderator(app, make, browser):
    writer = make.user("newbie", trust_level=0)
    make.thread(writer, title="A first question", body="Hello all")
    (pending,) = items(app, kind="pending_post")
    mod = browser(make.user("mod", role="moderator"))
    assert mod.get(f"/moderation/items/{pending.id}/message").status_code == 404
    member = browser(make.user("alice"))
    assert member.get(f"/moderation/items/{pending.id}/message").status_code == 403


def test_trust_level_two_is_reached_automatically_and_lost_to_a_recent_sanction(app, make):
    from datetime import timedelta

    from board.models import Sanction, utcnow

    app.config.update(BOARD_TRUST2_POSTS=5, BOARD_TRUST2_DAYS=30)
    with app.app_context():
        old = utcnow() - timedelta(days=40)
        ok = User(username="veteran", email="v@example.org", trust_level=1, approved_post_count=5, created_at=old)
        few = User(username="fewposts", email="f@example.org", trust_level=1, approved_post_count=4, created_at=old)
        young = User(username="young", email="y@example.org", trust_level=1, approved_post_count=9,
                     created_at=utcnow() - timedelta(days=3))
        warned = User(username="warned", email="w@example.org", trust_level=1, approved_post_count=9, created_at=old)
        db.session.add_all([ok, few, young, warned])
        db.session.flush()
        db.session.add(Sanction(user_id=warned.id, kind="warn", reason="x", created_at=utcnow() - timedelta(days=10)))
        db.session.flush()
        assert [maybe_promote(u) for u in (ok, few, young, warned)] == [True, False, False, False]
        assert ok.trust_level == 2 and ok.trust_name == "established"


def test_set_trust_2_from_the_command_line_and_it_shows_to_moderators(app, make, runner, browser):
    member = make.user("alice")
    result = runner.invoke(args=["users", "set-trust", "alice", "2"])
    assert result.exit_code == 0, result.output
    assert "trust level 2" in result.output
    assert runner.invoke(args=["users", "set-trust", "alice", "3"]).exit_code != 0
    mod = browser(make.user("mod", role="moderator"))
    assert "2 (established)" in mod.get("/users/alice/moderate").get_data(as_text=True)
    del member


def test_a_moderators_edit_keeps_private_text_out_of_the_audit_log_and_undo_restores_it(app, make, browser, words,
                                                                                         pair):
    a, b, cid = pair["a"], pair["b"], pair["cid"]
    a.post(f"/messages/{cid}/reply", data={"body": "zqoriginal call me on WhatsApp +1 555 0100"})
    (item,) = items(app, kind="pending_message")
    mod = browser(make.user("mod", role="moderator"))
    r = mod.post(f"/moderation/items/{item.id}/edit", data={"body": "zqedited (number removed)", "note": "no numbers"})
    assert r.status_code == 302
    assert "zqedited" in b.get(f"/messages/{cid}").get_data(as_text=True)
    assert "zqoriginal" not in b.get(f"/messages/{cid}").get_data(as_text=True)
    log = mod.get("/moderation/log").get_data(as_text=True)
    assert "zqoriginal" not in log and "zqedited" not in log
    with app.app_context():
        for row in db.session.scalars(select(ModerationAction)):
            assert "zq" not in row.before_text + row.after_text + str(row.data)
    assert mod.post(f"/moderation/items/{item.id}/undo").status_code == 302
    msg = messages_in(app, cid)[-1]
    assert msg.body_source.startswith("zqoriginal") and msg.status == "pending" and msg.original_source is None
