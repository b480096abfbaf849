"""Trust levels, pre-moderation, link and duplicate limits, crisis care — through the real posting service."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from board.extensions import db
from board.models import Notification, Post, Thread, Topic, utcnow
from board.moderation import decisions, lists
from board.models.moderation import PRIORITY_URGENT
from tests.moderation.conftest import items, user


def _new_thread(client, title="A question from me", body="Is anyone else on this drug?"):
    return client.post("/topics/newly-diagnosed/new", data={"title": title, "body": body})


def test_new_member_post_waits_for_review_and_is_invisible_to_others(app, make, newbie, member, browser):
    author, other, anon = browser(newbie), browser(member), app.test_client()
    r = _new_thread(author, title="Pending thread title")
    assert r.status_code == 302
    url = r.headers["Location"]
    assert "Awaiting review — a moderator will look at it soon" in author.get(url).get_data(as_text=True)
    for c in (other, anon):
        assert c.get(url).status_code == 404
        assert "Pending thread title" not in c.get("/topics/newly-diagnosed").get_data(as_text=True)
        assert "Pending thread title" not in c.get("/").get_data(as_text=True)
        assert "Pending thread title" not in c.get("/users/newbie").get_data(as_text=True)
    assert "Pending thread title" in author.get("/users/newbie").get_data(as_text=True)
    with app.app_context():
        (item,) = items()
        assert item.kind == "pending_post" and item.subject_user_id == newbie.id
        assert db.session.scalar(select(Topic).where(Topic.slug == "newly-diagnosed")).thread_count == 0


def test_new_member_reply_is_pending_until_approved_then_counted(app, make, newbie, member, moderator):
    thread = make.thread(member)
    with app.app_context():
        from board.forum.services import create_reply

        post = create_reply(user(newbie), db.session.get(Thread, thread.id), "My first reply")
        db.session.commit()
        assert post.status == "pending"
        assert db.session.get(Thread, thread.id).post_count == 1
        item = items(kind="pending_post")[0]
        decisions.approve(item, user(moderator))
        db.session.commit()
        assert db.session.get(Post, post.id).status == "published"
        t = db.session.get(Thread, thread.id)
        assert t.post_count == 2 and t.last_post_id == post.id
        assert user(newbie).approved_post_count == 1
        # the thread's author hears about the reply once it is public
        assert db.session.scalar(select(Notification).where(Notification.user_id == member.id,
                                                            Notification.kind == "reply"))


def test_members_post_straight_away(app, make, member):
    thread = make.thread(member)
    assert thread.status == "published"
    with app.app_context():
        assert items() == []


def test_promotion_after_three_approved_posts_and_two_days(app, make, moderator):
    old = make.user("oldtimer", trust_level=0)
    with app.app_context():
        u = user(old)
        u.created_at = utcnow() - timedelta(days=3)
        db.session.commit()
    thread = make.thread(make.user("host"))
    with app.app_context():
        from board.forum.services import create_reply

        for n in range(3):
            create_reply(user(old), db.session.get(Thread, thread.id), f"Reply number {n}")
        db.session.commit()
        for item in items(kind="pending_post"):
            decisions.approve(item, user(moderator))
        db.session.commit()
        assert user(old).trust_level == 1
        assert db.session.scalar(select(Notification).where(Notification.user_id == old.id,
                                                            Notification.kind == "trust"))


def test_no_promotion_before_two_days(app, make, moderator):
    young = make.user("young", trust_level=0)
    thread = make.thread(make.user("host"))
    with app.app_context():
        from board.forum.services import create_reply

        for n in range(3):
            create_reply(user(young), db.session.get(Thread, thread.id), f"Reply number {n}")
        db.session.commit()
        for item in items(kind="pending_post"):
            decisions.approve(item, user(moderator))
        db.session.commit()
        assert user(young).trust_level == 0
        # …but once two days have passed, the next post finds them promoted
        u = user(young)
        u.created_at = utcnow() - timedelta(days=3)
        post = create_reply(u, db.session.get(Thread, thread.id), "Now I post straight away")
        db.session.commit()
        assert post.status == "published" and user(young).trust_level == 1


def test_new_member_with_too_many_links_is_refused_and_keeps_text(app, newbie, browser):
    c = browser(newbie)
    body = "Look https://a.org https://b.org https://c.org"
    r = _new_thread(c, body=body)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "up to 2 links" in page and "https://c.org" in page
    with app.app_context():
        assert db.session.scalar(select(Post)) is None


def test_same_post_twice_within_ten_minutes_is_refused(app, make, member, browser):
    thread = make.thread(make.user("host"))
    c = browser(member)
    text = "Sending love to everyone waiting for scan results this week. You are not alone."
    assert c.post(f"/threads/{thread.id}/reply", data={"body": text}).status_code == 302
    r = c.post(f"/threads/{thread.id}/reply", data={"body": text})
    assert r.status_code == 400
    assert "a few minutes ago" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Thread, thread.id).post_count == 2


def test_blocked_phrase_is_refused_with_a_message_and_the_text_stays(app, member, browser):
    with app.app_context():
        lists.seed_moderation()
        db.session.commit()
    c = browser(member)
    r = _new_thread(c, body="You can cure your cancer naturally with my tea")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "isn&#39;t allowed here" in page or "isn't allowed here" in page
    assert "with my tea" in page


def test_review_phrase_holds_a_members_post(app, member, browser):
    with app.app_context():
        lists.seed_moderation()
        db.session.commit()
    r = _new_thread(browser(member), body="Has anyone heard of this miracle cure?")
    assert r.status_code == 302
    with app.app_context():
        (item,) = items()
        assert item.kind == "pending_post" and any("miracle cure" in reason for reason in item.reasons)


def test_flag_phrase_publishes_and_queues(app, member, browser):
    with app.app_context():
        lists.seed_moderation()
        db.session.commit()
    r = _new_thread(browser(member), body="My sister went with diet instead of chemo.")
    assert r.status_code == 302
    with app.app_context():
        (item,) = items()
        assert item.kind == "report" and db.session.get(Post, item.target_id).status == "published"


def test_crisis_post_is_published_queued_urgent_and_author_sees_kind_notice(app, make, newbie, moderator, browser):
    c = browser(newbie)  # even a new member's crisis post is never held back
    r = _new_thread(c, title="I can't do this", body="I can't go on any more. I want to end it all.")
    assert r.status_code == 302
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "988" in page and "notice-crisis" in page
    with app.app_context():
        (item,) = items()
        assert item.kind == "crisis" and item.priority == PRIORITY_URGENT
        post = db.session.get(Post, item.target_id)
        assert post.status == "published"
        # moderators are alerted in their notifications
        assert db.session.scalar(select(Notification).where(Notification.user_id == moderator.id,
                                                            Notification.kind == "urgent_item"))
    anon = app.test_client()
    assert anon.get(r.headers["Location"]).status_code == 200


def test_crisis_notice_text_is_configurable(app, member, browser):
    app.config["BOARD_CRISIS_TEXT"] = "Call the special local line 12345."
    c = browser(member)
    r = _new_thread(c, body="Honestly I feel suicidal today")
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "Call the special local line 12345." in page


def test_ordinary_post_shows_no_crisis_notice(app, member, browser):
    c = browser(member)
    r = _new_thread(c, body="The chemo is killing me this week, any tips for nausea?")
    assert "notice-crisis" not in c.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert items() == []


def test_crisis_first_moderator_sees_authors_recent_posts(app, make, member, moderator, browser):
    make.thread(member, title="Earlier thread of mine", body="Earlier words about my week")
    c = browser(member)
    _new_thread(c, body="I want to die")
    with app.app_context():
        (item,) = items(kind="crisis")
    page = browser(moderator).get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "Earlier words about my week" in page and "Someone may be at risk" in page


def test_edit_of_returned_post_goes_back_to_review(app, make, newbie, moderator, browser):
    c = browser(newbie)
    _new_thread(c, body="First version")
    with app.app_context():
        (item,) = items()
        decisions.reject(item, user(moderator), "Please remove the phone number.")
        db.session.commit()
        post_id = item.target_id
    assert c.post(f"/posts/{post_id}/edit", data={"title": "A question from me", "body": "Second version"}).status_code == 302
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.status == "pending"
        open_items = items(state="open")
        assert len(open_items) == 1 and open_items[0].target_id == post_id
