"""0009_media adds the picture tables and users.avatar_media, and goes back down without touching
members' other rows (a SQLite batch rebuild of users would cascade-delete everything they own)."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from board.extensions import db
from board.moderation import intake
from tests.moderation.conftest import post_of, user


def _count(table: str) -> int:
    return db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_media_migration_down_and_up_keeps_members_and_their_content(app, make):
    writer = make.user("writer")
    thread = make.thread(writer, title="A published thread", replies=2)
    with app.app_context():
        intake.report_content(user(make.user("reader")), "spam", "", target=post_of(thread))
        db.session.commit()
        before = {t: _count(t) for t in ("users", "posts", "threads", "moderation_items", "reports",
                                         "notifications")}
        db.session.remove()

        downgrade(revision="0008_first_day")
        inspector = inspect(db.engine)
        assert not {"images", "media_blobs"} & set(inspector.get_table_names())
        assert "avatar_media" not in {c["name"] for c in inspector.get_columns("users")}
        assert {t: _count(t) for t in before} == before
        db.session.remove()

        upgrade()
        inspector = inspect(db.engine)
        assert {"images", "media_blobs"} <= set(inspector.get_table_names())
        assert "avatar_media" in {c["name"] for c in inspector.get_columns("users")}
        assert {t: _count(t) for t in before} == before
    # Search still finds new posts (the migration rebuilt no table, so no FTS trigger was dropped).
    later = make.thread(writer, title="After the migration", body="Marigolds grew by the window")
    assert f'href="/posts/{later.first_post_id}"' in app.test_client().get("/search?q=marigolds").text
