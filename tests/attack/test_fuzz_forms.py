"""Hypothesis drives every form: arbitrary Unicode (lone surrogates and NULs too, sent as
the raw bytes a hostile client would send), huge strings, lists where one value is
expected, missing and extra fields. Never a 500, and the invariants below always hold
(no thread without its first post, no published story without themes, counters that
agree with rows, stored HTML that passes the structural checker).
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from board.extensions import db
from tests.conftest import PASSWORD, login
from board.media.gallery import text_part
from tests.media.pictures import gallery_problems
from tests.test_markup import structural_problems

ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates and NUL included
SMALL = st.text(alphabet=ANY_CHAR, max_size=40)
HUGE = st.builds(lambda s, n: (s or "\x00") * n, st.text(alphabet=ANY_CHAR, min_size=1, max_size=3),
                 st.integers(2_000, 35_000))
NASTY = st.sampled_from(["", " ", "\x00", "\ud800", "\udfff", "a\x00b", "<script>alert(1)</script>", "0", "-1",
                         "999999999999999999999", "y", "on", "[]", "{}", "null", "\u202e", "\ufeff", "%00",
                         "../../etc/passwd", "' OR 1=1 --", "\r\n\r\n", "🙂" * 50])
STORY_BODY = "When the word metastatic first came up, I stopped sleeping. " * 2


def _value(valid):
    single = st.one_of(st.just(valid), SMALL, NASTY, HUGE) if valid is not None else st.one_of(SMALL, NASTY, HUGE)
    return st.one_of(single, single, single, st.lists(single, min_size=0, max_size=3), st.none())


def form(**valid):
    """A dict of field -> None (missing) | str | list[str], plus maybe extra fields."""
    fields = st.fixed_dictionaries({k: _value(v) for k, v in valid.items()})
    extra = st.dictionaries(st.sampled_from(["id", "author_id", "status", "role", "trust_level", "csrf_token",
                                              "__class__", "is_first", "\x00", "\ud800"]), SMALL, max_size=2)
    return st.tuples(fields, extra).map(lambda fe: {**fe[0], **fe[1]})


def F(who, url, **valid):
    return who, url, form(**valid), valid


FORMS = {
    "register": F("anon", "/auth/register", username="newperson", email="new@example.org",
                                                 password="a long enough passphrase", accept_guidelines="y"),
    "login": F("anon", "/auth/login", username="fuzzer", password=PASSWORD, remember="y", next="/"),
    "reset": F("anon", "/auth/reset", email="fuzzer@example.org"),
    "reset-token": F("anon", "/auth/reset/{token}", password="another long passphrase",
                                                        confirm="another long passphrase"),
    "new-thread": F("member", "/topics/newly-diagnosed/new", title="A fine title", body="A fine body",
                    alt_1="A picture's description", kept_1="a-kept-picture-token"),
    "reply": F("member", "/threads/{thread}/reply", body="A fine reply", alt_1="A description", kept_1="token"),
    "profile-picture": F("member", "/settings/picture", crop_x="0.1", crop_y="0.2", crop_size="0.5", action=""),
    "report-picture": F("reporter", "/images/{image}/report", reason="other", note="Please look"),
    "edit-post": F("member", "/posts/{post}/edit", title="A new title", body="A new body"),
    "profile": F("member", "/settings/profile", display_name="Fuzz", city="Town", region="Region",
                                                     identity="living", bio="About me"),
    "email": F("member", "/settings/account/email", email="other@example.org", current_password=PASSWORD),
    "password": F("member", "/settings/account/password", current_password=PASSWORD,
                                                              new_password="a new long passphrase",
                                                              confirm="a new long passphrase"),
    "story-new": F("member", "/stories/new", title="My story", body=STORY_BODY, themes="newly-diagnosed",
                                                 prompt="", signature="first", sig_first_name="Fuzz",
                                                 sig_last_initial="F", city="Town", region="Region", consent="y",
                                                 save_draft=None),
    "story-edit": F("member", "/stories/{story}/edit", title="My story", body=STORY_BODY,
                                                           themes="coping-and-outlook", prompt="", signature="full",
                                                           sig_first_name="Fuzz", sig_last_initial="F",
                                                           city="Town", region="", consent="y"),
    "report-post": F("reporter", "/posts/{post}/report", reason="other", note="Please look"),
    "report-story": F("reporter", "/stories/{story}/report", reason="other", note="Please look"),
    "mod-reject": F("mod", "/moderation/items/{item}/reject", reason="other", note="A note"),
    "mod-edit": F("mod", "/moderation/items/{item}/edit", title="Edited title", body="Edited body", note="n"),
    "mod-user": F("mod", "/users/fuzzer/moderate", action="warn", reason="Be kind", days="1", level="1"),
    "admin-reason": F("admin", "/moderation/reasons", title="A reason", text="The words the author reads"),
    "admin-word": F("admin", "/moderation/words", phrase="some phrase", action="review"),
    "mod-rename": F("mod", "/moderation/threads/{thread}/rename", title="A better title", reason="clearer"),
    "mod-move": F("mod", "/moderation/threads/{thread}/move", topic="2", reason="better fit"),
    "mod-dismiss": F("mod", "/moderation/items/{item}/dismiss", note="Nothing wrong"),
    "mod-remove": F("mod", "/moderation/items/{item}/remove", note="Removed because"),
    "message-new": F("member", "/messages/new", to="reporter", body="Hello from the fuzzer"),
    "message-settings": F("member", "/settings/messages", who_may_write="known", mail_mode="daily"),
    "search": F("anon", "GET /search", q="hello", kind="posts", topic="newly-diagnosed", when="week",
                                           sort="newest", after="abc"),
}


def encode(data: dict) -> bytes:
    pairs = []
    for key, value in data.items():
        if value is None:
            continue
        for v in value if isinstance(value, list) else [value]:
            pairs.append(quote(key.encode("utf-8", "surrogatepass")) + "=" + quote(v.encode("utf-8", "surrogatepass")))
    return "&".join(pairs).encode("ascii")


def invariant_problems(app) -> list[str]:
    from board.models import ModerationItem, Post, Story, StoryTheme, Thread, Topic, User

    out = []
    with app.app_context():
        s = db.session
        published = Post.status == "published"
        for t in s.scalars(select(Thread)):
            firsts = s.scalars(select(Post.id).where(Post.thread_id == t.id, Post.is_first.is_(True))).all()
            if len(firsts) != 1 or t.first_post_id != firsts[0]:
                out.append(f"thread {t.id}: first posts {firsts}, first_post_id {t.first_post_id}")
            n = s.scalar(select(func.count()).where(Post.thread_id == t.id, published))
            if t.post_count != n:
                out.append(f"thread {t.id}: post_count {t.post_count} but {n} published posts")
        for topic in s.scalars(select(Topic)):
            n = s.scalar(select(func.count()).select_from(Thread).where(Thread.topic_id == topic.id,
                                                                        Thread.status == "published"))
            if topic.thread_count != n:
                out.append(f"topic {topic.slug}: thread_count {topic.thread_count} but {n}")
            n = s.scalar(select(func.count()).select_from(Post).join(Thread).where(Thread.topic_id == topic.id, published))
            if topic.post_count != n:
                out.append(f"topic {topic.slug}: post_count {topic.post_count} but {n}")
        for u in s.scalars(select(User)):
            n = s.scalar(select(func.count()).where(Post.author_id == u.id, published))
            if u.post_count != n:
                out.append(f"user {u.username}: post_count {u.post_count} but {n}")
        for story in s.scalars(select(Story)):
            themes = s.scalar(select(func.count()).where(StoryTheme.story_id == story.id))
            if story.status not in ("draft",) and themes == 0:
                out.append(f"story {story.id} ({story.status}) has no themes")
            if story.status == "published" and (not story.body_html or story.consent_at is None
                                                or story.published_at is None):
                out.append(f"story {story.id} published without body, consent or date")
        for item in s.scalars(select(ModerationItem)):
            if sum(x is not None for x in (item.target_id, item.user_id)) != 1:
                out.append(f"moderation item {item.id} has not exactly one target")
        htmls = [h for (h,) in s.execute(select(Post.body_html))] + [h for (h,) in s.execute(select(Story.body_html))]
        htmls += [h for (h,) in s.execute(select(User.bio_html)) if h]
        from board.models import Message

        htmls += [h for (h,) in s.execute(select(Message.body_html)) if h]
        for h in htmls:  # pictures: the gallery the server wrote after the text (tests/media/pictures.py)
            out += structural_problems(text_part(h)) + gallery_problems(h)
        # No NUL or lone surrogate in any text column of any table (PostgreSQL would refuse
        # them with a 500; SQLite would store them silently).
        from sqlalchemy import String, inspect

        present = set(inspect(db.engine).get_table_names())
        for table in db.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String)]
            if table.name not in present or not cols:
                continue
            for row in s.execute(select(*cols)):
                for col, text in zip(cols, row):
                    if text and ("\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)):
                        out.append(f"NUL or lone surrogate stored in {table.name}.{col.name}: {text[:40]!r}")
        s.rollback()
    return out


def setup_board(app, make):
    fuzzer = make.user("fuzzer", email="fuzzer@example.org")
    make.user("reporter")
    newbie = make.user("newbie", trust_level=0)
    make.user("mod", role="moderator")
    make.user("boss", role="admin")
    thread = make.thread(fuzzer, title="The fuzzer's thread", body="Opening words")
    from board.models import ModerationItem, Story, StoryTheme
    from board.markup import render_markdown
    from datetime import UTC, datetime

    with app.app_context():
        story = Story(author_id=fuzzer.id, title="Fuzz story", body_source=STORY_BODY, body_html=render_markdown(STORY_BODY),
                      status="published", signature_style="first", sig_first_name="Fuzz", signature="Fuzz",
                      consent_at=datetime.now(UTC), published_at=datetime.now(UTC))
        db.session.add(story)
        db.session.flush()
        db.session.add(StoryTheme(story_id=story.id, theme="newly-diagnosed"))
        db.session.commit()
        story_id = story.id
    clients = {"anon": app.test_client()}
    for role in ("fuzzer", "reporter", "mod", "boss"):
        c = app.test_client()
        assert login(c, role).status_code == 302
        clients[{"fuzzer": "member", "boss": "admin"}.get(role, role)] = c
    from board.auth import tokens

    with app.app_context():
        from board.models import User

        token = tokens.make_reset_token(db.session.get(User, fuzzer.id))
    return fuzzer, newbie, thread, story_id, clients, token


def image_id(app) -> int:
    """A published picture in the fuzzer's opening post (made once per board)."""
    from board.media import services as media
    from board.models import Image, Post, User
    from tests.media.pictures import jpeg

    with app.app_context():
        found = db.session.scalar(select(Image.id).limit(1))
        if found is not None:
            return found
        owner = db.session.scalar(select(User).where(User.username == "fuzzer"))
        post = db.session.scalar(select(Post).where(Post.author_id == owner.id).limit(1))
        picture = media.accept_file(owner, jpeg(), alt="The fuzzer's garden")
        media.attach(owner, [picture], "post", post.id)
        media.set_status(picture, "published")
        db.session.commit()
        return picture.id


def _send(app, make, clients, who, url_template, data, values, newbie, thread, counter):
    from board.models import ModerationItem

    if "{item}" in url_template:
        counter.append(1)
        pending = make.reply(newbie, thread, f"A new member's words to review, number {len(counter)}")
        with app.app_context():
            values["item"] = db.session.scalar(select(ModerationItem.id).where(ModerationItem.content_kind == "post",
                                                                            ModerationItem.target_id == pending.id))
    client = clients[who]
    if url_template.startswith("GET "):
        return client.get(url_template[4:] + "?" + encode(data).decode())
    return client.post(url_template.format(**values), data=encode(data), content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("name", sorted(FORMS))
def test_fuzz_form(app, make, name):
    who, url_template, strategy, _ = FORMS[name]
    fuzzer, newbie, thread, story_id, clients, token = setup_board(app, make)

    counter = []

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=strategy)
    def run(data):
        values = {"thread": thread.id, "post": thread.first_post_id, "story": story_id, "token": token,
                  "image": image_id(app)}
        response = _send(app, make, clients, who, url_template, data, values, newbie, thread, counter)
        assert response.status_code < 500, (name, response.status_code, {k: (v[:60] if isinstance(v, str) else v)
                                                                          for k, v in data.items()})
    run()
    assert invariant_problems(app) == []


@pytest.mark.parametrize("name", sorted(FORMS))
def test_one_bad_field_in_an_otherwise_valid_form(app, make, name):
    """Deterministic: every field in turn gets a NUL, a lone surrogate, 100k characters or a
    list, the others stay valid (so the service and the database are really reached)."""
    who, url_template, _, valid = FORMS[name]
    fuzzer, newbie, thread, story_id, clients, token = setup_board(app, make)
    counter = []
    bad_values = ["before\x00after", "before\ud800after", "\x00", "x" * 100_000, ["one", "two"]]
    for field in valid:
        for bad in bad_values:
            data = {k: v for k, v in valid.items() if v is not None}
            data[field] = bad
            values = {"thread": thread.id, "post": thread.first_post_id, "story": story_id, "token": token,
                      "image": image_id(app)}
            r = _send(app, make, clients, who, url_template, data, values, newbie, thread, counter)
            assert r.status_code < 500, (name, field, repr(bad)[:30], r.status_code)
    assert invariant_problems(app) == []


def test_invariant_checker_catches_half_stored_data(app, make):
    from sqlalchemy import update

    from board.models import Post, Thread

    t = make.thread(make.user("alpha"), title="Whole thread", body="words")
    assert invariant_problems(app) == []
    with app.app_context():
        db.session.execute(update(Thread).where(Thread.id == t.id).values(post_count=7))
        db.session.commit()
    assert any("post_count" in p for p in invariant_problems(app))
    with app.app_context():
        db.session.execute(update(Thread).where(Thread.id == t.id).values(post_count=1))
        db.session.execute(update(Post).where(Post.thread_id == t.id).values(is_first=False))
        db.session.commit()
    assert any("first posts" in p for p in invariant_problems(app))
