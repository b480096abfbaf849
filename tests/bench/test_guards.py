"""The benchmark tools' guards: loopback only, and never wipe a database with real members."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bench.common import (
    MARKER_TABLE, Refused, guard_database, is_loopback_host, require_loopback_database, require_loopback_url,
    write_marker,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_accepted(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("url", [
    "http://10.0.0.5:8000/", "http://192.168.1.2/", "http://93.184.216.34/", "http://0.0.0.0:8000/",
    "http://example.invalid/", "ftp://127.0.0.1/", "http://[2001:db8::1]/",
])
def test_non_loopback_targets_are_refused(url):
    with pytest.raises(Refused):
        require_loopback_url(url)


def test_loopback_target_is_accepted():
    assert require_loopback_url("http://127.0.0.1:8123/threads/1")


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@10.1.2.3:5432/bench", "postgresql+psycopg://u:p@db.example.invalid/bench",
])
def test_remote_databases_are_refused(url):
    with pytest.raises(Refused):
        require_loopback_database(url)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:5432/bench", "postgresql+psycopg://postgres@localhost/bench",
    "postgresql+psycopg:///bench?host=/var/run/postgresql", "sqlite:////tmp/bench.sqlite",
])
def test_local_databases_are_accepted(url):
    assert require_loopback_database(url) == url


def test_seeding_refuses_a_database_with_members_and_no_marker(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'real.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT)"))
        conn.execute(text("INSERT INTO users (username) VALUES ('a_real_member')"))
    with pytest.raises(Refused):
        guard_database(engine, force=False)
    assert guard_database(engine, force=True)["users"] == 1  # --force
    with engine.begin() as conn:
        write_marker(conn, "bench: test")
    assert guard_database(engine, force=False)["marker"] == "bench: test"
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {MARKER_TABLE}")).scalar_one() == 1
    engine.dispose()


def test_an_empty_database_may_be_seeded(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert guard_database(engine, force=False) == {"tables": False, "users": 0, "marker": None}
    engine.dispose()
