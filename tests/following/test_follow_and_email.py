"""Follow a thread or topic → a reply → in-app notification and email (real SMTP) →
unsubscribe without logging in (a fetch alone changes nothing) → no more email."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.following import services
from board.models import Follow, NotificationSettings, utcnow
from tests.following.conftest import follows, get_thread, get_user, link_after, notes, path_of


def test_follow_reply_in_app_and_email_then_unsubscribe_link_stops_email(app, make, browser, smtp, deliver):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    carol = make.user("carol", display_name="Carol")
    thread = make.thread(alice, title="Liver mets on capecitabine")
    c = browser(carol)
    page = c.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert 'aria-pressed="false">Follow<span class="visually-hidden"> this thread' in page
    assert c.post(f"/threads/{thread.id}/follow").status_code == 302
    assert 'aria-pressed="true">Following' in c.get(f"/threads/{thread.id}").get_data(as_text=True)
    with app.app_context():
        (f,) = follows(carol)
        assert (f.thread_id, f.mode) == (thread.id, "each")

    reply = make.reply(bob, thread, body="Capecitabine worked for me for **two years**.")
    with app.app_context():
        (note,) = notes(carol, "reply")
        assert note.text == "Bob replied in “Liver mets on capecitabine”." and note.url == f"/posts/{reply.id}"
        # the thread's author follows it from the start: "replies to your thread"
        assert notes(alice, "reply")[0].text == "Bob replied to your thread “Liver mets on capecitabine”."
    assert deliver().sent == 2
    (mail,) = smtp.to("carol@example.org")
    body = smtp.body(mail)
    assert mail["Subject"] == "New reply in “Liver mets on capecitabine”"
    assert "Capecitabine worked for me for two years." in body and f"http://localhost/posts/{reply.id}" in body
    stop = link_after(body, "Stop emails about this thread:")
    assert mail["List-Unsubscribe"].strip() == f"<{stop}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop all notification emails: http://localhost/unsubscribe/" in body
    (to_alice,) = smtp.to("alice@example.org")
    assert to_alice["Subject"] == "New reply to your thread “Liver mets on capecitabine”"
    assert to_alice["List-Unsubscribe"].strip().startswith("<http://localhost/unsubscribe/")

    visitor = app.test_client()  # not logged in
    page = visitor.get(path_of(stop))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Yes, stop these emails" in text and "“Liver mets on capecitabine”" in text
    with app.app_context():
        assert follows(carol)[0].mode == "each"  # fetching the link (a mail scanner) changes nothing
    done = visitor.post(path_of(stop))
    assert done.status_code == 200 and "You're unsubscribed" in done.get_data(as_text=True)
    with app.app_context():
        assert follows(carol)[0].mode == "inapp"

    smtp.clear()
    make.reply(bob, thread, body="And a second reply")
    with app.app_context():
        assert len(notes(carol, "reply")) == 2  # still told in-app
    deliver()
    assert smtp.to("carol@example.org") == [] and len(smtp.to("alice@example.org")) == 1


@pytest.mark.csrf
def test_one_click_unsubscribe_post_needs_no_session_or_csrf_token(app, make, smtp, deliver):
    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(alice)
    make.reply(bob, thread)
    deliver()
    (mail,) = smtp.to("alice@example.org")
    url = mail["List-Unsubscribe"].strip().strip("<>")
    response = app.test_client().post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert follows(alice)[0].mode == "inapp"
        # ...while every other POST still needs its CSRF token
    assert app.test_client().post(f"/threads/{thread.id}/follow").status_code in (400, 302)


def test_bad_or_tampered_unsubscribe_links_change_nothing(app, make, client):
    alice = make.user("alice")
    thread = make.thread(alice)
    with app.app_context():
        token = services.unsubscribe_token(get_user(alice), follow=follows(alice)[0])
    for bad in (token[:-2] + "xx", "nonsense", "a" * 500):
        assert client.get(f"/unsubscribe/{bad}").status_code == 404
        assert client.post(f"/unsubscribe/{bad}").status_code == 404
    with app.app_context():
        assert follows(alice)[0].mode == "each" and follows(alice)[0].thread_id == thread.id
    # a follow that no longer exists: a kind page, nothing to do
    with app.app_context():
        db.session.delete(follows(alice)[0])
        db.session.commit()
    r = client.post(f"/unsubscribe/{token}")
    assert r.status_code == 200 and "no longer follow" in r.get_data(as_text=True)


def test_stop_all_link_pauses_every_notification_email(app, make, smtp, deliver):
    alice, bob = make.user("alice"), make.user("bob")
    first, second = make.thread(alice), make.thread(alice)
    make.reply(bob, first)
    deliver()
    (mail,) = smtp.to("alice@example.org")
    stop_all = link_after(smtp.body(mail), "Stop all notification emails:")
    visitor = app.test_client()
    assert "all notification emails" in visitor.get(path_of(stop_all)).get_data(as_text=True)
    assert visitor.post(path_of(stop_all)).status_code == 200
    with app.app_context():
        assert db.session.get(NotificationSettings, alice.id).mail_paused is True
    smtp.clear()
    make.reply(bob, first, body="Another reply here")
    make.reply(bob, second, body="A reply over there")
    deliver()
    assert smtp.to("alice@example.org") == []
    with app.app_context():
        assert len(notes(alice, "reply")) == 3  # in-app carries on


def test_posting_in_a_thread_follows_it_and_unfollowing_is_a_toggle(app, make, browser):
    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(alice)
    with app.app_context():
        assert [f.thread_id for f in follows(alice)] == [thread.id]
        assert follows(bob) == []
    make.reply(bob, thread, body="First reply")
    make.reply(bob, thread, body="Second reply")
    with app.app_context():
        assert [f.thread_id for f in follows(bob)] == [thread.id]  # once, however often they post
    c = browser(bob)
    assert c.post(f"/threads/{thread.id}/follow").status_code == 302
    with app.app_context():
        assert follows(bob) == []
    make.reply(alice, thread)
    with app.app_context():
        assert notes(bob) == []


def test_pending_reply_follows_and_notifies_only_once_approved(app, make):
    from board.forum.services import create_reply
    from board.models import ModerationItem
    from board.moderation import decisions

    alice, newbie, mod = make.user("alice"), make.user("newbie", trust_level=0), make.user("mod", role="moderator")
    thread = make.thread(alice)
    with app.app_context():
        post = create_reply(get_user(newbie), get_thread(thread), "My first reply")
        db.session.commit()
        assert post.status == "pending"
        assert notes(alice, "reply") == [] and follows(newbie) == []
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.kind == "pending_post"))
        decisions.approve(item, get_user(mod))
        db.session.commit()
        assert len(notes(alice, "reply")) == 1 and len(follows(newbie)) == 1
        decisions.undo(item, get_user(mod))
        db.session.commit()
        decisions.approve(db.session.get(ModerationItem, item.id), get_user(mod))
        db.session.commit()
        assert len(notes(alice, "reply")) == 1  # exactly once, whichever path


def test_topic_follow_tells_of_new_threads(app, make, browser, smtp, deliver):
    alice, carol = make.user("alice", display_name="Alice"), make.user("carol")
    c = browser(carol)
    assert 'aria-pressed="false">Follow' in c.get("/topics/bone-metastases").get_data(as_text=True)
    assert c.post("/topics/bone-metastases/follow").status_code == 302
    assert 'aria-pressed="true">Following' in c.get("/topics/bone-metastases").get_data(as_text=True)
    thread = make.thread(alice, topic="bone-metastases", title="Denosumab and teeth")
    make.thread(alice, topic="newly-diagnosed", title="Somewhere else entirely")
    make.reply(alice, thread)  # replies aren't new threads
    with app.app_context():
        (note,) = notes(carol)
        assert note.kind == "new_thread" and note.text == "Alice started “Denosumab and teeth” in Bone metastases."
    deliver()
    (mail,) = smtp.to("carol@example.org")
    assert mail["Subject"] == "New thread in Bone metastases: Denosumab and teeth"
    assert "Stop emails about this topic:" in smtp.body(mail)
    assert c.post("/topics/bone-metastases/follow").status_code == 302
    with app.app_context():
        assert follows(carol) == []


def test_visitors_cannot_follow_and_members_only_topics_need_login(app, make, client):
    thread = make.thread(make.user("alice"))
    assert client.post(f"/threads/{thread.id}/follow").status_code == 302  # to the login page
    assert client.post("/topics/planning-ahead-and-end-of-life/follow").status_code == 302
    assert client.post("/topics/no-such-topic/follow").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Follow).where(Follow.topic_id.is_not(None))) is None
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "/follow" not in page


def test_memorial_and_deleted_members_get_nothing(app, make, smtp, deliver):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    thread = make.thread(alice)
    make.reply(carol, thread)  # carol follows too
    deliver()
    with app.app_context():
        get_user(alice).memorial_at = utcnow()
        get_user(carol).deleted_at = utcnow()
        db.session.commit()
    smtp.clear()
    make.reply(bob, thread)
    deliver()
    assert smtp.messages == []
    with app.app_context():
        assert len(notes(alice, "reply")) == 1 and notes(carol, "reply") == []  # only carol's, from before


def test_settings_page_changes_modes_default_and_pause(app, make, browser, count_queries):
    alice, carol = make.user("alice"), make.user("carol")
    threads = [make.thread(alice, title=f"Thread about thing {i}") for i in range(3)]
    c = browser(carol)
    for t in threads:
        c.post(f"/threads/{t.id}/follow")
    c.post("/topics/bone-metastases/follow")
    page = c.get("/settings/notifications").get_data(as_text=True)
    for t in threads:
        assert t.title in page
    assert page.count("<fieldset") == 5 and page.count("<legend>") == 5
    with app.app_context():
        ids = [f.id for f in follows(carol)]
    form = {"default_mode": "weekly", "mail_paused": "y", f"mode-{ids[0]}": "daily", f"mode-{ids[1]}": "off",
            f"mode-{ids[2]}": "inapp", f"mode-{ids[3]}": "each"}
    assert c.post("/settings/notifications", data=form).status_code == 302
    with app.app_context():
        assert [(f.id, f.mode) for f in follows(carol)] == [(ids[0], "daily"), (ids[2], "inapp"), (ids[3], "each")]
        s = db.session.get(NotificationSettings, carol.id)
        assert (s.default_mode, s.mail_paused) == ("weekly", True)
    new = make.thread(alice, title="One more thread here")
    c.post(f"/threads/{new.id}/follow")
    with app.app_context():
        assert follows(carol)[-1].mode == "weekly"  # the new default

    bad = c.post("/settings/notifications", data={"default_mode": "weekly", f"mode-{ids[0]}": "hourly"})
    assert bad.status_code == 400 and "Please choose one of the options" in bad.get_data(as_text=True)
    assert c.post("/settings/notifications", data={"default_mode": "sometimes"}).status_code == 400
    with app.app_context():
        assert follows(carol)[0].mode == "daily"

    # a constant number of queries, however many follows
    with count_queries() as few:
        c.get("/settings/notifications")
    for i in range(15):
        c.post(f"/threads/{make.thread(alice, title=f'Another thread {i}').id}/follow")
    with count_queries() as many:
        c.get("/settings/notifications")
    assert len(few) == len(many)


def test_someone_elses_follow_ids_are_ignored(app, make, browser):
    alice, carol = make.user("alice"), make.user("carol")
    make.thread(alice)
    with app.app_context():
        (theirs,) = follows(alice)
    c = browser(carol)
    assert c.post("/settings/notifications", data={"default_mode": "each", f"mode-{theirs.id}": "off"}).status_code == 302
    with app.app_context():
        assert len(follows(alice)) == 1


def test_settings_page_never_shows_the_title_of_a_thread_that_was_hidden(app, make, browser):
    from board.forum.services import set_post_status
    from board.models import HIDDEN, Post

    alice, carol = make.user("alice"), make.user("carol")
    thread = make.thread(alice, title="A title that will be hidden")
    c = browser(carol)
    c.post(f"/threads/{thread.id}/follow", follow_redirects=True)  # (the flash names it, while visible)
    with app.app_context():
        set_post_status(db.session.get(Post, thread.first_post_id), HIDDEN)
        db.session.commit()
        token = services.unsubscribe_token(get_user(carol), follow=follows(carol)[0])
    page = c.get("/settings/notifications").get_data(as_text=True)
    assert "A title that will be hidden" not in page and "no longer available" in page
    assert "A title that will be hidden" not in app.test_client().get(f"/unsubscribe/{token}").get_data(as_text=True)
