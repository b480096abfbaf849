"""A small world for privacy tests: alice (who leaves), bob and carol (who stay), an admin."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import JSON, String, Text, select

from board.extensions import db
from tests.profile.conftest import set_diagnosis
from tests.stories.conftest import StoryMaker

# Distinctive words only alice's account and profile contain
ALICE = {
    "username": "alice", "email": "alice.private@example.org", "display_name": "Alithea Quenby",
    "city": "Zanzibarton", "region": "Wyvernshire", "bio": "I knit scarves for quokkas.",
    "sig_first_name": "Mirabelle",
}


@pytest.fixture
def make_story(app):
    return StoryMaker(app)


@dataclass
class World:
    alice: object
    bob: object
    carol: object
    admin: object
    alice_thread: object        # alice's thread, bob replied
    alice_lonely_thread: object  # alice's thread, nobody replied
    bob_thread: object          # bob's thread, alice and carol replied
    bob_reply_id: int
    carol_reply_id: int
    alice_reply_id: int
    alice_story_id: int
    alice_anon_story_id: int
    alice_draft_id: int
    bob_story_id: int


@pytest.fixture
def world(app, make, make_story):
    from board.auth.services import update_profile
    from board.following import services as following
    from board.models import Post, Story, Thread, User
    from board.gestures import services as gestures
    from board.moderation.intake import report_content

    alice = make.user(ALICE["username"], email=ALICE["email"])
    bob = make.user("bob", email="bob.secret@example.org")
    carol = make.user("carol")
    admin = make.user("boss", role="admin")
    with app.app_context():
        a = db.session.get(User, alice.id)
        update_profile(a, display_name=ALICE["display_name"], city=ALICE["city"], region=ALICE["region"],
                       identity="living", bio=ALICE["bio"])
        db.session.commit()
    set_diagnosis(app, alice, subtype="her2-positive", spread=["brain", "liver"], treatment="targeted",
                  origin="de-novo", year=2021, subtype_audience="public")
    set_diagnosis(app, bob, subtype="triple-negative", treatment="immunotherapy", year=2019)

    alice_thread = make.thread(alice, topic="brain-metastases", title="Gamma knife next Tuesday",
                               body="Nervous about the gamma knife.")
    alice_lonely = make.thread(alice, topic="liver-metastases", title="Anyone on capecitabine here",
                               body="Wondering how capecitabine went for you.")
    bob_thread = make.thread(bob, topic="newly-diagnosed", title="Scan results came back",
                             body="My scan results came back today.")
    bob_reply = make.reply(bob, alice_thread, body="Thinking of you, it went fine for me.")
    alice_reply = make.reply(alice, bob_thread, body="Sending you strength from my kitchen.")
    carol_reply = make.reply(carol, bob_thread, body="Same here, hang in there.")
    make_story(bob, status="draft", title="Bob's secret draft", body="Bob's private draft words.")

    alice_story = make_story(alice, title="Knitting through chemo", signature="first",
                             first_name=ALICE["sig_first_name"], themes=("hope",))
    alice_anon = make_story(alice, title="The one nobody knows is mine", signature="anonymous", themes=("hope",))
    alice_draft = make_story(alice, status="draft", title="Unfinished thoughts", first_name=ALICE["sig_first_name"])
    bob_story = make_story(bob, title="Bob's published story", signature="first", first_name="Robert")

    with app.app_context():
        a = db.session.get(User, alice.id)
        b = db.session.get(User, bob.id)
        c = db.session.get(User, carol.id)
        # alice's footprint: reports, follows, mutes, reactions
        report_content(a, "other", "Alice's report note about tone", target=db.session.get(Post, carol_reply.id))
        following.follow(a, topic=db.session.get(Thread, bob_thread.id).topic)
        following.toggle_mute(a, c)
        gestures.react(a, gestures.STORY, db.session.get(Story, bob_story), "helped")
        # bob's private data alice must never receive
        report_content(b, "spam", "Bob's confidential report note", target=db.session.get(Post, carol_reply.id))
        following.toggle_mute(b, c)
        db.session.commit()
    return World(alice, bob, carol, admin, alice_thread, alice_lonely, bob_thread, bob_reply.id, carol_reply.id,
                 alice_reply.id, alice_story, alice_anon, alice_draft, bob_story)


def text_hits(needles, skip_tables=()) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text or JSON column of any table holds a needle."""
    hits = []
    lowered = [n.lower() for n in needles if n]
    for table in db.metadata.sorted_tables:
        if table.name in skip_tables:
            continue
        cols = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                or isinstance(getattr(c.type, "impl", None), (String, Text))]
        if not cols:
            continue
        for row in db.session.execute(select(*cols)).all():
            for col, value in zip(cols, row):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                for needle in lowered:
                    if needle in text.lower():
                        hits.append((table.name, col.name, needle))
    return hits


def counters_are_right() -> list[str]:
    """Recount every denormalized forum counter from the rows."""
    from sqlalchemy import func

    from board.models import PUBLISHED, Post, Thread, Topic

    problems = []
    for thread in db.session.scalars(select(Thread)):
        n = db.session.scalar(select(func.count()).where(Post.thread_id == thread.id, Post.status == PUBLISHED))
        if thread.post_count != n:
            problems.append(f"thread {thread.id} post_count {thread.post_count} != {n}")
        if n and thread.last_post_id is not None:
            last = db.session.get(Post, thread.last_post_id)
            if last.status != PUBLISHED:
                problems.append(f"thread {thread.id} last post not public")
    for topic in db.session.scalars(select(Topic)):
        threads = db.session.scalar(select(func.count()).where(Thread.topic_id == topic.id, Thread.status == PUBLISHED))
        posts = db.session.scalar(select(func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
                                  .where(Thread.topic_id == topic.id, Post.status == PUBLISHED))
        if topic.thread_count != threads:
            problems.append(f"topic {topic.slug} thread_count {topic.thread_count} != {threads}")
        if topic.post_count != posts:
            problems.append(f"topic {topic.slug} post_count {topic.post_count} != {posts}")
    return problems
