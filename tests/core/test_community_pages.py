"""The community pages (about, guidelines, privacy, help): everyone reads them, admins edit
them in the app, every earlier version is kept; the register form links them and records
that the member accepted the guidelines."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import SitePage, SitePageRevision, User

SLUGS = ("about", "guidelines", "privacy", "help")


@pytest.mark.parametrize("slug", SLUGS)
def test_community_pages_render_for_visitors_and_are_linked_from_the_footer(client, slug):
    r = client.get(f"/{slug}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<h1>" in page and "not medical advice" in page
    assert f'href="/{slug}"' in client.get("/").get_data(as_text=True)


def test_defaults_say_what_circle_needs_readers_to_know(client):
    assert "first posts" in client.get("/guidelines").get_data(as_text=True)
    assert "Health details" in client.get("/privacy").get_data(as_text=True)
    assert "988" in client.get("/help").get_data(as_text=True)
    assert "moderators" in client.get("/about").get_data(as_text=True)


def test_only_admins_edit_and_every_version_is_kept(app, client, make, login_as):
    login_as(make.user("member1"))
    assert client.get("/guidelines/edit").status_code in (403, 404)
    assert client.post("/guidelines/edit", data={"title": "x", "body": "y"}).status_code in (403, 404)
    client.post("/auth/logout")
    login_as(make.user("mod1", role="moderator"))
    assert client.post("/guidelines/edit", data={"title": "x", "body": "y"}).status_code in (403, 404)
    client.post("/auth/logout")
    login_as(make.user("admin1", role="admin"))
    assert client.get("/guidelines/edit").status_code == 200
    r = client.post("/guidelines/edit", data={"title": "Our rules", "body": "## Be kind\n\nAlways."})
    assert r.status_code == 302
    r = client.post("/guidelines/edit", data={"title": "Our rules", "body": "## Be kind\n\nAlways, please."})
    assert r.status_code == 302
    page = client.get("/guidelines").get_data(as_text=True)
    assert "Always, please." in page and ">Be kind</h" in page
    edit = client.get("/guidelines/edit").get_data(as_text=True)
    assert "Earlier versions" in edit and "Always.</pre>" in edit
    with app.app_context():
        stored = db.session.scalar(select(SitePage).where(SitePage.slug == "guidelines"))
        assert len(db.session.scalars(select(SitePageRevision).where(SitePageRevision.page_id == stored.id)).all()) == 1


def test_an_empty_body_is_a_form_error_and_the_title_is_kept(client, make, login_as):
    login_as(make.user("admin1", role="admin"))
    r = client.post("/help/edit", data={"title": "Help for members", "body": "   "})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "can&#39;t be empty" in page or "can't be empty" in page
    assert 'value="Help for members"' in page


def test_unknown_pages_are_404(client):
    assert client.get("/rules").status_code == 404
    assert client.get("/moderator-guide").status_code == 404


def test_registering_needs_the_guidelines_and_records_when(app, client):
    r = client.get("/auth/register").get_data(as_text=True)
    assert 'href="/guidelines"' in r and 'href="/privacy"' in r
    data = {"username": "maryg", "email": "mary@example.org", "password": "correct horse battery staple"}
    r = client.post("/auth/register", data=data)
    assert r.status_code == 400 and "tick the box" in r.get_data(as_text=True)
    r = client.post("/auth/register", data={**data, "accept_guidelines": "y"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "maryg"))
        assert user.guidelines_accepted_at is not None


def test_seed_stores_the_community_pages_once(app, runner):
    runner.invoke(args=["seed"])
    runner.invoke(args=["seed"])
    with app.app_context():
        slugs = set(db.session.scalars(select(SitePage.slug)))
    assert set(SLUGS) | {"moderator-guide"} <= slugs
