"""0007_gestures moves every "This helped me" into the "helped" reaction (and back), keeping the
counts, and leaves the search triggers in place."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from board import create_app
from board.extensions import db
from tests.conftest import TEST_DATABASE_URL, _base_config

USER = ("INSERT INTO users (id, username, password_hash, role, trust_level, session_token, created_at, display_name,"
        " city, region, identity, bio_source, bio_html, text_size, post_count, approved_post_count,"
        " suspension_reason, country) VALUES (:id, :name, '', 'member', 1, :name, '2026-01-01', '', '', '', '', '',"
        " '', 'normal', 0, 0, '', '')")
STORY = ("INSERT INTO stories (id, author_id, title, body_source, body_html, status, prompt, signature_style,"
         " sig_first_name, sig_last_initial, sig_city, sig_region, signature, created_at, updated_at, featured,"
         " helped_count, moderator_note, pending_edit_returned) VALUES (1, 1, 'Seed story', 'words', '<p>words</p>',"
         " 'published', '', 'first', '', '', '', '', 'A', '2026-01-01', '2026-01-01', false, 2, '', false)")


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="runs on its own SQLite file")
def test_story_reactions_become_helped_reactions_and_back(tmp_path):
    app = create_app(_base_config(f"sqlite:///{tmp_path / 'm.sqlite'}"))
    with app.app_context():
        upgrade(revision="0006_messages")
        with db.engine.begin() as conn:
            for uid, name in ((1, "author"), (2, "reader1"), (3, "reader2")):
                conn.execute(text(USER), {"id": uid, "name": name})
            conn.execute(text(STORY))
            for uid in (2, 3):
                conn.execute(text("INSERT INTO story_reactions (story_id, user_id, created_at) "
                                  "VALUES (1, :u, '2026-02-01')"), {"u": uid})
        upgrade(revision="0007_gestures")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT story_id, user_id, kind, post_id FROM reactions ORDER BY user_id")).all()
            assert [tuple(r) for r in rows] == [(1, 2, "helped", None), (1, 3, "helped", None)]
            assert conn.execute(text("SELECT helped_count FROM stories")).scalar() == 2
            triggers = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))}
            assert {"search_posts_ai", "search_posts_au", "search_posts_ad", "search_stories_au"} <= triggers
        downgrade(revision="0006_messages")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT story_id, user_id FROM story_reactions ORDER BY user_id")).all()
            assert [tuple(r) for r in back] == [(1, 2), (1, 3)]
            triggers = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))}
            assert {"search_posts_ai", "search_posts_au", "search_stories_au"} <= triggers
        db.engine.dispose()
