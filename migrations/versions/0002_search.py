"""full-text search: FTS5 tables and triggers (SQLite), tsvector columns and GIN indexes (PostgreSQL)

Hand-written (0001_initial is rebuilt from the models; these objects are not in
the models, and `board.search.include_name` keeps them out of model/database
comparisons and autogenerate).

SQLite: three external-content FTS5 tables index the text where it lives
(threads.title, posts.body_source, stories.title + stories.body_source), kept in
step by AFTER INSERT/UPDATE/DELETE triggers, so the index changes in the same
transaction as the content and no service code can forget it. Every row is
indexed whatever its status; `board.visibility` filters at query time, so a
status change needs no re-indexing.

PostgreSQL: a generated `search_vector tsvector` column (English configuration)
on the same three tables, with a GIN index each.

CAUTION for later migrations: on SQLite, a batch ("move and copy") alteration of
threads, posts or stories drops that table's triggers. Recreate them afterwards
(copy the statements below); tests/search/test_schema.py fails if any is missing.

Revision ID: 0002_search
Revises: 0001_initial
"""
from alembic import op

revision = "0002_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TOKENIZE = "porter unicode61 remove_diacritics 2"

# table -> (FTS table, indexed columns)
SQLITE_INDEXES = {
    "threads": ("search_threads", ("title",)),
    "posts": ("search_posts", ("body_source",)),
    "stories": ("search_stories", ("title", "body_source")),
}

POSTGRES_VECTORS = {
    "threads": "to_tsvector('english'::regconfig, coalesce(title, ''))",
    "posts": "to_tsvector('english'::regconfig, coalesce(body_source, ''))",
    "stories": (
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(body_source, '')), 'B')"
    ),
}


def _sqlite_statements(table: str, fts: str, columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        f"tokenize='{TOKENIZE}')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        # index what is already there
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, (fts, columns) in SQLITE_INDEXES.items():
            for statement in _sqlite_statements(table, fts, columns):
                op.execute(statement)
    elif dialect == "postgresql":
        for table, expression in POSTGRES_VECTORS.items():
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                f"GENERATED ALWAYS AS ({expression}) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")
    else:  # pragma: no cover
        raise NotImplementedError(f"search is not set up for {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for _table, (fts, _columns) in SQLITE_INDEXES.items():
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif dialect == "postgresql":
        for table in POSTGRES_VECTORS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
