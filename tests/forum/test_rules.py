"""Bad input, permissions and limits on forum pages."""
import pytest

from tests.conftest import session_login

from sqlalchemy import func, select

from board.extensions import db
from board.models import Post, Thread


def test_new_thread_errors_keep_the_text(client, make, login_as):
    login_as(make.user())
    r = client.post("/topics/chemotherapy/new", data={"title": "Hey", "body": "My words that must not be lost"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Titles are 5 to 150 characters." in page
    assert "My words that must not be lost" in page
    r = client.post("/topics/chemotherapy/new", data={"title": "A good title", "body": "   "})
    assert r.status_code == 400
    assert "Please write something before posting." in r.get_data(as_text=True)
    r = client.post("/topics/chemotherapy/new", data={"title": "A good title", "body": "x" * 20_001})
    assert r.status_code == 400
    assert "20,000" in r.get_data(as_text=True)


def test_body_control_characters_are_removed(app, client, make, login_as):
    login_as(make.user())
    client.post("/topics/chemotherapy/new", data={"title": "Control chars", "body": "one\x00two\x07three\nfour"})
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert post.body_source == "onetwothree\nfour"


def test_editing_or_deleting_someone_elses_post_is_forbidden(app, client, make, login_as):
    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(alice)
    login_as(bob)
    assert client.get(f"/posts/{thread.first_post_id}/edit").status_code == 403
    assert client.post(f"/posts/{thread.first_post_id}/edit", data={"body": "hijack"}).status_code == 403
    assert client.post(f"/posts/{thread.first_post_id}/delete").status_code == 403
    with app.app_context():
        assert db.session.get(Post, thread.first_post_id).body_source == "Opening post"


def test_unknown_things_are_404(client):
    for url in ("/topics/no-such-topic", "/threads/999999", "/posts/999999/edit", "/users/nobody-here",
                "/threads/12abc", "/posts/abc/history", "/topics/no-such-topic/new"):
        assert client.get(url).status_code in (404, 302), url
    assert client.get("/threads/999999").status_code == 404
    assert client.get("/users/nobody-here").status_code == 404


def test_anonymous_visitors_must_log_in_to_write(client, make):
    thread = make.thread(make.user())
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "hi"})
    assert r.status_code == 302 and "/auth/login" in r.location
    assert "/auth/login" in client.get("/topics/chemotherapy/new").location


@pytest.mark.csrf
def test_missing_csrf_token_is_refused_and_nothing_stored(app, client, make):
    user = make.user("alice")
    r = client.post("/auth/login", data={"username": "alice", "password": "correct horse battery staple"})
    assert r.status_code == 400
    session_login(app, client, user)
    r = client.post("/topics/chemotherapy/new", data={"title": "No token here", "body": "text"})
    assert r.status_code == 400
    assert "nothing was saved" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_locked_thread_refuses_replies_but_keeps_text(app, client, make, login_as):
    alice = make.user("alice")
    thread = make.thread(alice)
    with app.app_context():
        db.session.get(Thread, thread.id).locked = True
        db.session.commit()
    login_as(make.user("bob"))
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "My reply text"})
    assert r.status_code == 403
    assert "My reply text" in r.get_data(as_text=True)


def test_silenced_member_sees_why_and_keeps_text(app, client, make, login_as):
    from datetime import timedelta

    from board.models import User, utcnow

    bob = make.user("bob")
    thread = make.thread(make.user("alice"))
    with app.app_context():
        db.session.get(User, bob.id).silenced_until = utcnow() + timedelta(days=1)
        db.session.commit()
    login_as(bob)
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "Words I care about"})
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "paused your posting" in page and "Words I care about" in page


def test_quote_of_a_post_from_another_thread_is_404(client, make, login_as):
    alice = make.user("alice")
    t1, t2 = make.thread(alice), make.thread(alice)
    login_as(alice)
    assert client.get(f"/threads/{t1.id}/reply?quote={t2.first_post_id}").status_code == 404


def test_members_only_topic_is_invisible_to_visitors(client, make):
    alice = make.user("alice")
    thread = make.thread(alice, topic="planning-ahead-and-end-of-life", title="Talking to my kids")
    home = client.get("/").get_data(as_text=True)
    assert "Planning ahead and end of life" not in home
    assert client.get("/topics/planning-ahead-and-end-of-life").status_code == 302
    assert client.get(f"/threads/{thread.id}").status_code == 302
    assert "Talking to my kids" not in client.get("/users/alice").get_data(as_text=True)


def test_unverified_member_is_told_why_there_is_no_reply_box(client, make, login_as):
    thread = make.thread(make.user("alice"))
    login_as(make.user("newbie", verified=False))
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Please confirm your email address before you post" in page
    assert 'href="/auth/verify/resend"' in page
    assert 'id="reply"' not in page


def test_a_title_in_another_script_still_gets_a_working_address(client, make, login_as):
    login_as(make.user("alice"))
    r = client.post("/topics/newly-diagnosed/new", data={"title": "Привет всем друзьям", "body": "Hello from Kyiv"})
    assert r.status_code == 302
    assert client.get(r.location).status_code == 200
    page = client.get("/topics/newly-diagnosed").get_data(as_text=True)
    assert "Привет всем друзьям" in page
    import re

    link = re.search(r'href="(/threads/\d+[^"]*)"', page).group(1)
    assert client.get(link).status_code == 200
