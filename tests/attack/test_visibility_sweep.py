"""Nothing that is pending, hidden, rejected, removed, deleted, withdrawn or a draft —
and no anonymous story's author — shows to those who may not see it.

One item of each status carries a unique marker in its title and text. Then every
GET route in the URL map (filled with every id on the board) and every local link
found on those pages is crawled as a visitor and as another member, searches are
run for every marker, and no response may contain any marker.
"""
from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from board.extensions import db
from board.markup import render_markdown
from board.models import Conversation, Image, Message, Post, Story, StoryTheme, Thread, Topic, User
from tests.attack.conftest import routes
from tests.conftest import login

POST_STATUSES = ("pending", "hidden", "rejected", "removed", "deleted")
STORY_STATUSES = ("draft", "pending", "hidden", "rejected", "removed", "withdrawn")
ANON_NAME, ANON_DISPLAY, ANON_SIG = "quillonymous", "Quenby Anonymouse", "Sigzyxname"
ANON_IDENTITY = (ANON_NAME, ANON_DISPLAY, ANON_SIG, "Quxville")


def marker(kind: str, status: str) -> str:
    return f"zq{kind}{status}mark"


def seed(app, make):
    writer = make.user("writer")
    make.user("other")
    make.user("friend")
    anon = make.user(ANON_NAME, display_name=ANON_DISPLAY)
    public = make.thread(writer, title="A perfectly public thread", body="Public words")
    markers, made = [], []
    for status in POST_STATUSES:
        m = marker("thread", status)  # as a whole thread
        t = make.thread(writer, title=f"Thread {m}", body=f"Opening {m} quokka words")
        r = make.reply(writer, public, f"Reply {marker('reply', status)} quokka words")  # as a reply in a public thread
        made.append((status, t.id, r.id))
        markers += [m, marker("reply", status)]
    with app.app_context():
        for status, thread_id, reply_id in made:
            db.session.execute(update(Thread).where(Thread.id == thread_id).values(status=status))
            db.session.execute(update(Post).where(Post.thread_id == thread_id).values(status=status))
            db.session.execute(update(Post).where(Post.id == reply_id).values(status=status))
        db.session.commit()
        now = datetime.now(UTC)
        for status in STORY_STATUSES:
            m = marker("story", status)
            s = Story(author_id=writer.id, title=f"Story {m}", body_source=f"{m} quokka " + "x" * 60,
                      body_html=render_markdown(f"{m} quokka " + "x" * 60), status=status, signature_style="first",
                      sig_first_name="Writer", signature="Writer", consent_at=now,
                      published_at=now if status in ("hidden", "removed", "withdrawn") else None,
                      withdrawn_at=now if status == "withdrawn" else None)
            db.session.add(s)
            db.session.flush()
            db.session.add(StoryTheme(story_id=s.id, theme="newly-diagnosed"))
            markers.append(m)
        # A published story with a pending edit: the edit is not public yet.
        m = marker("story", "pendingedit")
        s = Story(author_id=writer.id, title="Published with an edit", body_source="y" * 60,
                  body_html=render_markdown("y" * 60), status="published", signature_style="first",
                  sig_first_name="Writer", signature="Writer", consent_at=now, published_at=now,
                  pending_title=f"Edit {m}", pending_body_source=f"{m} quokka " + "z" * 60,
                  pending_body_html=render_markdown(f"{m} quokka " + "z" * 60))
        db.session.add(s)
        db.session.flush()
        db.session.add(StoryTheme(story_id=s.id, theme="coping-and-outlook"))
        markers.append(m)
        # An anonymous, published, featured story: its author must never be named.
        s = Story(author_id=anon.id, title="An anonymous story", body_source="quokka " + "w" * 60,
                  body_html=render_markdown("quokka " + "w" * 60), status="published", signature_style="anonymous",
                  sig_first_name=ANON_SIG, sig_last_initial="Q", sig_city="Quxville",
                  signature="A member of Circle", consent_at=now, published_at=now, featured=True, featured_at=now)
        db.session.add(s)
        db.session.flush()
        db.session.add(StoryTheme(story_id=s.id, theme="newly-diagnosed"))
        db.session.commit()
        # Private messages (issue 15): a conversation between the writer and a friend, with a delivered
        # message, one held for review and one returned. None of it may show to anyone else.
        from board.messages import services as messages
        from board.moderation.lists import seed_moderation

        seed_moderation()
        friend = db.session.scalar(select(User).where(User.username == "friend"))
        writer_user = db.session.get(User, writer.id)
        first = messages.start_conversation(writer_user, "friend", f"Hello {marker('message', 'published')} quokka")
        messages.accept_request(friend, first.conversation_id)
        conversation = first.conversation
        messages.reply(writer_user, conversation, f"{marker('message', 'pending')} message me on whatsapp")
        refused = messages.reply(friend, conversation, f"{marker('message', 'rejected')} buy now")
        refused.status = "rejected"
        db.session.commit()
        markers += [marker("message", s) for s in ("published", "pending", "rejected")]
        markers += _seed_pictures(writer_user, first, made)
    return markers + list(ANON_IDENTITY)


def _seed_pictures(writer, message, made) -> list[str]:
    """Pictures (issue 18) that no one else may see: pending, hidden, rejected and removed ones in
    a public post; a published one in a pending thread, and in a private message. Each has a
    marker in its description, and its file names (distinct pictures) are markers too."""
    from board.media import services as media
    from board.models import Image
    from tests.media.pictures import jpeg

    public_post = db.session.scalar(select(Post).where(Post.body_source == "Public words"))
    pending_thread_post = db.session.get(Thread, next(t for st, t, _ in made if st == "pending")).first_post_id
    places = [(st, "post", public_post.id) for st in ("pending", "hidden", "rejected", "removed")]
    places += [("inpendingthread", "post", pending_thread_post), ("inmessage", "message", message.id)]
    out = []
    for n, (status, kind, holder_id) in enumerate(places):
        m = marker("picture", status)
        image = media.accept_file(writer, jpeg(width=600, height=500, colour=(20 + n * 30, 200 - n * 25, 90)),
                                  alt=f"{m} quokka picture")
        media.attach(writer, [image], kind, holder_id)
        media.set_status(image, status if status in ("pending", "hidden", "rejected", "removed") else "published")
        out += [m, image.name, image.thumb_name]
    db.session.commit()
    assert db.session.query(Image).count() == len(places)
    return out


def _values(app):
    with app.app_context():
        return {
            "thread_id": db.session.scalars(select(Thread.id)).all(),
            "post_id": db.session.scalars(select(Post.id)).all(),
            "story_id": db.session.scalars(select(Story.id)).all(),
            "slug": db.session.scalars(select(Topic.slug)).all(),
            "username": db.session.scalars(select(User.username)).all(),
            "id": db.session.scalars(select(Conversation.id)).all(),
            "message_id": db.session.scalars(select(Message.id)).all(),
            "image_id": db.session.scalars(select(Image.id)).all(),
            "name": [n for i in db.session.scalars(select(Image)) for n in (i.name, i.thumb_name)],
        }


def _seed_urls(app, markers):
    values = _values(app)
    urls = set()
    for endpoint, rule in routes(app):
        if "GET" not in rule.methods:
            continue
        args = list(rule.arguments)
        if not args:
            urls.add(rule.rule)
            continue
        if any(a not in values for a in args):
            urls.add(re.sub(r"<[^>]+>", "1", rule.rule))
            continue
        first = args[0]
        for v in values[first]:
            url = rule.rule
            for a in args:
                val = v if a == first else values[a][0]
                url = re.sub(rf"<(?:[a-z]+:)?{a}>", str(val), url)
            urls.add(url)
    # Searches for a word every seeded item contains (searching for a marker would echo it).
    for q in ("quokka", "words", "quokka words", "Opening", "Reply", "Story", "Thread", "Edit", "Writer"):
        for kind in ("", "&kind=posts", "&kind=stories", "&kind=threads"):
            urls.add(f"/search?q={q}{kind}")
    urls.update(["/stories?theme=newly-diagnosed", "/stories?theme=coping-and-outlook", "/stories/feed.atom"])
    return urls


HREF = re.compile(r'(?:href|action|src)="([^"]+)"')
SKIP = ("/static/", "/auth/logout", "/settings/account/logout-everywhere")


def crawl(client, start, limit=1500):
    seen, queue, pages = set(), deque(sorted(start)), {}
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code < 500, (url, r.status_code)
        body = "" if r.mimetype.startswith("image/") else r.get_data(as_text=True)
        pages[url] = (r.status_code, body + " " + r.headers.get("Location", ""))
        for href in HREF.findall(body):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != "localhost":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/") and not path.startswith(SKIP) and path not in seen:
                queue.append(path)
    return pages


@pytest.mark.parametrize("viewer", ["anonymous", "other"])
def test_nothing_hidden_leaks_anywhere(app, make, viewer):
    markers = seed(app, make)
    client = app.test_client()
    if viewer != "anonymous":
        assert login(client, viewer).status_code == 302
    pages = crawl(client, _seed_urls(app, markers))
    assert len(pages) > 60
    leaks = []
    for url, (status, body) in pages.items():
        if url.startswith("/media/"):  # a picture file: a hidden one must be a 404 (which names the path)
            leaks += [(url, status) for m in markers if m in url and status != 404]
            continue
        low = body.lower()
        if ANON_NAME in url:  # their own profile (or a login link back to it)
            # Their own profile names them, of course — but must not list the anonymous story.
            checks = [m for m in markers if m not in ANON_IDENTITY] + ["An anonymous story"]
        else:
            checks = markers
        leaks += [(url, m) for m in checks if m.lower() in low]
    assert leaks == [], "\n".join(map(str, leaks))


def test_markers_are_really_there_for_their_author(app, make):
    """The sweep is only meaningful if the markers show up where they may be seen."""
    markers = seed(app, make)
    client = app.test_client()
    login(client, "writer")
    pages = crawl(client, _seed_urls(app, markers))
    text = " ".join(body for _, body in pages.values()).lower()
    assert marker("thread", "pending") in text
    assert marker("reply", "rejected") in text
    assert marker("picture", "inpendingthread") in text  # a published picture in her pending thread
    assert marker("story", "draft") in text
    assert marker("message", "published") in text and marker("message", "pending") in text
