"""Reactions on posts and stories: toggles, bad input, double clicks, batched notifications,
deleted accounts, who reacted, and the thread page's query budget."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import Notification, Post, Reaction, Story
from tests.conftest import login

JSON = {"Accept": "application/json"}


def _count(app, post_id, column="react_love"):
    with app.app_context():
        return getattr(db.session.get(Post, post_id), column)


def _rows(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Reaction.id)))


def _notes(app, user_id):
    with app.app_context():
        return [n.text for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind.like("reaction_%"))
            .order_by(Notification.id))]


@pytest.fixture
def thread(make):
    return make.thread(make.user("alice", display_name="Alice"), title="Scan results came back", replies=1,
                       reply_author=make.user("bob"))


def test_a_reaction_toggles_and_the_page_shows_it(app, client, make, login_as, thread):
    login_as(make.user("june", display_name="June"))
    post_id = thread.first_post_id
    r = client.post(f"/posts/{post_id}/react", data={"reaction": "love", "next": f"/threads/{thread.id}"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/threads/{thread.id}#post-{post_id}")
    assert _count(app, post_id) == 1
    page = client.get(f"/threads/{thread.id}").text
    assert 'value="love" aria-pressed="true"' in page
    assert "1 person sent love" in page
    client.post(f"/posts/{post_id}/react", data={"reaction": "love"})
    assert _count(app, post_id) == 0 and _rows(app) == 0
    # each reaction once: giving "hugs" twice with state=on still counts once
    for _ in range(2):
        client.post(f"/posts/{post_id}/react", data={"reaction": "hugs", "state": "on"})
    assert _count(app, post_id, "react_hugs") == 1


def test_json_path_answers_counts_and_phrases(app, client, make, login_as, thread):
    login_as(make.user("june"))
    r = client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "thinking"}, headers=JSON)
    assert r.status_code == 200
    assert r.json["reacted"] is True and r.json["counts"]["thinking"] == 1
    assert r.json["phrases"]["thinking"] == "1 person is thinking of you"


def test_unknown_reaction_is_400_and_stores_nothing(app, client, make, login_as, thread):
    login_as(make.user("june"))
    r = client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "like"})
    assert r.status_code == 400 and "Please choose one of the reactions" in r.text
    r = client.post(f"/posts/{thread.first_post_id}/react", data={}, headers=JSON)
    assert r.status_code == 400 and "Please choose" in r.json["message"]
    assert _rows(app) == 0


def test_reacting_to_a_post_you_cannot_see_is_404(app, client, make, login_as):
    carol = make.user("carol", trust_level=0)
    pending = make.thread(carol)  # a new member's thread waits for a moderator
    with app.app_context():
        assert db.session.get(Post, pending.first_post_id).status == "pending"
    login_as(make.user("june"))
    assert client.post(f"/posts/{pending.first_post_id}/react", data={"reaction": "love"}).status_code == 404
    assert client.post("/posts/999999/react", data={"reaction": "love"}).status_code == 404
    assert _rows(app) == 0


def test_visitors_see_counts_but_cannot_react_or_see_who(app, client, make, login_as, thread):
    login_as(make.user("june"))
    client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    client.post("/auth/logout")
    page = client.get(f"/threads/{thread.id}").text
    assert "1 person sent love" in page and "data-react" not in page
    assert f"/posts/{thread.first_post_id}/reactions" not in page
    r = client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    r = client.get(f"/posts/{thread.first_post_id}/reactions")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_members_see_who_reacted(app, client, make, login_as, thread):
    login_as(make.user("june", display_name="June"))
    client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "strength"})
    page = client.get(f"/posts/{thread.first_post_id}/reactions").text
    assert "June" in page and "1 person said “You&#39;ve got this”" in page


def test_own_post_is_refused_kindly(app, client, make, login_as, thread):
    login(client, "alice")
    r = client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"}, follow_redirects=True)
    assert "This is your own post" in r.text
    r = client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"}, headers=JSON)
    assert r.status_code == 403 and "your own post" in r.json["message"]
    assert _rows(app) == 0
    page = client.get(f"/threads/{thread.id}").text
    first = page.split(f'id="post-{thread.first_post_id}"')[1].split("</article>")[0]
    assert "data-react" not in first  # the author sees counts, not buttons, on their own post


def test_two_requests_at_once_store_one_row(app, make, thread):
    """A double click: both requests see no reaction yet; the unique constraint keeps one."""
    make.user("june")
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        login(c, "june")
    barrier = threading.Barrier(2)
    codes = []

    def click(c):
        barrier.wait()
        codes.append(c.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love", "state": "on"},
                            headers=JSON).status_code)

    workers = [threading.Thread(target=click, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert codes == [200, 200]
    assert _rows(app) == 1 and _count(app, thread.first_post_id) == 1


def test_unique_constraint_holds_in_the_service_when_the_check_is_raced(app, make, thread):
    """Force the race: the row appears between the service's check and its insert."""
    from board.gestures import services
    from board.models import User

    june = make.user("june")
    with app.app_context():
        post = db.session.get(Post, thread.first_post_id)
        member = db.session.get(User, june.id)
        db.session.add(Reaction(user_id=june.id, post_id=post.id, kind="love"))
        db.session.flush()
        real_scalar = db.session.scalar
        calls = {"n": 0}

        def blind_first_check(stmt, *a, **kw):
            calls["n"] += 1
            return None if calls["n"] == 1 else real_scalar(stmt, *a, **kw)

        db.session.scalar = blind_first_check
        try:
            result = services.react(member, services.POST, post, "love", True)
        finally:
            del db.session.scalar
        db.session.commit()
        assert result.reacted is True
        assert db.session.scalar(select(func.count(Reaction.id))) == 1


def test_notifications_are_batched_per_post_and_reaction(app, client, make, thread):
    alice_id = thread.author_id
    for name in ("rosa", "priya", "june"):
        make.user(name, display_name=name.title())
        c = app.test_client()
        login(c, name)
        c.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
        if name == "rosa":  # taking back and giving again is no news
            c.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
            c.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    notes = _notes(app, alice_id)
    assert notes == ["June and 2 others sent love on your post in “Scan results came back”."]


def test_after_reading_a_new_member_starts_a_new_notice_but_the_same_one_does_not(app, client, make, thread):
    alice_id = thread.author_id
    make.user("june", display_name="June")
    june = app.test_client()
    login(june, "june")
    june.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "hugs"})
    alice = app.test_client()
    login(alice, "alice")
    alice.post("/notifications/read")
    june.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "hugs"})  # off
    june.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "hugs"})  # on again
    assert len(_notes(app, alice_id)) == 1
    make.user("rosa", display_name="Rosa")
    rosa = app.test_client()
    login(rosa, "rosa")
    rosa.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "hugs"})
    assert _notes(app, alice_id)[-1] == "Rosa and 1 other sent you hugs on your post in “Scan results came back”."


def test_taking_back_the_only_reaction_withdraws_the_unread_notice(app, client, make, login_as, thread):
    login_as(make.user("june"))
    client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "helped"})
    assert len(_notes(app, thread.author_id)) == 1
    client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "helped"})
    assert _notes(app, thread.author_id) == []


def test_muted_members_reactions_do_not_notify(app, client, make, thread):
    make.user("troll")
    alice = app.test_client()
    login(alice, "alice")
    assert alice.post("/users/troll/mute").status_code in (302, 303)
    troll = app.test_client()
    login(troll, "troll")
    troll.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    assert _notes(app, thread.author_id) == []
    assert _count(app, thread.first_post_id) == 1  # the count is honest; only the notice is skipped


def test_story_reactions_use_the_same_mechanism_and_keep_helped_count(app, client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    login_as(make.user("june", display_name="June"))
    assert client.post(f"/stories/{story_id}/react", data={"reaction": "helped"}).status_code == 303
    assert client.post(f"/stories/{story_id}/react", data={"reaction": "love"}, headers=JSON).json["counts"] == {
        "love": 1, "hugs": 0, "thinking": 0, "helped": 1, "strength": 0}
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.helped_count == 1 and story.react_love == 1
    page = client.get(f"/stories/{story_id}").text
    assert "1 person found this helpful" in page and "1 person sent love" in page
    assert client.post(f"/stories/{story_id}/react", data={"reaction": "nope"}).status_code == 400
    assert "June" in client.get(f"/stories/{story_id}/reactions").text


def test_reactions_of_a_deleted_account_disappear(app, client, make, login_as, thread, make_story):
    story_id = make_story(make.user("sam"))
    login_as(make.user("june"))
    client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"})
    client.post(f"/stories/{story_id}/react", data={"reaction": "helped"})
    r = client.post("/settings/privacy/delete", data={"delete-mode": "keep",
                                                       "delete-password": "correct horse battery staple"})
    assert r.status_code in (302, 303)
    assert _rows(app) == 0 and _count(app, thread.first_post_id) == 0
    with app.app_context():
        assert db.session.get(Story, story_id).helped_count == 0


@pytest.mark.parametrize("replies", [4, 60])
def test_thread_page_query_budget_with_reactions(app, client, make, count_queries, login_as, replies):
    alice, bob = make.user("alice2"), make.user("bob2")
    thread = make.thread(alice, replies=replies, reply_author=bob)
    june = make.user("june")
    login_as(june)
    for pid in range(thread.first_post_id, thread.first_post_id + 5):
        client.post(f"/posts/{pid}/react", data={"reaction": "love"})
        client.post(f"/posts/{pid}/bookmark")
    with count_queries() as q:
        assert client.get(f"/threads/{thread.id}").status_code == 200
    assert len(q) <= 5, q  # was 4: +1 for the member's own reactions, bookmarks and reply draft
    client.post("/auth/logout")
    with count_queries() as q:
        page = client.get(f"/threads/{thread.id}").text
    assert len(q) <= 2, q  # visitors: the counts come with the posts
    assert "1 person sent love" in page


@pytest.mark.ratelimit
def test_gestures_have_a_generous_rate_limit(app, client, make, login_as, thread):
    from board.gestures.views import GESTURES_PER_MEMBER

    assert GESTURES_PER_MEMBER == "120/minute"
    login_as(make.user("june"))
    codes = [client.post(f"/posts/{thread.first_post_id}/react", data={"reaction": "love"}, headers=JSON).status_code
             for _ in range(121)]
    assert codes[:120] == [200] * 120 and codes[120] == 429


def test_a_reply_whose_answered_post_has_gone_still_goes_in(app, client, make, login_as, thread):
    from board.forum import services as forum_services
    from board.models import User

    login_as(make.user("june"))
    reply_to = thread.first_post_id + 1
    with app.app_context():
        forum_services.delete_post(db.session.get(User, thread.last_poster_id), db.session.get(Post, reply_to))
        db.session.commit()
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "Words kept", "reply_to": reply_to})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Post.reply_to_id).where(Post.body_source == "Words kept")) is None
