"""gestures: reactions on posts and stories (absorbing "This helped me"), replies to a post,
bookmarks, server-side drafts

* New tables `reactions`, `bookmarks`, `drafts`.
* Counter columns on `posts` (react_love, react_hugs, react_thinking, react_helped,
  react_strength, and `reply_to_id`) and `stories` (react_love, react_hugs,
  react_thinking, react_strength; "This helped" keeps using `helped_count`).
  Added with plain `op.add_column` (on SQLite a plain ALTER TABLE ADD COLUMN, which
  does not rebuild the table, so 0002_search's FTS triggers stay in place).
* Every `story_reactions` row ("This helped me") becomes a `reactions` row of kind
  "helped" on the same story, then `story_reactions` is dropped; `helped_count` is
  unchanged, so no count is lost. The downgrade moves them back.

Revision ID: 0007_gestures
Revises: 0006_messages
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_gestures"
down_revision = "0006_messages"
branch_labels = None
depends_on = None

POST_COUNTERS = ("react_love", "react_hugs", "react_thinking", "react_helped", "react_strength")
STORY_COUNTERS = ("react_love", "react_hugs", "react_thinking", "react_strength")


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade():
    for name in POST_COUNTERS:
        op.add_column("posts", _counter(name))
    op.add_column("posts", sa.Column("reply_to_id", sa.Integer(), nullable=True))
    for name in STORY_COUNTERS:
        op.add_column("stories", _counter(name))

    op.create_table(
        "reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(post_id IS NULL) <> (story_id IS NULL)", name=op.f("ck_reactions_one_target")),
        sa.CheckConstraint("kind IN ('love', 'hugs', 'thinking', 'helped', 'strength')",
                           name=op.f("ck_reactions_kind_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reactions_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_reactions_post_id_posts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_reactions_story_id_stories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint("post_id", "user_id", "kind", name="uq_reactions_post_user_kind"),
        sa.UniqueConstraint("story_id", "user_id", "kind", name="uq_reactions_story_user_kind"),
    )
    op.create_index("ix_reactions_user_post", "reactions", ["user_id", "post_id"])

    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN thread_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_bookmarks_one_target"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookmarks_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_bookmarks_post_id_posts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_bookmarks_thread_id_threads"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_bookmarks_story_id_stories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
        sa.UniqueConstraint("user_id", "post_id", name="uq_bookmarks_user_post"),
        sa.UniqueConstraint("user_id", "thread_id", name="uq_bookmarks_user_thread"),
        sa.UniqueConstraint("user_id", "story_id", name="uq_bookmarks_user_story"),
    )
    op.create_index("ix_bookmarks_post_id", "bookmarks", ["post_id"])
    op.create_index("ix_bookmarks_thread_id", "bookmarks", ["thread_id"])
    op.create_index("ix_bookmarks_story_id", "bookmarks", ["story_id"])

    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("user_id", "place", name="uq_drafts_user_place"),
    )
    op.create_index("ix_drafts_updated_at", "drafts", ["updated_at"])

    # "This helped me" becomes the "helped" reaction; stories.helped_count already counts them.
    op.execute(
        "INSERT INTO reactions (user_id, story_id, kind, created_at) "
        "SELECT user_id, story_id, 'helped', created_at FROM story_reactions ORDER BY id"
    )
    op.drop_index("ix_story_reactions_story_id", table_name="story_reactions")
    op.drop_index("ix_story_reactions_user_id", table_name="story_reactions")
    op.drop_table("story_reactions")


def downgrade():
    op.create_table(
        "story_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_story_reactions_story_id_stories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_story_reactions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_reactions")),
        sa.UniqueConstraint("story_id", "user_id", name="uq_story_reactions_story_user"),
    )
    op.create_index("ix_story_reactions_story_id", "story_reactions", ["story_id"])
    op.create_index("ix_story_reactions_user_id", "story_reactions", ["user_id"])
    op.execute(
        "INSERT INTO story_reactions (story_id, user_id, created_at) "
        "SELECT story_id, user_id, created_at FROM reactions WHERE kind = 'helped' AND story_id IS NOT NULL "
        "ORDER BY id"
    )
    op.drop_index("ix_drafts_updated_at", table_name="drafts")
    op.drop_table("drafts")
    for name in ("ix_bookmarks_story_id", "ix_bookmarks_thread_id", "ix_bookmarks_post_id"):
        op.drop_index(name, table_name="bookmarks")
    op.drop_table("bookmarks")
    op.drop_index("ix_reactions_user_post", table_name="reactions")
    op.drop_table("reactions")
    # Plain ALTER TABLE DROP COLUMN (SQLite >= 3.35 too): no table rebuild, the FTS triggers stay.
    for name in STORY_COUNTERS:
        op.drop_column("stories", name)
    op.drop_column("posts", "reply_to_id")
    for name in POST_COUNTERS:
        op.drop_column("posts", name)
