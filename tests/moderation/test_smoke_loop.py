"""The whole loop by hand: a new member posts, a moderator approves, everyone sees it."""
from board.extensions import db
from board.models import Thread

from tests.moderation.conftest import actions, items


def test_new_member_post_goes_round_the_whole_loop(app, make, newbie, moderator, browser):
    author = browser(newbie)
    mod = browser(moderator)
    anon = app.test_client()

    r = author.post("/topics/newly-diagnosed/new", data={"title": "Hello from a new member", "body": "Just found you all."})
    assert r.status_code == 302
    thread_url = r.headers["Location"]
    page = author.get(thread_url).get_data(as_text=True)
    assert "Awaiting review — a moderator will look at it soon" in page
    assert anon.get(thread_url).status_code == 404
    assert "Hello from a new member" not in anon.get("/topics/newly-diagnosed").get_data(as_text=True)

    queue = mod.get("/moderation")
    assert queue.status_code == 200
    body = queue.get_data(as_text=True)
    assert "Just found you all." in body
    with app.app_context():
        (item,) = items(kind="pending_post")
        item_id = item.id
    page = mod.get(f"/moderation/items/{item_id}")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert mod.post(f"/moderation/items/{item_id}/claim").status_code == 302
    r = mod.post(f"/moderation/items/{item_id}/approve")
    assert r.status_code == 302
    assert anon.get(thread_url).status_code == 200
    assert "Hello from a new member" in anon.get("/topics/newly-diagnosed").get_data(as_text=True)
    with app.app_context():
        assert [a.action for a in actions()] == ["approve"]
        thread = db.session.scalar(db.select(Thread))
        assert thread.status == "published" and thread.topic.thread_count == 1
    notes = author.get("/notifications").get_data(as_text=True)
    assert "was approved" in notes
