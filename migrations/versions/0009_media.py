"""pictures: images (cleaned, content-addressed), media blobs (MEDIA_STORAGE=database), users.avatar_media

Plain ADD COLUMN on users (no batch rebuild of users on SQLite: its foreign keys would
cascade-delete members' rows); new tables only otherwise.

Revision ID: 0009_media
Revises: 0008_first_day
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_media"
down_revision = "0008_first_day"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_images_owner_id_users",
                                                          ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("thumb_name", sa.String(80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(500), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("content_kind", sa.String(16), nullable=True),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(40), nullable=True),
        sa.Column("moderator_note", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
    )
    op.create_index("ix_images_owner_id", "images", ["owner_id"])
    op.create_index("ix_images_name", "images", ["name"])
    op.create_index("ix_images_thumb_name", "images", ["thumb_name"])
    op.create_index("ix_images_status", "images", ["status"])
    op.create_index("ix_images_token", "images", ["token"])
    op.create_index("ix_images_content", "images", ["content_kind", "content_id"])
    op.create_table(
        "media_blobs",
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_media_blobs"),
    )
    op.add_column("users", sa.Column("avatar_media", sa.String(80), nullable=True))


def downgrade():
    op.drop_column("users", "avatar_media")
    op.drop_table("media_blobs")
    for name in ("ix_images_content", "ix_images_token", "ix_images_status", "ix_images_thumb_name",
                 "ix_images_name", "ix_images_owner_id"):
        op.drop_index(name, table_name="images")
    op.drop_table("images")
