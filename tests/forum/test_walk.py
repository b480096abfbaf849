"""The whole forum loop through the test client, as a member would use it."""
import re

from sqlalchemy import select

from board.extensions import db
from board.models import Post, PostRevision, Thread, Topic, User, utcnow

from tests.conftest import PASSWORD


def _thread_id(location: str) -> int:
    return int(re.search(r"/threads/(\d+)", location).group(1))


def test_register_login_post_reply_quote_edit_delete_logout(app, client):
    r = client.post("/auth/register", data={"username": "maryg", "email": "mary@example.org", "password": PASSWORD,
                                            "accept_guidelines": "y"})
    assert r.status_code == 302
    client.post("/auth/logout")
    with app.app_context():  # verification and review of a new member's first posts are tested elsewhere
        user = db.session.scalar(select(User).where(User.username == "maryg"))
        user.trust_level = 1
        user.email_verified_at = utcnow()
        db.session.commit()
    r = client.post("/auth/login", data={"username": "mary@example.org", "password": PASSWORD,
                                            "accept_guidelines": "y"})
    assert r.status_code == 302

    r = client.post("/topics/bone-metastases/new", data={
        "title": "Sleeping with bone pain", "body": "What helps you **sleep** when your hips ache?",
    })
    assert r.status_code == 302
    tid = _thread_id(r.location)
    page = client.get(r.location).get_data(as_text=True)
    assert "Sleeping with bone pain" in page
    assert "<strong>sleep</strong>" in page

    r = client.post(f"/threads/{tid}/reply", data={"body": "A pillow between my knees helps."})
    assert r.status_code == 302
    page = client.get(r.location, follow_redirects=True).get_data(as_text=True)
    assert "A pillow between my knees helps." in page

    with app.app_context():
        first = db.session.scalar(select(Post).where(Post.thread_id == tid, Post.is_first.is_(True)))
        first_id = first.id
    r = client.get(f"/threads/{tid}/reply?quote={first_id}")
    assert r.status_code == 200
    assert "&gt; What helps you **sleep**" in r.get_data(as_text=True)

    with app.app_context():
        reply = db.session.scalar(select(Post).where(Post.thread_id == tid, Post.is_first.is_(False)))
        reply_id = reply.id
    r = client.post(f"/posts/{reply_id}/edit", data={"body": "A firm pillow between my knees helps."})
    assert r.status_code == 302
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "A firm pillow between my knees helps." in page
    assert "edited" in page
    history = client.get(f"/posts/{reply_id}/history").get_data(as_text=True)
    assert "A pillow between my knees helps." in history
    with app.app_context():
        assert db.session.scalar(select(PostRevision).where(PostRevision.post_id == reply_id)) is not None

    r = client.post(f"/posts/{first_id}/delete")
    assert r.status_code == 302
    page = client.get(f"/threads/{tid}").get_data(as_text=True)
    assert "removed by its author" in page
    assert "What helps you" not in page
    assert "A firm pillow between my knees helps." in page  # replies stay

    r = client.post("/auth/logout")
    assert r.status_code == 302
    assert client.get("/settings/profile").status_code == 302  # logged out: sent to login


def test_counters_follow_posts(app, client, make, login_as):
    alice = make.user("alice")
    login_as(alice)
    r = client.post("/topics/liver-metastases/new", data={"title": "Liver scan results", "body": "Waiting is hard."})
    tid = _thread_id(r.location)
    for i in range(3):
        client.post(f"/threads/{tid}/reply", data={"body": f"Thinking of you {i}"})
    with app.app_context():
        thread = db.session.get(Thread, tid)
        topic = db.session.scalar(select(Topic).where(Topic.slug == "liver-metastases"))
        assert thread.post_count == 4 and thread.reply_count == 3
        assert topic.thread_count == 1 and topic.post_count == 4
        assert topic.last_thread_id == tid
        last = db.session.scalar(select(Post).where(Post.thread_id == tid).order_by(Post.id.desc()))
        last_id = last.id
    client.post(f"/posts/{last_id}/delete")
    with app.app_context():
        thread = db.session.get(Thread, tid)
        assert thread.post_count == 3
        assert thread.last_post_id != last_id
    home = client.get("/").get_data(as_text=True)
    assert "1 thread" in home


def test_thread_whose_first_post_is_deleted_keeps_its_replies(app, client, make, login_as):
    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(alice, title="Questions about scans")
    make.reply(bob, thread, "Bob's helpful answer")
    login_as(alice)
    client.post(f"/posts/{thread.first_post_id}/delete")
    client.post("/auth/logout")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Bob's helpful answer" in page
    assert "Questions about scans" in client.get("/topics/newly-diagnosed").get_data(as_text=True)


def test_thread_with_only_its_first_post_deleted_disappears(app, client, make, login_as):
    alice = make.user("alice")
    thread = make.thread(alice, title="Posted by mistake")
    login_as(alice)
    client.post(f"/posts/{thread.first_post_id}/delete")
    assert "Posted by mistake" not in client.get("/topics/newly-diagnosed").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Topic).where(Topic.slug == "newly-diagnosed")).thread_count == 0


def test_topic_page_lists_pinned_first_then_latest_activity(app, client, make):
    alice = make.user("alice")
    old = make.thread(alice, title="Older thread here")
    pinned = make.thread(alice, title="Welcome and guidelines")
    new = make.thread(alice, title="Newest thread here")
    with app.app_context():
        db.session.get(Thread, pinned.id).pinned = True
        db.session.commit()
    page = client.get("/topics/newly-diagnosed").get_data(as_text=True)
    assert page.index("Welcome and guidelines") < page.index("Newest thread here") < page.index("Older thread here")
    make.reply(alice, old, "bump")
    page = client.get("/topics/newly-diagnosed").get_data(as_text=True)
    assert page.index("Older thread here") < page.index("Newest thread here")


def test_topic_keyset_pagination_walks_every_thread_once(app, client, make):
    alice = make.user("alice")
    for i in range(35):
        make.thread(alice, title=f"Thread number {i:02d}")
    page1 = client.get("/topics/newly-diagnosed").get_data(as_text=True)
    titles1 = set(re.findall(r"Thread number \d\d", page1))
    assert len(titles1) == 30
    cursor = re.search(r'href="/topics/newly-diagnosed\?cursor=([^"]+)"', page1).group(1)
    page2 = client.get(f"/topics/newly-diagnosed?cursor={cursor}").get_data(as_text=True)
    titles2 = set(re.findall(r"Thread number \d\d", page2))
    assert len(titles2) == 5 and not titles1 & titles2
    assert client.get("/topics/newly-diagnosed?cursor=!!garbage!!").status_code == 404


def test_thread_pages_25_posts_and_link_to_newest(app, client, make):
    alice = make.user("alice")
    thread = make.thread(alice, replies=60)
    page1 = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert page1.count('class="post"') == 25
    assert "Reply 24<" in page1 and "Reply 25<" not in page1
    nxt = re.search(r'href="(/threads/[^"]*after=\d+[^"]*)" *rel|rel="next" href="([^"]+)"', page1)
    url = (nxt.group(1) or nxt.group(2)).replace("&amp;", "&")
    page2 = client.get(url).get_data(as_text=True)
    assert "Reply 25<" in page2 and "Reply 49<" in page2
    newest = client.get(f"/threads/{thread.id}?page=last").get_data(as_text=True)
    assert "Reply 60<" in newest and "Reply 36<" in newest and "Reply 35<" not in newest
    assert client.get(f"/threads/{thread.id}?per_page=50").get_data(as_text=True).count('class="post"') == 50
    assert client.get(f"/threads/{thread.id}?after=abc").status_code == 404


def test_post_action_links_point_at_the_real_routes(app, client, make, login_as):
    """The thread page builds its per-post URLs as plain strings (speed): they must match the routes."""
    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(alice, replies=1, reply_author=bob)
    login_as(bob)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    hrefs = set(re.findall(r'(?:href|action)="(/(?:posts|threads|users)/[^"#]*)"', page))
    assert any(h.endswith("/edit") for h in hrefs) and any("reply?to=" in h for h in hrefs)
    assert any(h.endswith("/report") for h in hrefs) and any(h.endswith("/delete") for h in hrefs)
    for ending in ("/react", "/bookmark"):  # the gestures' per-post URLs too
        assert any(h.endswith(ending) for h in hrefs), ending
    adapter = app.url_map.bind("localhost")
    for href in hrefs:
        path = href.split("?")[0].replace("&amp;", "&")
        for method in ("GET", "POST"):
            try:
                adapter.match(path, method=method)
                break
            except Exception:  # noqa: BLE001 - try the other method
                continue
        else:
            raise AssertionError(f"{href} matches no route")
