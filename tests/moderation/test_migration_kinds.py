"""0004_moderated_kinds moves queue items from post_id / story_id to (content_kind, target_id), and back.

Runs on the test database of the session (SQLite, or PostgreSQL with
TEST_DATABASE_URL): down to 0003, where items reference posts and stories by
foreign key as before, then up again. Reports and audit rows pointing at the items
must survive the rebuild of the table on SQLite.
"""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from board.extensions import db
from board.models import ModerationItem, Report, Topic
from board.moderation import decisions, intake
from tests.moderation.conftest import post_of, user


def _rows(sql):
    return [tuple(r) for r in db.session.execute(text(sql))]


def test_items_move_to_content_kind_and_target_id_and_back(app, make, newbie, moderator):
    from board.stories.services import StoryInput, create_story

    make.thread(newbie, title="Pending thread of a new member")  # a pending_post item
    reported = make.thread(make.user("writer"), title="A published thread")
    reader, storyteller = make.user("reader"), make.user("storyteller")
    with app.app_context():
        intake.report_content(user(reader), "spam", "", target=post_of(reported))
        create_story(user(storyteller), StoryInput(
            title="My story", body="A story long enough to be sent to the moderators for review. " * 2,
            themes=["hope"], sig_first_name="Mary", consent=True))
        pending = db.session.query(ModerationItem).filter_by(kind="pending_post").one()
        decisions.approve(pending, user(moderator))  # an audit row pointing at an item
        db.session.commit()
        audit_rows = _rows("SELECT id, item_id FROM moderation_actions ORDER BY id")
        assert audit_rows and all(item_id for _, item_id in audit_rows)
        before = sorted((i.kind, i.content_kind, i.target_id) for i in db.session.query(ModerationItem))
        assert [k for k, _, _ in before] == ["pending_post", "pending_story", "report"]
        reports = db.session.query(Report).count()
        assert reports == 1
        topic_id = db.session.query(Topic.id).order_by(Topic.id).first()[0]
        db.session.remove()

        downgrade(revision="0003_crisis_care")
        columns = {c["name"] for c in inspect(db.engine).get_columns("moderation_items")}
        assert {"post_id", "story_id"} <= columns and "content_kind" not in columns
        old = sorted(_rows("SELECT kind, post_id, story_id FROM moderation_items"))
        assert old == sorted((k, t if c == "post" else None, t if c == "story" else None) for k, c, t in before)
        # an item written by the old code, before this migration
        db.session.execute(text(
            "INSERT INTO moderation_items (kind, priority, state, created_at, post_id, topic_id, reasons, "
            "report_weight, resolution, note) VALUES ('crisis', 2, 'open', CURRENT_TIMESTAMP, :post, :topic, '[]', "
            "0, '', '')"), {"post": before[2][2], "topic": topic_id})
        db.session.commit()
        db.session.remove()

        upgrade()
        columns = {c["name"] for c in inspect(db.engine).get_columns("moderation_items")}
        assert {"content_kind", "target_id"} <= columns and not {"post_id", "story_id"} & columns
        after = sorted(_rows("SELECT kind, content_kind, target_id FROM moderation_items"))
        assert after == sorted([*before, ("crisis", "post", before[2][2])])
        assert db.session.query(Report).count() == reports
        assert _rows("SELECT id, item_id FROM moderation_actions ORDER BY id") == audit_rows
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("moderation_items")}
        assert {"ck_moderation_items_target_pair", "ck_moderation_items_one_target",
                "ck_moderation_items_kind_known"} <= checks
