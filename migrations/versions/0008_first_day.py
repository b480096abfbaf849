"""a newcomer's first day: guidelines accepted, welcome done, last login, time zone, theme

Plain ADD COLUMN on every engine (no batch rebuild of users on SQLite).

Revision ID: 0008_first_day
Revises: 0007_gestures
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_first_day"
down_revision = "0007_gestures"
branch_labels = None
depends_on = None

COLUMNS = (
    ("guidelines_accepted_at", lambda: sa.Column("guidelines_accepted_at", sa.DateTime(timezone=True), nullable=True)),
    ("welcomed_at", lambda: sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=True)),
    ("last_login_at", lambda: sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True)),
    ("time_zone", lambda: sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="")),
    ("theme", lambda: sa.Column("theme", sa.String(length=10), nullable=False, server_default="auto")),
)


def upgrade():
    for _name, column in COLUMNS:
        op.add_column("users", column())
    # Members who joined before this revision have had their first day: no welcome page for them,
    # and their next login says "welcome back" (the true last login is unknown; joining is a lower bound).
    op.execute("UPDATE users SET welcomed_at = created_at, last_login_at = created_at")


def downgrade():
    # Plain DROP COLUMN (SQLite >= 3.35): rebuilding users in batch mode with foreign keys on
    # would cascade-delete everything that belongs to a member.
    for name, _column in reversed(COLUMNS):
        op.drop_column("users", name)
