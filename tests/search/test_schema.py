"""The index lives in the database and follows the content in the same transaction."""
from __future__ import annotations

from sqlalchemy import inspect, text

from board.extensions import db


def test_search_objects_exist_after_all_migrations(app):
    """A later batch migration of threads/posts/stories on SQLite drops these triggers: recreate them."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")))
            for fts in ("search_threads", "search_posts", "search_stories"):
                assert {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"} <= names, fts
        else:
            inspector = inspect(db.engine)
            for table in ("threads", "posts", "stories"):
                assert "search_vector" in {c["name"] for c in inspector.get_columns(table)}
                assert f"ix_{table}_search_vector" in {i["name"] for i in inspector.get_indexes(table)}


def test_edits_and_deletes_reach_the_index(app, make, kit):
    from board.forum import services
    from board.models import Post, Story, Thread, User

    author = make.user()
    thread = make.thread(author, title="Palbociclib", body="Palbociclib neutropenia question.")
    story = kit.story(author, title="Abemaciclib", body="Abemaciclib diarrhoea tips.")
    with app.app_context():
        editor = db.session.get(User, author.id)
        services.edit_post(editor, db.session.get(Post, thread.first_post_id), "Now about ribociclib instead.",
                           title="Ribociclib")
        db.session.get(Story, story).body_source = "Now about neratinib."
        db.session.commit()
    assert kit.ids("palbociclib") == [] and kit.ids("diarrhoea") == []
    assert set(kit.ids("ribociclib")) == {("thread", thread.id), ("post", thread.first_post_id)}
    assert kit.ids("neratinib") == [("story", story)]
    with app.app_context():
        db.session.delete(db.session.get(Story, story))
        db.session.delete(db.session.get(Thread, thread.id))  # posts go with it (ON DELETE CASCADE)
        db.session.commit()
    assert kit.ids("ribociclib") == [] and kit.ids("neratinib") == []
    if kit.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():  # the external-content index is still consistent
            for fts in ("search_threads", "search_posts", "search_stories"):
                db.session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
