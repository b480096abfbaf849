"""A production first run: `make serve`'s set-up step (`flask setup`: migrations, then the base
seed) on an empty database leaves a working site — the home page lists the topics, the pages
exist, no demo content — and says how to create the first admin. On SQLite always, and on
PostgreSQL when TEST_DATABASE_URL is set (in a database of its own, made and dropped here)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from board import create_app
from board.extensions import db
from tests.conftest import TEST_DATABASE_URL, _base_config

TOPICS = [entry["title"] for entry in json.loads(
    (Path(__file__).resolve().parents[2] / "board" / "data" / "topics.json").read_text(encoding="utf-8"))
          if not entry.get("members_only")]  # visitors see the public ones


def _sqlite(tmp_path):
    yield f"sqlite:///{tmp_path / 'empty.sqlite'}"


def _postgresql():
    name = f"circle_first_run_{uuid.uuid4().hex[:8]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "postgresql":
        if not TEST_DATABASE_URL:
            pytest.skip("PostgreSQL: set TEST_DATABASE_URL")
        yield from _postgresql()
    else:
        yield from _sqlite(tmp_path)


def test_setup_on_an_empty_database_serves_the_topics_and_says_how_to_make_an_admin(empty_database):
    from board.models import CannedReason, SitePage, User, WatchedWord

    app = create_app(_base_config(empty_database))
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["setup"])
        assert result.exit_code == 0, result.output
        assert "No admin yet" in result.output and "--role admin" in result.output
        home = app.test_client().get("/")
        assert home.status_code == 200
        page = home.get_data(as_text=True)
        for title in TOPICS:
            assert title.replace("'", "&#39;") in page
        assert app.test_client().get("/guidelines").status_code == 200
        with app.app_context():
            assert db.session.scalar(select(func.count(WatchedWord.id))) > 0
            assert db.session.scalar(select(func.count(CannedReason.id))) > 0
            assert {"about", "guidelines", "privacy", "help", "moderator-guide"} <= set(
                db.session.scalars(select(SitePage.slug)))
            assert db.session.scalar(select(func.count(User.id))) == 0  # never demo content

        again = runner.invoke(args=["setup"])  # every deployment runs it: nothing doubles
        assert again.exit_code == 0 and "Topics: 0 created." in again.output
        assert runner.invoke(args=["users", "create", "root", "--email", "root@example.org", "--password",
                                   "a long admin passphrase 1", "--role", "admin"]).exit_code == 0
        assert "No admin yet" not in runner.invoke(args=["setup"]).output
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_before_any_seed_the_home_page_works_and_nothing_is_seeded(tmp_path):
    """Migrations alone create no watched phrases or canned reasons (only `seed`/`setup` do)."""
    from flask_migrate import upgrade

    from board.models import CannedReason, WatchedWord

    app = create_app(_base_config(f"sqlite:///{tmp_path / 'bare.sqlite'}"))
    with app.app_context():
        upgrade()
        assert db.session.scalar(select(func.count(WatchedWord.id))) == 0
        assert db.session.scalar(select(func.count(CannedReason.id))) == 0
        db.session.remove()
    assert app.test_client().get("/").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_demo_passwords_can_be_printed_again(app, runner):
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0 and "circle_mod" in first.output
    again = runner.invoke(args=["seed", "--demo", "--reset-passwords"])
    assert again.exit_code == 0 and "Fresh demo logins" in again.output
    password = again.output.split("moderator: circle_mod  password: ")[1].split()[0]
    r = app.test_client().post("/auth/login", data={"username": "circle_mod", "password": password})
    assert r.status_code == 302
