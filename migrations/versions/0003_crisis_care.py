"""crisis care: the member's country (for helplines), crisis watched phrases, site pages (the moderators' guide)

Revision ID: 0003_crisis_care
Revises: 0002_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_crisis_care"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("country", sa.String(length=2), nullable=False, server_default=""))
    with op.batch_alter_table("watched_words") as batch:
        batch.drop_constraint(op.f("ck_watched_words_action_known"), type_="check")
        batch.create_check_constraint("action_known", "action IN ('block', 'review', 'flag', 'crisis')")
    op.create_table(
        "site_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_site_pages_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_site_pages_slug")),
    )
    op.create_table(
        "site_page_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["page_id"], ["site_pages.id"], name=op.f("fk_site_page_revisions_page_id_site_pages"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["editor_id"], ["users.id"], name=op.f("fk_site_page_revisions_editor_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_page_revisions")),
    )
    op.create_index("ix_site_page_revisions_page", "site_page_revisions", ["page_id", "id"])


def downgrade():
    op.drop_index("ix_site_page_revisions_page", table_name="site_page_revisions")
    op.drop_table("site_page_revisions")
    op.drop_table("site_pages")
    with op.batch_alter_table("watched_words") as batch:
        batch.drop_constraint(op.f("ck_watched_words_action_known"), type_="check")
        batch.create_check_constraint("action_known", "action IN ('block', 'review', 'flag')")
    op.drop_column("users", "country")  # in place: a batch rebuild of users would cascade-delete members' rows
