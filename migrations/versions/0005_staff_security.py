"""staff security: second factors (authenticator app, recovery codes, passkeys), members' sessions,
welcomers, newcomer nudges and the community-health settings

Revision ID: 0005_staff_security
Revises: 0004_moderated_kinds

Every session now needs a row in user_sessions: members are asked to log in once more after
this migration (old cookies carry no session key).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_staff_security"
down_revision = "0004_moderated_kinds"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _user_fk(table: str, column: str = "user_id", ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete)


def upgrade():
    op.create_table(
        "totp_secrets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        _user_fk("totp_secrets"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_secrets")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        _user_fk("recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1024), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=2048), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_used_at", TZ, nullable=True),
        _user_fk("webauthn_credentials"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_webauthn_credentials_credential_id")),
    )
    op.create_index(op.f("ix_webauthn_credentials_user_id"), "webauthn_credentials", ["user_id"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("device_label", sa.String(length=80), nullable=False),
        sa.Column("generation", sa.String(length=16), nullable=False),
        sa.Column("second_factor", sa.String(length=12), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        _user_fk("user_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    op.create_index("ix_user_sessions_user_device", "user_sessions", ["user_id", "device_hash"])
    op.create_table(
        "welcomers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _user_fk("welcomers"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_welcomers")),
    )
    op.create_table(
        "newcomer_nudges",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("announced_at", TZ, nullable=False),
        sa.Column("welcomers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_newcomer_nudges_thread_id_threads"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_newcomer_nudges")),
    )
    op.create_table(
        "health_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nudge_hours", sa.Integer(), nullable=False),
        sa.Column("announce_to_welcomers", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _user_fk("health_settings", "updated_by_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_settings")),
    )
    # A plain ALTER on both engines: rebuilding moderation_items on SQLite (batch mode) with
    # foreign keys on would cascade-delete its reports.
    op.add_column("moderation_items", sa.Column("first_claimed_at", TZ, nullable=True))
    # The dashboard: new threads by time, first threads by author, queue items by kind and time.
    op.create_index("ix_threads_created_at", "threads", ["created_at"])
    op.create_index("ix_moderation_items_kind_created", "moderation_items", ["kind", "created_at"])
    op.create_index("ix_users_created_at", "users", ["created_at"])


def downgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_moderation_items_kind_created", table_name="moderation_items")
    op.drop_index("ix_threads_created_at", table_name="threads")
    op.drop_column("moderation_items", "first_claimed_at")  # SQLite ≥ 3.35 drops a column in place
    for table in ("health_settings", "newcomer_nudges", "welcomers", "user_sessions", "webauthn_credentials",
                  "recovery_codes", "totp_secrets"):
        op.drop_table(table)
