"""Operator commands, the health check and the migrations."""
from sqlalchemy import func, select

from board.extensions import db
from board.models import Post, Thread, Topic, User


def test_seed_creates_the_topics_once(app, runner):
    for _ in range(2):
        r = runner.invoke(args=["seed"])
        assert r.exit_code == 0, r.output
    with app.app_context():
        slugs = list(db.session.scalars(select(Topic.slug).order_by(Topic.position)))
    assert len(slugs) == 17
    assert slugs[:2] == ["newly-diagnosed", "bone-metastases"]
    for slug in ("clinical-trials", "complementary-approaches", "living-with-mbc", "her2-positive-and-targeted-therapy",
                 "planning-ahead-and-end-of-life"):
        assert slug in slugs


def test_seed_demo_is_idempotent_and_prints_moderator_login(app, runner):
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        threads = db.session.scalar(select(func.count(Thread.id)))
        posts = db.session.scalar(select(func.count(Post.id)))
        moderators = db.session.scalar(select(func.count(User.id)).where(User.role == "moderator"))
    assert threads >= 6 and posts > threads and moderators >= 1
    assert "moderator" in first.output.lower() and "password" in first.output.lower()
    second = runner.invoke(args=["seed", "--demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == threads


def test_users_create_and_set_role(app, runner):
    r = runner.invoke(args=["users", "create", "modjane", "--email", "jane@example.org",
                            "--password", "a long good password", "--role", "moderator"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "modjane"))
        assert user.role == "moderator" and user.email_verified_at is not None
        token = user.session_token
    r = runner.invoke(args=["users", "set-role", "modjane", "admin"])
    assert r.exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "modjane"))
        assert user.role == "admin" and user.session_token != token


def test_users_create_refuses_bad_input_clearly(runner):
    r = runner.invoke(args=["users", "create", "x", "--email", "bad", "--password", "short"])
    assert r.exit_code != 0
    assert "Usernames are 3 to 30 characters" in r.output
    r = runner.invoke(args=["users", "set-role", "ghost", "admin"])
    assert r.exit_code != 0 and "No member called" in r.output


def test_content_rerender_rebuilds_stored_html(app, runner, make):
    thread = make.thread(make.user(), body="**bold**")
    with app.app_context():
        db.session.get(Post, thread.first_post_id).body_html = "<p>stale</p>"
        db.session.commit()
    r = runner.invoke(args=["content", "rerender"])
    assert r.exit_code == 0 and "posts 1" in r.output
    with app.app_context():
        assert db.session.get(Post, thread.first_post_id).body_html == "<p><strong>bold</strong></p>"


def test_healthz_reports_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database():
    from board import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1",
    })
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.json["database"] == "unavailable"


def test_pages_answer_503_not_500_when_the_database_is_down():
    from board import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1",
    })
    r = app.test_client().get("/")
    assert r.status_code == 503
    assert "briefly unavailable" in r.get_data(as_text=True)


def test_models_and_migrations_agree(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from board.search import include_name  # the search index is made by 0002_search, not the models

    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_error_pages_have_a_way_back(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    page = r.get_data(as_text=True)
    assert "We couldn" in page and 'href="/"' in page
    assert "not medical advice" in page


def test_member_posting_while_the_database_is_gone_gets_503_with_their_text(app, client, make, login_as):
    """Even for a logged-in member (whose page header needs the database) the outage page
    renders, and the words they were posting are shown back to them."""
    import os

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        import pytest

        pytest.skip("simulated by moving the SQLite file away; PostgreSQL outages are in bench/load_posting.py")
    thread = make.thread(make.user("alice"))
    login_as(make.user("bob"))
    path = app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]
    os.rename(path, path + ".away")
    with app.app_context():
        db.engine.dispose()
    try:
        r = client.post(f"/threads/{thread.id}/reply", data={"body": "Words that must survive an outage"})
        assert r.status_code == 503
        page = r.get_data(as_text=True)
        assert "briefly unavailable" in page
        assert "Words that must survive an outage" in page
    finally:
        with app.app_context():
            db.engine.dispose()
        os.replace(path + ".away", path)
