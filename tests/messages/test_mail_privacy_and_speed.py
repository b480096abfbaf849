"""Emails that never quote a message (real loopback SMTP), the data export, account deletion,
memorial accounts, the migration keeping reports and audit rows, and constant query counts."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from board.extensions import db
from board.messages.notices import send_daily_summaries
from board.models import ConversationMember, Message, User, utcnow
from tests.messages.conftest import conversation_id, friends, messages_in, notes, send

SECRET = "zqsecret my scan showed two new spots in the liver"


def test_each_message_email_says_only_who_wrote_never_the_text(app, make, browser, smtp, deliver):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob, "First hello")
    smtp.clear()
    deliver()
    smtp.clear()
    assert a.post(f"/messages/{cid}/reply", data={"body": SECRET}).status_code == 302
    assert a.post(f"/messages/{cid}/reply", data={"body": "I want to die some days"}).status_code == 302
    assert deliver().sent >= 2
    mails = smtp.to("bob@example.org")
    assert len(mails) == 2
    for mail in mails:
        body = smtp.body(mail)
        assert mail["Subject"] == "You have a new message from Alice on Circle"
        assert "You have a new message from Alice on Circle." in body
        assert f"http://localhost/messages/{cid}" in body
        assert "zqsecret" not in body and "liver" not in body and "die" not in body
        assert "zqsecret" not in mail["Subject"]
        assert mail["List-Unsubscribe"]
    # in-app notifications don't quote it either
    assert all("zqsecret" not in n.text and "die" not in n.text for n in notes(app, bob))


def test_never_and_daily_summary(app, make, browser, smtp, deliver):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    carol = make.user("carol", display_name="Carol")
    a, b, c = browser(alice), browser(bob), browser(carol)
    cid = friends(app, a, b, bob)
    cid2 = friends(app, c, b, bob)
    assert b.post("/settings/messages", data={"who_may_write": "members", "mail_mode": "daily"}).status_code == 302
    deliver()
    smtp.clear()
    a.post(f"/messages/{cid}/reply", data={"body": SECRET})
    c.post(f"/messages/{cid2}/reply", data={"body": "Carol's private words"})
    deliver()
    assert smtp.to("bob@example.org") == []  # no email per message
    with app.app_context():
        report = send_daily_summaries()
        db.session.commit()
        assert report.sent == 1
        again = send_daily_summaries()  # never twice a day
        db.session.commit()
        assert again.sent == 0
    deliver()
    (mail,) = smtp.to("bob@example.org")
    body = smtp.body(mail)
    assert "Alice" in body and "Carol" in body and "http://localhost/messages" in body
    assert "zqsecret" not in body and "private words" not in body
    # "never": nothing at all by email
    assert b.post("/settings/messages", data={"who_may_write": "members", "mail_mode": "never"}).status_code == 302
    smtp.clear()
    a.post(f"/messages/{cid}/reply", data={"body": "another"})
    deliver()
    assert smtp.to("bob@example.org") == []
    assert notes(app, get(app, "bob"), "message")  # still told in-app


def get(app, name) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == name))


def test_export_holds_her_own_messages_and_not_others(app, make, browser):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob, "Alice's own words")
    b.post(f"/messages/{cid}/reply", data={"body": "Bob's words to Alice"})
    b.post("/users/alice/block")
    export_url = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == "privacy.export")
    data = json.loads(a.post(export_url).get_data(as_text=True))
    pm = data["private_messages"]
    assert [m["body"] for m in pm["messages_you_wrote"]] == ["Alice's own words"]
    assert pm["conversations"][0]["with"] == ["Bob"]
    assert "Bob's words" not in json.dumps(data)
    bob_data = json.loads(b.post(export_url).get_data(as_text=True))
    assert bob_data["private_messages"]["blocked_members"] == ["alice"]


def test_deleting_an_account_removes_her_messages_text(app, make, browser):
    from board.privacy.services import delete_account

    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    a, b = browser(alice), browser(bob)
    cid = friends(app, a, b, bob, SECRET)
    b.post(f"/messages/{cid}/reply", data={"body": "Bob answers"})
    with app.app_context():
        delete_account(db.session.get(User, alice.id), "keep")
        db.session.commit()
    page = b.get(f"/messages/{cid}").get_data(as_text=True)
    assert "zqsecret" not in page and "Message removed." in page and "a former member" in page
    assert "Bob answers" in page
    with app.app_context():
        assert db.session.scalar(select(Message.body_source).where(Message.author_id == alice.id)) == ""
    assert b.post(f"/messages/{cid}/reply", data={"body": "hello?"}).status_code == 403  # nobody left to read it


def test_memorial_accounts_receive_nothing(app, make, browser):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    a, b, c = browser(alice), browser(bob), browser(carol)
    r = send(a, "bob, carol", "hello both")
    cid = conversation_id(r)
    b.post(f"/messages/requests/{cid}/accept")
    c.post(f"/messages/requests/{cid}/accept")
    with app.app_context():
        db.session.get(User, carol.id).memorial_at = utcnow()
        db.session.commit()
    before = len(notes(app, carol))
    b.post(f"/messages/{cid}/reply", data={"body": "thinking of you all"})
    assert len(notes(app, carol)) == before
    with app.app_context():
        row = db.session.scalar(select(ConversationMember).where(ConversationMember.user_id == carol.id))
        assert row.unread_count == 1  # alice's first message only: nothing reached her after
    assert send(a, "carol", "are you there").status_code == 400


# ---------------------------------------------------------------- query counts and indexes

def _many_conversations(app, owner, others, n):
    """n conversations of `owner` with `others` in turn, each with 3 delivered messages (bulk, fast)."""
    from board.models import Conversation

    with app.app_context():
        now = utcnow()
        for i in range(n):
            c = Conversation(created_by_id=owner.id, created_at=now, message_count=3, last_message_at=now)
            db.session.add(c)
            db.session.flush()
            other = others[i % len(others)]
            at = now - timedelta(minutes=n - i)
            db.session.add_all([
                ConversationMember(conversation_id=c.id, user_id=owner.id, state="active", last_activity_at=at,
                                   unread_count=i % 2),
                ConversationMember(conversation_id=c.id, user_id=other.id, state="active", last_activity_at=at),
            ])
            for j in range(3):
                db.session.add(Message(conversation_id=c.id, author_id=(owner if j % 2 else other).id,
                                       body_source=f"m{j}", body_html=f"<p>m{j}</p>", status="published",
                                       created_at=at))
        db.session.commit()


@pytest.mark.parametrize("n", [3, 60])
def test_inbox_and_conversation_pages_run_at_most_four_queries(app, make, browser, count_queries, n):
    alice = make.user("alice")
    others = [make.user(f"friend{i}") for i in range(3)]
    _many_conversations(app, alice, others, n)
    a = browser(alice)
    with count_queries() as q:
        r = a.get("/messages")
    assert r.status_code == 200 and len(q) <= 4, q
    page = r.get_data(as_text=True)
    with count_queries() as q:
        r = a.get("/messages?cursor=" + page.split("cursor=")[1].split('"')[0]) if "cursor=" in page else a.get(
            "/messages")
    assert r.status_code == 200 and len(q) <= 4, q
    with app.app_context():
        newest = db.session.scalar(select(ConversationMember.conversation_id).where(
            ConversationMember.user_id == alice.id).order_by(ConversationMember.conversation_id.desc()).limit(1))
    for _ in range(2):  # unread (marks read: an UPDATE), then read
        with count_queries() as q:
            r = a.get(f"/messages/{newest}")
        assert r.status_code == 200 and len(q) <= 4, q
    with count_queries() as q:
        r = a.get(f"/messages/{newest}?before=999999")
    assert r.status_code == 200 and len(q) <= 4, q


def test_the_pages_queries_use_indexes(app, make, browser, count_queries):
    """EXPLAIN on SQLite: no full scan of conversation_members or messages (the 10,000th conversation
    costs what the first does)."""
    if "sqlite" not in app.config["SQLALCHEMY_DATABASE_URI"]:
        pytest.skip("the plan check reads SQLite's EXPLAIN QUERY PLAN")
    alice = make.user("alice")
    others = [make.user(f"friend{i}") for i in range(3)]
    _many_conversations(app, alice, others, 30)
    a = browser(alice)
    with app.app_context():
        newest = db.session.scalar(select(ConversationMember.conversation_id).order_by(
            ConversationMember.conversation_id.desc()).limit(1))
    statements = []
    for path in ("/messages", f"/messages/{newest}"):
        with count_queries() as q:
            a.get(path)
        statements += list(q)
    captured = []

    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        def grab(conn, cursor, statement, parameters, context, executemany):
            if "conversation_members" in statement or "FROM messages" in statement:
                captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", grab)
        try:
            a.get("/messages")
            a.get(f"/messages/{newest}")
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        scans = []
        with engine.connect() as conn:
            for statement, parameters in captured:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                for row in plan:
                    detail = row[-1]
                    if detail.startswith("SCAN") and ("conversation_members" in detail or "messages" in detail):
                        scans.append((detail, statement[:120]))
                    if "ORDER BY conversation_members.last_activity_at" in statement:  # the inbox page
                        assert "ix_conversation_members_inbox" in " ".join(r[-1] for r in plan)
                        assert "TEMP B-TREE" not in " ".join(r[-1] for r in plan)
        assert scans == [], scans
    assert statements


def test_migration_keeps_reports_and_audit_rows_through_the_rebuild(tmp_path):
    """0005 rebuilds moderation_items on SQLite; reports and the audit log's item ids survive."""
    from flask_migrate import downgrade, upgrade

    from board import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(revision="0003_crisis_care")
        db.session.execute(text(
            "INSERT INTO users (id, username, password_hash, role, trust_level, session_token, created_at, "
            "display_name, city, region, identity, bio_source, bio_html, text_size, post_count, "
            "approved_post_count, suspension_reason, country) VALUES (1, 'a', '', 'member', 1, 't', "
            "'2024-01-01', '', '', '', '', '', '', 'normal', 0, 0, '', '')"))
        db.session.execute(text(
            "INSERT INTO moderation_items (id, kind, priority, state, created_at, user_id, reasons, report_weight, "
            "resolution, note) VALUES (7, 'report', 0, 'open', '2024-01-01', 1, '[]', 0, '', '')"))
        db.session.execute(text("INSERT INTO reports (item_id, reporter_id, reason, note, weight, created_at) "
                                "VALUES (7, 1, 'spam', 'a note', 1, '2024-01-01')"))
        db.session.execute(text("INSERT INTO moderation_actions (created_at, moderator_id, action, item_id, reason, "
                                "before_text, after_text, data) VALUES ('2024-01-01', 1, 'keep', 7, '', '', '', '{}')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT item_id, note FROM reports")).all() == [(7, "a note")]
        assert db.session.execute(text("SELECT item_id FROM moderation_actions")).scalar() == 7
        downgrade(revision="0003_crisis_care")
        assert db.session.execute(text("SELECT count(*) FROM reports")).scalar() == 1
        assert db.session.execute(text("SELECT item_id FROM moderation_actions")).scalar() == 7
        upgrade()
        db.session.remove()
        db.engine.dispose()
