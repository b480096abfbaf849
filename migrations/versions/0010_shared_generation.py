"""shared_generation: the members' shared page parts' generation, bumped in each content write's transaction

Read by the page's first query (the user loader's), so a member's page no longer asks Redis
for it on every view; one row, id 1, starting at a random value (never a value an older
database could have had in a cache that outlived it).

Revision ID: 0010_shared_generation
Revises: 0009_media
"""
import random

import sqlalchemy as sa
from alembic import op

revision = "0010_shared_generation"
down_revision = "0009_media"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "shared_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shared_generation"),
    )
    op.bulk_insert(table, [{"id": 1, "value": random.randrange(1 << 32, 1 << 52)}])


def downgrade():
    op.drop_table("shared_generation")
