"""'This helped me' (now the "helped" reaction at its old address): one per member, toggles, count shown, POST with CSRF."""
import re

import pytest

from board.extensions import db
from board.models import Story


def _count(app, story_id):
    with app.app_context():
        return db.session.get(Story, story_id).helped_count


def test_this_helped_me_counts_once_per_member(app, client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    login_as(make.user("bob"))
    for _ in range(3):
        assert client.post(f"/stories/{story_id}/helped", data={"helped": "1"}).status_code == 302
    assert _count(app, story_id) == 1
    page = client.get(f"/stories/{story_id}").text
    assert "1 person found this helpful" in page and 'aria-pressed="true"' in page
    client.post("/auth/logout")
    login_as(make.user("carol"))
    client.post(f"/stories/{story_id}/helped", data={"helped": "1"})
    assert _count(app, story_id) == 2
    assert "2 people found this helpful" in client.get(f"/stories/{story_id}").text


def test_this_helped_me_toggles_off_and_on(app, client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    login_as(make.user("bob"))
    client.post(f"/stories/{story_id}/helped")
    assert _count(app, story_id) == 1
    client.post(f"/stories/{story_id}/helped")
    assert _count(app, story_id) == 0
    client.post(f"/stories/{story_id}/helped", data={"helped": "0"})  # removing twice stays at zero
    assert _count(app, story_id) == 0


def test_authors_and_visitors_cannot_mark_helpful(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice)
    r = client.post(f"/stories/{story_id}/helped")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login_as(alice)
    client.post(f"/stories/{story_id}/helped")
    assert _count(app, story_id) == 0


def test_cannot_mark_a_story_that_is_not_published(app, client, make, login_as, make_story):
    story_id = make_story(make.user("alice"), status="pending")
    login_as(make.user("bob"))
    assert client.post(f"/stories/{story_id}/helped").status_code == 404
    assert _count(app, story_id) == 0


@pytest.mark.csrf
def test_helped_and_withdraw_need_a_csrf_token(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice)
    page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"username": "alice", "password": "correct horse battery staple",
                                     "csrf_token": token})
    assert client.post(f"/stories/{story_id}/withdraw").status_code == 400
    with app.app_context():
        assert db.session.get(Story, story_id).status == "published"
    story_page = client.get(f"/stories/{story_id}").text
    assert 'name="csrf_token"' in story_page
