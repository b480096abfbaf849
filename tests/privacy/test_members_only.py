"""Members-only topics: invisible to visitors and search engines, configurable per topic by an admin."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import ModerationAction, Topic
from tests.conftest import login

PLANNING = "planning-ahead-and-end-of-life"


def _hidden_from_visitors(response):
    """A visitor gets a 404, or is sent to log in; never the page."""
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]


def _topic(app, slug):
    with app.app_context():
        return db.session.scalar(select(Topic).where(Topic.slug == slug))


def test_planning_ahead_is_members_only_by_default(app, client, make):
    assert _topic(app, PLANNING).members_only is True
    thread = make.thread(make.user("bob"), topic=PLANNING, title="Talking to my kids about hospice",
                         body="Hospice conversations with my children")
    for url in (f"/topics/{PLANNING}", f"/threads/{thread.id}"):
        _hidden_from_visitors(client.get(url))
    assert "Planning ahead" not in client.get("/").get_data(as_text=True)
    assert "Talking to my kids" not in client.get("/search?q=hospice").get_data(as_text=True)
    login(client, make.user("alice"))
    page = client.get(f"/threads/{thread.id}")
    assert page.status_code == 200
    assert '<meta name="robots" content="noindex">' in page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in client.get(f"/topics/{PLANNING}").get_data(as_text=True)


def test_members_only_threads_never_in_visitors_search(client, make):
    make.thread(make.user("bob"), topic=PLANNING, title="Advance directive paperwork", body="Zyxwvut paperwork")
    r = client.get("/search?q=zyxwvut")
    assert r.status_code == 200 and "Advance directive paperwork" not in r.get_data(as_text=True)


def test_admin_toggles_members_only_with_audit(app, client, make):
    admin = make.user("boss", role="admin")
    login(client, admin)
    page = client.get("/moderation/topics")
    assert page.status_code == 200 and "Make members-only" in page.get_data(as_text=True)
    r = client.post("/moderation/topics/caregivers-and-family/members-only", data={"members_only": "on"})
    assert r.status_code == 302
    assert _topic(app, "caregivers-and-family").members_only is True
    client.post(f"/moderation/topics/{PLANNING}/members-only", data={"members_only": "off"})
    assert _topic(app, PLANNING).members_only is False
    with app.app_context():
        rows = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
        assert [(r.action, r.data) for r in rows] == [
            ("members_only_on", {"topic": "caregivers-and-family"}),
            ("members_only_off", {"topic": PLANNING}),
        ]
    assert client.post("/moderation/topics/caregivers-and-family/members-only",
                       data={"members_only": "maybe"}).status_code == 400
    assert client.post("/moderation/topics/no-such-topic/members-only",
                       data={"members_only": "on"}).status_code == 404
    client.post("/auth/logout")
    _hidden_from_visitors(client.get("/topics/caregivers-and-family"))
    assert client.get(f"/topics/{PLANNING}").status_code == 200


def test_members_and_moderators_cannot_toggle(app, client, make):
    for role in ("member", "moderator"):
        c = app.test_client()
        login(c, make.user(f"user-{role}", role=role))
        assert c.get("/moderation/topics").status_code == 403
        assert c.post(f"/moderation/topics/{PLANNING}/members-only", data={"members_only": "off"}).status_code == 403
    assert _topic(app, PLANNING).members_only is True
