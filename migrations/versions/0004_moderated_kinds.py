"""moderation items point at their content by (content_kind, target_id) instead of post_id / story_id

The queue no longer names each kind of content in its table: a new kind
(messages, images) registers an adapter (board/moderation/kinds.py) and needs no
column here. Existing rows move: post_id → ("post", post_id), story_id →
("story", story_id). CHECK constraints keep the pair whole, keep exactly one of
content or member, and tie a pending item to its kind ('pending_' || content_kind).

Self-contained: no other table changes (on SQLite only moderation_items is
rebuilt, so the search triggers of 0002 on posts and stories are untouched).

SQLite rebuilds the table (copy, drop, rename). With foreign keys on (as the
app's connections have them), dropping the old table would delete its reports
(ON DELETE CASCADE) and clear the audit log's item_id (SET NULL), so both are
copied aside first and put back after, in the same transaction.

Revision ID: 0004_moderated_kinds
Revises: 0003_crisis_care
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_moderated_kinds"
down_revision = "0003_crisis_care"
branch_labels = None
depends_on = None

TABLE = "moderation_items"
ONE_TARGET = ("(CASE WHEN target_id IS NULL THEN 0 ELSE 1 END)"
              " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")
TARGET_PAIR = "(content_kind IS NULL) = (target_id IS NULL)"
KIND_KNOWN = "kind IN ('report', 'crisis') OR kind = 'pending_' || content_kind"

OLD_ONE_TARGET = ("(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")
OLD_KIND_KNOWN = "kind IN ('pending_post', 'pending_story', 'report', 'crisis')"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _keep_references() -> None:
    if _sqlite():
        op.execute("CREATE TEMP TABLE keep_reports_0003 AS SELECT * FROM reports")
        op.execute("CREATE TEMP TABLE keep_actions_0003 AS SELECT id, item_id FROM moderation_actions "
                   "WHERE item_id IS NOT NULL")


def _restore_references() -> None:
    if _sqlite():
        op.execute("INSERT INTO reports SELECT * FROM keep_reports_0003 WHERE id NOT IN (SELECT id FROM reports) "
                   f"AND item_id IN (SELECT id FROM {TABLE})")
        op.execute("UPDATE moderation_actions SET item_id = (SELECT k.item_id FROM keep_actions_0003 AS k "
                   "WHERE k.id = moderation_actions.id) WHERE item_id IS NULL AND id IN (SELECT k.id FROM "
                   f"keep_actions_0003 AS k WHERE k.item_id IN (SELECT id FROM {TABLE}))")
        op.execute("DROP TABLE keep_reports_0003")
        op.execute("DROP TABLE keep_actions_0003")


def upgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("target_id", sa.Integer(), nullable=True))

    op.execute(f"UPDATE {TABLE} SET content_kind = 'post', target_id = post_id WHERE post_id IS NOT NULL")
    op.execute(f"UPDATE {TABLE} SET content_kind = 'story', target_id = story_id WHERE story_id IS NOT NULL")

    _keep_references()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_one_target"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_kind_known"), type_="check")
        batch_op.drop_index(batch_op.f("ix_moderation_items_post_id"))
        batch_op.drop_index(batch_op.f("ix_moderation_items_story_id"))
        batch_op.drop_constraint(batch_op.f("fk_moderation_items_post_id_posts"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_moderation_items_story_id_stories"), type_="foreignkey")
        batch_op.drop_column("post_id")
        batch_op.drop_column("story_id")
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=24),
                              existing_nullable=False)
        batch_op.create_check_constraint(batch_op.f("ck_moderation_items_target_pair"), TARGET_PAIR)
        batch_op.create_check_constraint(batch_op.f("ck_moderation_items_one_target"), ONE_TARGET)
        batch_op.create_check_constraint(batch_op.f("ck_moderation_items_kind_known"), KIND_KNOWN)
        batch_op.create_index("ix_moderation_items_target", ["content_kind", "target_id"], unique=False)
    _restore_references()


def downgrade():
    # Items about content of other kinds (messages, images) can't be expressed in the old table.
    op.execute(f"DELETE FROM {TABLE} WHERE content_kind IS NOT NULL AND content_kind NOT IN ('post', 'story')")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("story_id", sa.Integer(), nullable=True))

    op.execute(f"UPDATE {TABLE} SET post_id = target_id WHERE content_kind = 'post'")
    op.execute(f"UPDATE {TABLE} SET story_id = target_id WHERE content_kind = 'story'")
    # Rows whose content was deleted meanwhile would break the restored foreign keys.
    op.execute(f"DELETE FROM {TABLE} WHERE post_id IS NOT NULL AND post_id NOT IN (SELECT id FROM posts)")
    op.execute(f"DELETE FROM {TABLE} WHERE story_id IS NOT NULL AND story_id NOT IN (SELECT id FROM stories)")

    _keep_references()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_items_target")
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_kind_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_one_target"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_moderation_items_target_pair"), type_="check")
        batch_op.drop_column("content_kind")
        batch_op.drop_column("target_id")
        batch_op.alter_column("kind", existing_type=sa.String(length=24), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_moderation_items_post_id_posts"), "posts", ["post_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_foreign_key(batch_op.f("fk_moderation_items_story_id_stories"), "stories", ["story_id"],
                                    ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_moderation_items_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderation_items_story_id"), ["story_id"], unique=False)
        batch_op.create_check_constraint(batch_op.f("ck_moderation_items_one_target"), OLD_ONE_TARGET)
        batch_op.create_check_constraint(batch_op.f("ck_moderation_items_kind_known"), OLD_KIND_KNOWN)
    _restore_references()
