"""private messages: conversations, their members and messages, blocks, messaging preferences

Moderation items about a message need no change to moderation_items: they refer to it by
(content_kind='message', target_id) like every other kind (0004_moderated_kinds). So
moderation_items is not rebuilt (on SQLite a rebuild with foreign keys on deletes every
row of `reports` by cascade). Downgrade deletes the items about messages (their reports
go with them) before dropping the tables. threads, posts and stories are not touched
(see the CAUTION in 0002_search).

Revision ID: 0006_messages
Revises: 0005_staff_security
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_messages"
down_revision = "0005_staff_security"
branch_labels = None
depends_on = None

STATUS_CHECK = "status IN ('pending', 'published', 'hidden', 'rejected', 'removed', 'deleted')"


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


def downgrade():
    # Items about messages (and, by their foreign key, the reports on them) go with the messages;
    # audit rows keep their place (item_id SET NULL), as for any deleted item.
    op.execute("DELETE FROM moderation_items WHERE content_kind = 'message'")
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

