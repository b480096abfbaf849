"""@mentions and muting."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.following import services
from board.following.services import parse_mentions
from board.forum.services import create_reply, create_thread, edit_post
from board.models import ModerationItem, Mute, Post, Topic
from tests.following.conftest import get_thread, get_user, notes


def test_parse_mentions_from_markdown_source():
    source = (
        "Thanks @Carol and @dave-2! Mail me at someone@carol.org.\n"
        "> @quoted said this\n"
        "`@incode` and\n```\n@fenced\n```\n"
        "    @indented\n"
        "@carol again, @ab too short, @x_y_z fine"
    )
    assert parse_mentions(source) == ["carol", "dave-2", "x_y_z"]
    assert parse_mentions(" ".join(f"@user{i:02d}" for i in range(15))) == [f"user{i:02d}" for i in range(10)]
    assert parse_mentions("") == []


def test_mentions_notify_valid_members_who_can_see_the_thread(app, make):
    alice, bob = make.user("alice"), make.user("bob", display_name="Bob")
    carol, dave = make.user("carol"), make.user("dave")
    thread = make.thread(alice, title="Who else is on Enhertu")
    make.reply(bob, thread, body="Hey @carol, @DAVE, @nobody_here and @bob: see this.")
    with app.app_context():
        (note,) = notes(carol, "mention")
        assert note.text == "Bob mentioned you in “Who else is on Enhertu”."
        assert len(notes(dave, "mention")) == 1
        assert notes(bob) == []  # not told of their own mention
        # alice follows her thread, and isn't mentioned: an ordinary reply notification
        assert [n.kind for n in notes(alice)] == ["reply"]


def test_at_most_ten_members_are_mentioned_per_post(app, make):
    alice = make.user("alice")
    people = [make.user(f"person{i:02d}") for i in range(12)]
    thread = make.thread(alice)
    make.reply(alice, thread, body=" ".join(f"@{p.username}" for p in people))
    with app.app_context():
        told = [p for p in people if notes(p, "mention")]
        assert len(told) == 10 and told == people[:10]


def test_mention_in_a_members_only_topic(app, make, monkeypatch):
    alice, carol, dave = make.user("alice"), make.user("carol"), make.user("dave")
    thread = make.thread(alice, topic="planning-ahead-and-end-of-life", title="Talking with family")
    # members can see members-only topics: they are told
    make.reply(alice, thread, body="@carol you asked about this")
    # someone who may not see the thread (visibility says no) is never told
    import board.following.services as following

    real = following.can_see_thread
    monkeypatch.setattr(following, "can_see_thread",
                        lambda user, t: False if user.username == "dave" else real(user, t))
    make.reply(alice, thread, body="@dave and @carol both")
    with app.app_context():
        assert len(notes(carol, "mention")) == 2
        assert notes(dave) == []


def test_mentions_in_a_pending_post_wait_for_approval_and_fire_once(app, make):
    from board.moderation import decisions

    alice, carol = make.user("alice"), make.user("carol")
    newbie, mod = make.user("newbie", trust_level=0), make.user("mod", role="moderator")
    thread = make.thread(alice)
    with app.app_context():
        create_reply(get_user(newbie), get_thread(thread), "Hello @carol, I'm new here")
        db.session.commit()
        assert notes(carol) == []
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.kind == "pending_post"))
        decisions.approve(item, get_user(mod))
        db.session.commit()
        assert len(notes(carol, "mention")) == 1
        decisions.undo(item, get_user(mod))
        db.session.commit()
        decisions.approve(db.session.get(ModerationItem, item.id), get_user(mod))
        db.session.commit()
        assert len(notes(carol, "mention")) == 1


def test_pending_thread_mentions_wait_too(app, make):
    newbie, carol = make.user("newbie", trust_level=0), make.user("carol")
    with app.app_context():
        topic = db.session.scalar(select(Topic).where(Topic.slug == "newly-diagnosed"))
        thread = create_thread(get_user(newbie), topic, "Hello everyone here", "@carol is this the right place?")
        db.session.commit()
        assert thread.status == "pending"
        # the author's own reply in their pending thread is published, but nobody else can see it yet
        create_reply(get_user(newbie), thread, "Also @carol, another question")
        db.session.commit()
        assert notes(carol) == []


def test_editing_a_post_tells_only_newly_mentioned_members(app, make):
    alice, bob, carol, dave = make.user("alice"), make.user("bob"), make.user("carol"), make.user("dave")
    thread = make.thread(alice)
    reply = make.reply(bob, thread, body="Hi @carol")
    with app.app_context():
        edit_post(get_user(bob), db.session.get(Post, reply.id), "Hi @carol and @dave")
        db.session.commit()
        assert len(notes(carol, "mention")) == 1 and len(notes(dave, "mention")) == 1


def test_mute_folds_posts_away_and_silences_them(app, make, browser, client, smtp, deliver):
    alice = make.user("alice", display_name="Alice")
    bob = make.user("bob", display_name="Bob")
    carol = make.user("carol")
    thread = make.thread(alice, title="A thread with a muted member")
    make.reply(bob, thread, body="Words from Bob")
    make.reply(carol, thread, body="Carol joins in")  # carol follows the thread
    c = browser(carol)
    profile = c.get("/users/bob").get_data(as_text=True)
    assert 'aria-pressed="false">Mute' in profile
    assert c.post("/users/bob/mute").status_code == 302
    assert 'aria-pressed="true">Unmute' in c.get("/users/bob").get_data(as_text=True)

    page = c.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert page.count('<details class="muted-post"><summary>Post from a member you muted</summary>') == 1
    folded = page.split('<details class="muted-post">')[1].split("</details>")[0]
    assert "Words from Bob" in folded and "Carol joins in" not in folded
    for other in (browser(alice), client):
        assert "muted-post" not in other.get(f"/threads/{thread.id}").get_data(as_text=True)

    deliver()
    smtp.clear()
    make.reply(bob, thread, body="Bob again, @carol")
    with app.app_context():
        assert notes(carol) == []  # neither the reply nor the mention
    deliver()
    assert smtp.to("carol@example.org") == [] and len(smtp.to("alice@example.org")) == 1
    make.reply(alice, thread, body="Alice again")
    deliver()
    assert len(smtp.to("carol@example.org")) == 1

    # settings lists the mute; unmuting is the same toggle
    assert "Bob" in c.get("/settings/notifications").get_data(as_text=True)
    assert c.post("/users/bob/mute", data={"next": "/settings/notifications"}).headers["Location"] == \
        "/settings/notifications"
    with app.app_context():
        assert db.session.scalar(select(Mute)) is None


def test_cannot_mute_yourself_or_a_moderator(app, make, browser):
    carol = make.user("carol")
    make.user("mod", role="moderator")
    c = browser(carol)
    assert "mute yourself." in c.post("/users/carol/mute", follow_redirects=True).get_data(as_text=True)
    page = c.post("/users/mod/mute", follow_redirects=True).get_data(as_text=True)
    assert "be muted, so that you always see their notices" in page
    assert c.post("/users/nobody/mute").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Mute)) is None


def test_thread_page_one_extra_query_for_members_none_for_visitors(app, make, browser, client, count_queries):
    alice, carol = make.user("alice"), make.user("carol")
    thread = make.thread(alice, replies=10, reply_author=make.user("bob"))
    with count_queries() as anonymous:
        client.get(f"/threads/{thread.id}")
    assert not any("mutes" in s or "follows" in s for s in anonymous)
    c = browser(carol)
    c.get(f"/threads/{thread.id}")  # the shared part is cached from here on (mutes and follows are carol's own)
    with count_queries() as plain:
        c.get(f"/threads/{thread.id}")
    others = [make.user(f"someone{i}") for i in range(5)]
    with app.app_context():
        for other in others:
            services.toggle_mute(get_user(carol), get_user(other))
        services.follow(get_user(carol), thread=get_thread(thread))
        db.session.commit()
    with count_queries() as busy:
        page = c.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert 'aria-pressed="true">Following' in page
    assert len(plain) == len(busy)
    assert sum(1 for s in busy if "mutes" in s or "follows" in s) == 1
