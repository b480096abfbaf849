"""Daily and weekly digests: only what the member may see, never twice, nothing when nothing's new."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from board.extensions import db
from board.following import services
from board.following.digests import build_digest, send_digests
from board.forum.services import create_reply, set_post_status
from board.models import HIDDEN, ModerationItem, NotificationSettings, Post, utcnow
from tests.following.conftest import follows, get_thread, get_user, link_after, path_of


def _follow(app, user, thread, mode):
    with app.app_context():
        services.follow(get_user(user), thread=get_thread(thread), mode=mode)
        db.session.commit()


def test_daily_digest_has_only_visible_new_posts_and_is_sent_once(app, make, smtp, deliver):
    alice, carol = make.user("alice"), make.user("carol")
    bob = make.user("bob", display_name="Bob")
    dave = make.user("dave", display_name="Dave")
    newbie = make.user("newbie", display_name="Newbie", trust_level=0)
    mod = make.user("mod", role="moderator")
    thread = make.thread(alice, title="Scanxiety and how we cope")
    make.reply(bob, thread, body="Before carol followed")
    _follow(app, carol, thread, "daily")
    make.reply(bob, thread, body="Breathing exercises help me")
    hidden = make.reply(dave, thread, body="Something that gets hidden")
    with app.app_context():
        set_post_status(db.session.get(Post, hidden.id), HIDDEN)
        pending = create_reply(get_user(newbie), get_thread(thread), "Waiting for a moderator")
        db.session.commit()
        assert pending.status == "pending"
        now = utcnow() + timedelta(minutes=1)
        digest = build_digest(get_user(carol), "daily", now)
        (item,) = digest.items
        assert [p.body_source for p in item.posts] == ["Breathing exercises help me"]
        assert item.authors == ["Bob"]
        report = send_digests(now)
        assert (report.sent, report.empty) == (1, 0)
        # the same run again, and the next day with nothing new: nothing
        assert send_digests(now).sent == 0
        assert send_digests(now + timedelta(days=1)).sent == 0
    deliver()
    (mail,) = smtp.to("carol@example.org")
    body = smtp.body(mail)
    assert mail["Subject"] == "Your daily Circle digest: 1 new post"
    assert "Scanxiety and how we cope" in body and "1 new reply from Bob" in body
    assert "Dave" not in body and "Newbie" not in body and "hidden" not in body
    stop = link_after(body, "Stop these digest emails:")
    assert mail["List-Unsubscribe"].strip() == f"<{stop}>"

    # the pending reply is approved: it appears in the next digest, once
    from board.moderation import decisions

    with app.app_context():
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.kind == "pending_post"))
        decisions.approve(item, get_user(mod))
        db.session.commit()
        later = utcnow() + timedelta(days=1, minutes=2)
        assert send_digests(later).sent == 1
        assert send_digests(later + timedelta(days=1)).sent == 0
    smtp.clear()
    deliver()
    (mail,) = smtp.to("carol@example.org")
    assert "1 new reply from Newbie" in smtp.body(mail)

    # the digest's unsubscribe link: no login, GET shows a button, POST stops it
    visitor = app.test_client()
    assert "your daily digest emails" in visitor.get(path_of(stop)).get_data(as_text=True)
    with app.app_context():
        assert follows(carol)[0].mode == "daily"
    visitor.post(path_of(stop))
    with app.app_context():
        assert follows(carol)[0].mode == "inapp"


def test_daily_and_weekly_cadence(app, make, smtp, deliver):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    daily_thread = make.thread(alice, title="Daily thread to follow")
    weekly_thread = make.thread(alice, title="Weekly thread to follow")
    _follow(app, carol, daily_thread, "daily")
    _follow(app, carol, weekly_thread, "weekly")
    make.reply(bob, daily_thread, body="d1")
    make.reply(bob, weekly_thread, body="w1")
    with app.app_context():
        t0 = utcnow() + timedelta(minutes=1)
        assert send_digests(t0).sent == 2
    make.reply(bob, daily_thread, body="d2")
    make.reply(bob, weekly_thread, body="w2")
    with app.app_context():
        report = send_digests(t0 + timedelta(hours=12))
        assert (report.sent, report.not_due) == (0, 2)
        report = send_digests(t0 + timedelta(days=1))
        assert (report.sent, report.not_due) == (1, 1)
        report = send_digests(t0 + timedelta(days=7))
        assert (report.sent, report.empty) == (1, 1)  # weekly has w2; daily has nothing new
        s = db.session.get(NotificationSettings, carol.id)
        assert s.last_weekly_digest_at == t0 + timedelta(days=7)
    deliver()
    subjects = sorted(m["Subject"] for m in smtp.to("carol@example.org"))
    assert subjects == ["Your daily Circle digest: 1 new post", "Your daily Circle digest: 1 new post",
                        "Your weekly Circle digest: 1 new post", "Your weekly Circle digest: 1 new post"]


def test_digest_of_a_topic_lists_new_threads_not_muted_or_own(app, make, browser, smtp, deliver):
    alice = make.user("alice", display_name="Alice")
    bob, carol = make.user("bob", display_name="Bob"), make.user("carol")
    c = browser(carol)
    c.post("/topics/liver-metastases/follow")
    with app.app_context():
        (f,) = follows(carol)
        services.set_mode(get_user(carol), f, "weekly")
        db.session.commit()
    c.post("/users/bob/mute")
    make.thread(alice, topic="liver-metastases", title="Radioembolisation experiences")
    make.thread(bob, topic="liver-metastases", title="A thread from someone muted")
    make.thread(carol, topic="liver-metastases", title="My own new thread")
    with app.app_context():
        assert send_digests(utcnow() + timedelta(minutes=1)).sent == 1
    deliver()
    bodies = [smtp.body(m) for m in smtp.to("carol@example.org") if "digest" in m["Subject"]]
    (body,) = bodies
    assert "New thread in Liver metastases: Radioembolisation experiences" in body and "Started by Alice" in body
    assert "muted" not in body and "My own new thread" not in body


def test_no_digest_for_paused_unverified_or_memorial_members(app, make):
    alice, bob = make.user("alice"), make.user("bob")
    paused, unverified, memorial = make.user("paused"), make.user("unverified", verified=False), make.user("gone")
    thread = make.thread(alice)
    for u in (paused, unverified, memorial):
        _follow(app, u, thread, "daily")
    with app.app_context():
        services.settings_for(get_user(paused), create=True).mail_paused = True
        get_user(memorial).memorial_at = utcnow()
        db.session.commit()
    make.reply(bob, thread, body="News for everyone")
    with app.app_context():
        report = send_digests(utcnow() + timedelta(minutes=1))
        assert (report.sent, report.skipped) == (0, 3)


def test_send_digests_command_sends_once(app, make, runner, smtp, deliver):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    thread = make.thread(alice)
    _follow(app, carol, thread, "weekly")
    make.reply(bob, thread, body="Something new this week")
    deliver()  # the reply email to alice
    smtp.clear()
    first = runner.invoke(args=["mail", "send-digests"])
    assert first.exit_code == 0, first.output
    assert "Digests queued: 1" in first.output and "Sent 1" in first.output
    second = runner.invoke(args=["mail", "send-digests"])
    assert "Digests queued: 0" in second.output
    assert [m["Subject"] for m in smtp.messages] == ["Your weekly Circle digest: 1 new post"]
