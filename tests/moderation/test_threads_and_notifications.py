"""Thread actions (lock, pin, move, rename) and the notification list."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import Notification, Thread, Topic
from tests.moderation.conftest import actions


def _topic(slug):
    return db.session.scalar(select(Topic).where(Topic.slug == slug))


def test_lock_stops_replies_and_unlock_reopens(app, make, member, moderator, browser):
    thread = make.thread(make.user("host"))
    mod = browser(moderator)
    page = mod.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f"/moderation/threads/{thread.id}/lock" in page
    assert mod.post(f"/moderation/threads/{thread.id}/lock").status_code == 302
    c = browser(member)
    assert c.post(f"/threads/{thread.id}/reply", data={"body": "Hello?"}).status_code == 403
    mod.post(f"/moderation/threads/{thread.id}/unlock")
    assert c.post(f"/threads/{thread.id}/reply", data={"body": "Hello again"}).status_code == 302
    with app.app_context():
        assert [a.action for a in actions()] == ["lock", "unlock"]


def test_pin_puts_thread_first(app, make, moderator, browser):
    host = make.user("host")
    old = make.thread(host, title="Old pinned thread")
    make.thread(host, title="Newer thread")
    browser(moderator).post(f"/moderation/threads/{old.id}/pin")
    page = app.test_client().get("/topics/newly-diagnosed").get_data(as_text=True)
    assert page.index("Old pinned thread") < page.index("Newer thread")
    browser(moderator).post(f"/moderation/threads/{old.id}/unpin")
    with app.app_context():
        assert [a.action for a in actions()] == ["pin", "unpin"]


def test_move_keeps_counters_right(app, make, moderator, browser):
    host = make.user("host")
    thread = make.thread(host, title="Thread that moves", replies=2)
    with app.app_context():
        bone_id = _topic("bone-metastases").id
    r = browser(moderator).post(f"/moderation/threads/{thread.id}/move", data={"topic": str(bone_id), "reason": "Fits"})
    assert r.status_code == 302
    with app.app_context():
        src, dst = _topic("newly-diagnosed"), _topic("bone-metastases")
        assert (src.thread_count, src.post_count, src.last_thread_id) == (0, 0, None)
        assert (dst.thread_count, dst.post_count, dst.last_thread_id) == (1, 3, thread.id)
        (a,) = actions("move")
        assert a.before_text == "Newly diagnosed" and a.after_text == "Bone metastases"


def test_rename_keeps_before_and_after(app, make, moderator, browser):
    thread = make.thread(make.user("host"), title="Speling mistake")
    c = browser(moderator)
    assert c.get(f"/moderation/threads/{thread.id}").status_code == 200
    assert c.post(f"/moderation/threads/{thread.id}/rename", data={"title": "x"}).status_code == 400
    assert c.post(f"/moderation/threads/{thread.id}/rename", data={"title": "Spelling fixed"}).status_code == 302
    with app.app_context():
        assert db.session.get(Thread, thread.id).title == "Spelling fixed"
        (a,) = actions("rename")
        assert (a.before_text, a.after_text) == ("Speling mistake", "Spelling fixed")


def test_notifications_list_unread_count_and_mark_read(app, make, member, browser):
    thread = make.thread(member, title="My own thread")
    make.reply(make.user("friend", display_name="Friendly"), thread, body="Hugs")
    c = browser(member)
    home = c.get("/").get_data(as_text=True)
    assert 'class="badge">1<' in home
    page = c.get("/notifications").get_data(as_text=True)
    assert "Friendly replied to your thread" in page and "unread" in page
    assert c.post("/notifications/read").status_code == 302
    assert 'class="badge"' not in c.get("/").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_follows_its_link(app, make, member, browser):
    with app.app_context():
        n = Notification(user_id=member.id, kind="x", text="Look here", url="/topics/newly-diagnosed")
        evil = Notification(user_id=member.id, kind="x", text="Offsite", url="//evil.example")
        db.session.add_all([n, evil])
        db.session.commit()
        ids = n.id, evil.id
    c = browser(member)
    r = c.post(f"/notifications/{ids[0]}/open")
    assert r.headers["Location"].endswith("/topics/newly-diagnosed")
    assert c.post(f"/notifications/{ids[1]}/open").headers["Location"].endswith("/notifications")
    other = browser(make.user("nosy"))
    assert other.post(f"/notifications/{ids[0]}/open").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, ids[0]).read_at is not None


def test_anonymous_visitors_are_sent_to_log_in(app):
    r = app.test_client().get("/notifications")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_moderation_pages_are_noindex(app, moderator, browser):
    page = browser(moderator).get("/moderation").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in page


def test_profile_links_moderators_to_member_actions(app, member, moderator, browser):
    assert "/users/regular/moderate" in browser(moderator).get("/users/regular").get_data(as_text=True)
    assert "/users/regular/moderate" not in browser(member).get("/users/regular").get_data(as_text=True)
