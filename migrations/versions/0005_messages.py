"""private messages: conversations, their members and messages, blocks, messaging preferences;
moderation items about a message (message_id)

MERGE(w14): the moderation_items part (a message_id column, 'pending_message' in the kind
CHECK, message_id in the one_target CHECK) is for today's queue; once items refer to their
content by (content_kind, target_id) it becomes: UPDATE moderation_items SET
content_kind = 'message', target_id = message_id WHERE message_id IS NOT NULL, then drop it.

SQLite: moderation_items is rebuilt ("move and copy") to change its CHECK constraints.
With foreign keys on, dropping the old table deletes every row of `reports` (ON DELETE
CASCADE) and nulls `moderation_actions.item_id` (SET NULL) — silently, and the second
breaks the append-only audit log. Both are saved before the rebuild and put back after
it (tests/messages/test_migration.py checks it on a board with reports and audit rows).
threads, posts and stories are not touched (see the CAUTION in 0002_search).

Revision ID: 0005_messages
Revises: 0003_crisis_care
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_messages"
down_revision = "0003_crisis_care"
branch_labels = None
depends_on = None

STATUS_CHECK = "status IN ('pending', 'published', 'hidden', 'rejected', 'removed', 'deleted')"
OLD_ONE_TARGET = ("(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")
NEW_ONE_TARGET = ("(CASE WHEN post_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN message_id IS NULL THEN 0 ELSE 1 END)"
                  " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1")
OLD_KINDS = "kind IN ('pending_post', 'pending_story', 'report', 'crisis')"
NEW_KINDS = "kind IN ('pending_post', 'pending_story', 'pending_message', 'report', 'crisis')"


def _fk(table: str, column: str, target: str, ondelete: str):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade():
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("from_moderators", sa.Boolean(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        _fk("conversations", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_created_by_id"), "conversations", ["created_by_id"])
    op.create_table(
        "conversation_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("as_moderators", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_read_message_id", sa.Integer(), nullable=False),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.CheckConstraint("state IN ('active', 'request', 'declined', 'left')",
                           name=op.f("ck_conversation_members_state_known")),
        _fk("conversation_members", "conversation_id", "conversations", "CASCADE"),
        _fk("conversation_members", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_members")),
        sa.UniqueConstraint("conversation_id", "user_id", name="uq_conversation_members_conversation_user"),
    )
    op.create_index("ix_conversation_members_inbox", "conversation_members",
                    ["user_id", "state", "archived", "last_activity_at", "conversation_id"])
    op.create_index("ix_conversation_members_unread", "conversation_members", ["user_id", "unread_count"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("as_moderators", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator_note", sa.Text(), nullable=False),
        sa.Column("original_source", sa.Text(), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_messages_status_known")),
        _fk("messages", "conversation_id", "conversations", "CASCADE"),
        _fk("messages", "author_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"])
    op.create_index("ix_messages_author_created", "messages", ["author_id", "created_at"])
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("blocked_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("user_id <> blocked_user_id", name=op.f("ck_blocks_not_self")),
        _fk("blocks", "user_id", "users", "CASCADE"),
        _fk("blocks", "blocked_user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
        sa.UniqueConstraint("user_id", "blocked_user_id", name="uq_blocks_user_blocked"),
    )
    op.create_index(op.f("ix_blocks_blocked_user_id"), "blocks", ["blocked_user_id"])
    op.create_table(
        "message_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("who_may_write", sa.String(length=12), nullable=False),
        sa.Column("mail_mode", sa.String(length=8), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("who_may_write IN ('members', 'known', 'moderators')",
                           name=op.f("ck_message_preferences_who_known")),
        sa.CheckConstraint("mail_mode IN ('each', 'daily', 'never')",
                           name=op.f("ck_message_preferences_mail_mode_known")),
        _fk("message_preferences", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_message_preferences")),
    )

    # MERGE(w14): see the docstring.
    def alter(batch):
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_moderation_items_message_id_messages"), "messages", ["message_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index(op.f("ix_moderation_items_message_id"), ["message_id"], unique=False)
        batch.drop_constraint(op.f("ck_moderation_items_one_target"), type_="check")
        batch.drop_constraint(op.f("ck_moderation_items_kind_known"), type_="check")
        batch.create_check_constraint("one_target", NEW_ONE_TARGET)
        batch.create_check_constraint("kind_known", NEW_KINDS)

    _alter_moderation_items(alter)


def downgrade():
    op.execute("DELETE FROM moderation_items WHERE message_id IS NOT NULL")

    def alter(batch):
        batch.drop_constraint(op.f("ck_moderation_items_one_target"), type_="check")
        batch.drop_constraint(op.f("ck_moderation_items_kind_known"), type_="check")
        batch.drop_index(op.f("ix_moderation_items_message_id"))
        batch.drop_constraint(op.f("fk_moderation_items_message_id_messages"), type_="foreignkey")
        batch.drop_column("message_id")
        batch.create_check_constraint("one_target", OLD_ONE_TARGET)
        batch.create_check_constraint("kind_known", OLD_KINDS)

    _alter_moderation_items(alter)
    op.drop_table("message_preferences")
    op.drop_index(op.f("ix_blocks_blocked_user_id"), table_name="blocks")
    op.drop_table("blocks")
    op.drop_index("ix_messages_author_created", table_name="messages")
    op.drop_index("ix_messages_conversation_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_conversation_members_unread", table_name="conversation_members")
    op.drop_index("ix_conversation_members_inbox", table_name="conversation_members")
    op.drop_table("conversation_members")
    op.drop_index(op.f("ix_conversations_created_by_id"), table_name="conversations")
    op.drop_table("conversations")


def _alter_moderation_items(alter) -> None:
    """Run `alter(batch)` on moderation_items; on SQLite keep the rows that point at it."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TABLE IF EXISTS _keep_reports")
        op.execute("DROP TABLE IF EXISTS _keep_action_items")
        op.execute("CREATE TEMP TABLE _keep_reports AS SELECT * FROM reports")
        op.execute("CREATE TEMP TABLE _keep_action_items AS "
                   "SELECT id, item_id FROM moderation_actions WHERE item_id IS NOT NULL")
    with op.batch_alter_table("moderation_items", recreate="auto") as batch:
        alter(batch)
    if sqlite:
        op.execute("INSERT INTO reports SELECT * FROM _keep_reports "
                   "WHERE id NOT IN (SELECT id FROM reports) AND item_id IN (SELECT id FROM moderation_items)")
        op.execute("UPDATE moderation_actions SET item_id = "
                   "(SELECT k.item_id FROM _keep_action_items k WHERE k.id = moderation_actions.id) "
                   "WHERE item_id IS NULL AND id IN (SELECT k.id FROM _keep_action_items k "
                   "WHERE k.item_id IN (SELECT id FROM moderation_items))")
        op.execute("DROP TABLE _keep_reports")
        op.execute("DROP TABLE _keep_action_items")
