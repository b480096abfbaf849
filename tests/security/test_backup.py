"""`flask --app board backup PATH` and `restore PATH` (SQLite online backup API; pg_dump for PostgreSQL)."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import User
from tests.conftest import TEST_DATABASE_URL

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite backup (this run uses PostgreSQL)")
postgres_only = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL")


def _usernames(app):
    with app.app_context():
        return sorted(db.session.scalars(select(User.username)))


@sqlite_only
def test_backup_then_restore_brings_the_data_back(app, runner, make, tmp_path):
    make.user("alice")
    make.user("bella")
    target = tmp_path / "backups" / "circle.sqlite"
    r = runner.invoke(args=["backup", str(target)])
    assert r.exit_code == 0, r.output
    assert "Backed up" in r.output and target.exists()
    with sqlite3.connect(target) as conn:
        assert sorted(row[0] for row in conn.execute("SELECT username FROM users")) == ["alice", "bella"]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    make.user("carol")
    with app.app_context():
        db.session.delete(db.session.scalar(select(User).where(User.username == "alice")))
        db.session.commit()
    assert _usernames(app) == ["bella", "carol"]

    r = runner.invoke(args=["restore", str(target), "--yes"])
    assert r.exit_code == 0, r.output
    assert _usernames(app) == ["alice", "bella"]


@sqlite_only
def test_backup_refuses_to_overwrite_unless_forced(runner, tmp_path):
    target = tmp_path / "exists.sqlite"
    target.write_text("keep me")
    r = runner.invoke(args=["backup", str(target)])
    assert r.exit_code != 0 and "already exists" in r.output and target.read_text() == "keep me"
    assert runner.invoke(args=["backup", str(target), "--force"]).exit_code == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


@sqlite_only
def test_restore_asks_first(app, runner, make, tmp_path):
    make.user("alice")
    target = tmp_path / "b.sqlite"
    runner.invoke(args=["backup", str(target)])
    make.user("bella")
    r = runner.invoke(args=["restore", str(target)], input="n\n")
    assert r.exit_code != 0 and "replaces ALL data" in r.output
    assert _usernames(app) == ["alice", "bella"]


@sqlite_only
def test_restore_refuses_a_file_that_is_not_a_circle_database(app, runner, make, tmp_path):
    make.user("alice")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    r = runner.invoke(args=["restore", str(junk), "--yes"])
    assert r.exit_code != 0 and "not a readable SQLite database" in r.output
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    r = runner.invoke(args=["restore", str(other), "--yes"])
    assert r.exit_code != 0 and "doesn't look like a Circle database" in r.output
    assert _usernames(app) == ["alice"]


@postgres_only
def test_postgres_backup_uses_pg_dump(runner, make, tmp_path):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    make.user("alice")
    target = tmp_path / "circle.dump"
    r = runner.invoke(args=["backup", str(target)])
    assert r.exit_code == 0, r.output
    assert "pg_dump" in r.output and target.read_bytes().startswith(b"PGDMP")


@postgres_only
def test_postgres_backup_without_pg_dump_says_so_and_fails(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    r = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
    assert r.exit_code != 0 and "pg_dump isn't installed" in r.output
