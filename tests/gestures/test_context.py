"""Replies in context: every link to a post opens the thread page that holds it, with its
neighbours, at the post; "Reply" on a post quotes it and links back."""
from __future__ import annotations

import re

from sqlalchemy import select

from board.extensions import db
from board.models import MailMessage, Notification, Post
from tests.conftest import login


def _open(client, url):
    """Follow a link to a post; return (thread page URL with its fragment, page text)."""
    r = client.get(url)
    assert r.status_code == 302, r.status_code
    location = r.headers["Location"]
    page = client.get(location.split("#")[0])
    assert page.status_code == 200
    return location, page.text


def _post_ids(page):
    return [int(n) for n in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', page)]


def test_two_post_thread_shows_the_question_with_the_reply(app, client, make, login_as):
    alice = make.user("alice")
    thread = make.thread(alice, body="What should I ask my oncologist?")
    reply = make.reply(make.user("bob"), thread, "Ask about side effects.")
    location, page = _open(client, f"/posts/{reply.id}")
    assert location.endswith(f"#post-{reply.id}") and "from=" not in location
    assert _post_ids(page) == [thread.first_post_id, reply.id]
    assert "What should I ask my oncologist?" in page and "Earlier posts" not in page


def test_a_post_in_the_middle_of_a_long_thread_opens_with_its_neighbours(app, client, make):
    thread = make.thread(make.user("alice"), replies=80, reply_author=make.user("bob"))
    first = thread.first_post_id
    middle = first + 40
    location, page = _open(client, f"/posts/{middle}")
    ids = _post_ids(page)
    assert middle in ids and middle - 3 in ids and middle + 3 in ids
    assert ids.index(middle) == 3 and location.endswith(f"#post-{middle}")
    assert "Earlier posts" in page and "Later posts" in page
    # near the end: the last page, so the newest posts are all there
    location, page = _open(client, f"/posts/{first + 78}")
    assert "page=last" in location and _post_ids(page)[-1] == first + 80
    # near the start: the first page, the opening post included
    location, page = _open(client, f"/posts/{first + 10}")
    assert _post_ids(page)[0] == first


def test_jump_to_the_newest_lands_on_the_newest_post(app, client, make):
    thread = make.thread(make.user("alice"), replies=30, reply_author=make.user("bob"))
    page = client.get(f"/threads/{thread.id}").text
    href = re.search(r'href="([^"]+)">Jump to the newest post', page).group(1).replace("&amp;", "&")
    assert href.endswith(f"#post-{thread.last_post_id}")
    assert thread.last_post_id in _post_ids(client.get(href.split("#")[0]).text)


def test_after_replying_the_member_lands_on_their_reply_with_a_confirmation(app, client, make, login_as):
    thread = make.thread(make.user("alice"), body="The question")
    login_as(make.user("bob"))
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "My answer"})
    assert r.status_code == 302 and re.search(r"/posts/\d+$", r.headers["Location"])
    location, page = _open(client, r.headers["Location"])
    with app.app_context():
        new_id = db.session.scalar(select(Post.id).where(Post.body_source == "My answer"))
    assert location.endswith(f"#post-{new_id}")
    assert "Your reply is posted" in page
    assert _post_ids(page) == [thread.first_post_id, new_id]


def test_a_notification_opens_the_post_in_its_thread(app, client, make):
    thread = make.thread(make.user("alice"), body="Opening words")
    make.user("june")
    june = app.test_client()
    login(june, "june")
    june.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    reply = make.reply(make.user("bob"), thread, "A reply to notify about")
    login(client, "alice")
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.user_id == thread.author_id)))
    assert {n.url for n in notes} == {f"/posts/{reply.id}", f"/posts/{thread.first_post_id}"}
    for note in notes:
        r = client.post(f"/notifications/{note.id}/open")
        location, page = _open(client, r.headers["Location"])
        target = int(note.url.rsplit("/", 1)[1])
        assert location.endswith(f"#post-{target}")
        assert _post_ids(page) == [thread.first_post_id, reply.id]  # the whole short conversation


def test_an_email_link_opens_the_post_in_its_thread(app, client, make):
    thread = make.thread(make.user("alice"), body="Opening words")  # alice follows her thread by email
    reply = make.reply(make.user("bob"), thread, "A reply worth an email")
    with app.app_context():
        bodies = [m.body_text for m in db.session.scalars(select(MailMessage))]
    links = [m for b in bodies for m in re.findall(r"https?://\S+?/posts/(\d+)", b)]
    assert str(reply.id) in links
    location, page = _open(client, f"/posts/{reply.id}")
    assert _post_ids(page) == [thread.first_post_id, reply.id]


def test_a_search_result_opens_the_post_in_its_thread(app, client, make):
    thread = make.thread(make.user("alice"), body="Opening words about fatigue")
    reply = make.reply(make.user("bob"), thread, "Capecitabine made my palms sore")
    results = client.get("/search?q=capecitabine").text
    assert f'href="/posts/{reply.id}"' in results
    location, page = _open(client, f"/posts/{reply.id}")
    assert location.endswith(f"#post-{reply.id}")
    assert _post_ids(page) == [thread.first_post_id, reply.id]


def test_reply_to_a_post_quotes_it_and_links_back(app, client, make, login_as):
    alice = make.user("alice", display_name="Alice M.")
    thread = make.thread(alice, body="First paragraph of my news.\n\nSecond paragraph, longer story.")
    login_as(make.user("bob"))
    form = client.get(f"/threads/{thread.id}/reply?to={thread.first_post_id}").text
    assert "Alice M. wrote:" in form and "&gt; First paragraph of my news." in form
    assert "Second paragraph" not in form  # a short quote: the opening paragraph
    assert f'name="reply_to" value="{thread.first_post_id}"' in form
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "I'm with you.", "reply_to": thread.first_post_id})
    assert r.status_code == 302
    page = client.get(f"/threads/{thread.id}").text
    assert f'<a href="#post-{thread.first_post_id}">in reply to Alice M.</a>' in page
    # a reply to a post of another thread is refused
    other = make.thread(alice)
    assert client.get(f"/threads/{other.id}/reply?to={thread.first_post_id}").status_code == 404


def test_in_reply_to_a_post_on_another_page_links_to_its_permalink(app, client, make, login_as):
    alice = make.user("alice")
    thread = make.thread(alice, replies=40, reply_author=make.user("carol"))
    login_as(make.user("bob"))
    client.post(f"/threads/{thread.id}/reply", data={"body": "Back to the start", "reply_to": thread.first_post_id})
    page = client.get(f"/threads/{thread.id}?page=last").text
    assert f'<a href="/posts/{thread.first_post_id}">in reply to alice</a>' in page
