"""0006_messages adds the message tables and leaves moderation_items alone.

Runs on the test database of the session (SQLite, or PostgreSQL with TEST_DATABASE_URL):
down to 0005_staff_security and up again. Items about messages use (content_kind='message',
target_id), so nothing about the queue's table changes: reports and audit rows on other items
survive both ways (a SQLite rebuild of moderation_items would have cascaded reports away).
"""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from board.extensions import db
from board.models import ModerationItem, Report
from board.moderation import intake
from tests.messages.conftest import friends, send
from tests.moderation.conftest import post_of, user


def _rows(sql):
    return [tuple(r) for r in db.session.execute(text(sql))]


def test_messages_migration_down_and_up_keeps_the_rest_of_the_queue(app, make, browser):
    alice, bob = make.user("alice"), make.user("bob")
    reported = make.thread(make.user("writer"), title="A published thread")
    a, b = browser(alice), browser(bob)
    friends(app, a, b, bob)
    assert send(a, bob, "hello again").status_code == 302
    with app.app_context():
        intake.report_content(user(make.user("reader")), "spam", "", target=post_of(reported))
        db.session.commit()
    assert b.post(f"/messages/{_last_message(app)}/report", data={"reason": "unkind", "note": ""}
                  ).status_code in (302, 303)
    with app.app_context():
        kinds = sorted(_rows("SELECT content_kind, kind FROM moderation_items"))
        assert kinds == [("message", "report"), ("post", "report")]
        assert db.session.query(Report).count() == 2
        audit_rows = _rows("SELECT id, item_id FROM moderation_actions ORDER BY id")
        checks_before = {c["name"] for c in inspect(db.engine).get_check_constraints("moderation_items")}
        db.session.remove()

        downgrade(revision="0005_staff_security")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"messages", "conversations", "conversation_members", "blocks", "message_preferences"} & tables
        assert _rows("SELECT content_kind, kind FROM moderation_items") == [("post", "report")]
        assert db.session.execute(text("SELECT COUNT(*) FROM reports")).scalar() == 1  # the post's report
        db.session.remove()

        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"messages", "conversations", "conversation_members", "blocks", "message_preferences"} <= tables
        assert _rows("SELECT content_kind, kind FROM moderation_items") == [("post", "report")]
        assert db.session.query(Report).count() == 1
        assert {c["name"] for c in inspect(db.engine).get_check_constraints("moderation_items")} == checks_before
        assert _rows("SELECT id, item_id FROM moderation_actions ORDER BY id") == audit_rows
        assert db.session.query(ModerationItem).count() == 1


def _last_message(app) -> int:
    from board.models import Message

    with app.app_context():
        return db.session.scalar(db.select(Message.id).order_by(Message.id.desc()).limit(1))
