"""A small, realistic board for browser tests, built through the stable URLs.

Content is made with the factories (members, threads) and, where a feature's
route exists, with the Flask test client posting to the stable URLs from the
issues (reports, stories, moderation) — so the pages under test show what real
use produces. Nothing here fakes a missing feature: callers check `has()` and
skip, naming the endpoint.
"""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, login

STORY_BODY = (
    "When the word metastatic first came up, I stopped sleeping. What helped most was a nurse who "
    "sat with me and wrote down every question I had. I still keep that notebook by my bed."
)


def has(app, *endpoints: str) -> list[str]:
    """The endpoints in `endpoints` that this app does NOT have yet."""
    return [e for e in endpoints if e not in app.view_functions]


def feature_rule(app):
    """The POST rule that features a story, wherever the stories/moderation work puts it."""
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and rule.rule.rstrip("/").endswith("/feature") and "<" in rule.rule:
            return rule
    return None


def browser_login(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form (fills and submits; works with or without JS)."""
    page.goto(base + "/auth/login")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/auth/two-factor" in page.url:  # moderators and admins: type the authenticator code
        page.get_by_label("Code from your authenticator app").fill(code_for(base, username))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state()
    # include_hidden: on a phone the button sits in the closed menu
    assert page.get_by_role("button", name="Log out", include_hidden=True).count() == 1, f"could not log in as {username}"


def code_for(base, username: str) -> str:
    """The current authenticator code of `username` (base: the live_server URL, which carries the app)."""
    from board.extensions import db
    from board.models import User
    from tests.conftest import totp_code

    app = getattr(base, "app", None)
    assert app is not None, "browser_login needs the live_server URL (it carries the app) for a second factor"
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username.lower()))
    return totp_code(app, user_id)


class World:
    def __init__(self, app, make):
        self.app, self.make = app, make
        self.alice = make.user("alice", display_name="Alice M.", city="Oregon", region="WI",
                               bio_source="Living with MBC since 2021.", bio_html="<p>Living with MBC since 2021.</p>")
        self.bob = make.user("bob")
        self.newbie = make.user("newbie", trust_level=0)
        self.mod = make.user("mod", role="moderator")
        self.thread = make.thread(self.alice, title="Scan day nerves", replies=2, reply_author=self.bob,
                                  body="How do you cope on **scan day**? I never sleep the night before.")
        self.quote = make.reply(self.bob, self.thread,
                                "> How do you cope on scan day?\n\nI bring a friend and a crossword. It helps.")
        self.other = make.thread(self.bob, topic="bone-metastases", title="Heat packs or cold packs?",
                                 body="Which helps you more with bone pain?")
        self.story_id = None
        self.report_item_id = None

    # ------------------------------------------------------------ helpers
    def client(self, user):
        c = self.app.test_client()
        r = login(c, user)
        assert r.status_code in (302, 303), r.get_data(as_text=True)[:300]
        return c

    def items(self, **where):
        from board.extensions import db
        from board.models import ModerationItem

        with self.app.app_context():
            stmt = select(ModerationItem).order_by(ModerationItem.id)
            for k, v in where.items():
                stmt = stmt.where(getattr(ModerationItem, k) == v)
            return [(i.id, i.kind, i.target_id if i.content_kind == "post" else None,
                     i.target_id if i.content_kind == "story" else None) for i in db.session.scalars(stmt)]

    # ------------------------------------------------------------ content
    def pending_reply(self):
        """A reply by a level-0 member: pending, visible to them and moderators."""
        return self.make.reply(self.newbie, self.thread, "Hello everyone, this is my first post. Scan days scare me too.")

    def pending_thread(self):
        return self.make.thread(self.newbie, title="Just diagnosed, where do I start?",
                                body="My oncologist said stage 4 last week. What should I ask at my next visit?")

    def report(self):
        """Alice reports Bob's quote reply (POST /posts/<id>/report)."""
        c = self.client(self.alice)
        r = c.post(f"/posts/{self.quote.id}/report", data={"reason": "misinformation", "note": "Please check this."})
        assert r.status_code in (200, 302, 303), r.status_code
        found = [i for i in self.items(kind="report")]
        self.report_item_id = found[-1][0] if found else None
        return self.report_item_id

    def story(self, *, publish=True, featured=False, title="The notebook by my bed"):
        """Alice shares a story through /stories/new; a moderator approves it through the queue."""
        c = self.client(self.alice)
        r = c.post("/stories/new", data={
            "title": title, "body": STORY_BODY, "themes": ["coping-and-outlook", "newly-diagnosed"],
            "prompt": "what-helped-most", "signature": "full", "sig_first_name": "Alice",
            "sig_last_initial": "M", "city": "Oregon", "region": "WI", "consent": "y",
        })
        assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
        from board.extensions import db
        from board.models import Story

        with self.app.app_context():
            story = db.session.scalar(select(Story).order_by(Story.id.desc()))
            self.story_id = story.id
        if publish:
            item = [i for i in self.items(kind="pending_story") if i[3] == self.story_id][-1]
            m = self.client(self.mod)
            m.post(f"/moderation/items/{item[0]}/claim")
            r = m.post(f"/moderation/items/{item[0]}/approve", data={"note": ""})
            assert r.status_code in (302, 303), r.status_code
        if featured:
            rule = feature_rule(self.app)
            if rule is not None:
                m = self.client(self.mod)
                arg = next(iter(rule.arguments))
                m.post(rule.rule.replace(f"<int:{arg}>", str(self.story_id)))
        return self.story_id

    def follow_thread(self, who="alice"):
        """`who` follows Bob's thread and the bone metastases topic, and mutes nobody but bob."""
        c = self.client(getattr(self, who))
        for url in (f"/threads/{self.other.id}/follow", "/topics/bone-metastases/follow", "/users/bob/mute"):
            r = c.post(url)
            assert r.status_code in (302, 303), (url, r.status_code)

    # ------------------------------------------------------------ private messages (issue 15)
    def message_request(self):
        """Bob writes to Alice for the first time: a request waiting for her."""
        if getattr(self, "conversation_id", None):
            return self.conversation_id
        r = self.client(self.bob).post("/messages/new", data={
            "to": "alice", "body": "Hello Alice, your scan-day thread helped me. **Thank you.**"})
        assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
        self.conversation_id = int(r.headers["Location"].rsplit("/", 1)[1].split("#")[0])
        from board.extensions import db
        from board.models import Message

        with self.app.app_context():
            self.request_message_id = db.session.scalar(select(Message.id).where(
                Message.conversation_id == self.conversation_id))
        return self.conversation_id

    def conversation(self):
        """Alice accepts Bob's request and they talk; returns the conversation id (once per world:
        the validators prepare every page type in one world)."""
        if getattr(self, "talked_in", None):
            return self.talked_in
        cid = self.message_request()
        a = self.client(self.alice)
        assert a.post(f"/messages/requests/{cid}/accept").status_code in (302, 303)
        a.post(f"/messages/{cid}/reply", data={"body": "Thank you Bob. How are you doing this week?"})
        self.client(self.bob).post(f"/messages/{cid}/reply", data={"body": "Tired, but *good*. Scan on Friday."})
        self.talked_in = cid
        return cid

    def message_report(self):
        """Alice reports Bob's latest message; returns the moderation item id."""
        from board.extensions import db
        from board.models import Message, ModerationItem

        cid = self.conversation()
        with self.app.app_context():
            message_id = db.session.scalar(select(Message.id).where(Message.conversation_id == cid,
                                                                    Message.author_id == self.bob.id)
                                           .order_by(Message.id.desc()))
        r = self.client(self.alice).post(f"/messages/{message_id}/report", data={"reason": "unkind", "note": ""})
        assert r.status_code in (302, 303), r.status_code
        with self.app.app_context():
            self.message_item_id = db.session.scalar(select(ModerationItem.id).where(
                ModerationItem.content_kind == "message", ModerationItem.target_id == message_id))
        return self.message_item_id

    def notifications_for_newbie(self):
        """Approve the newbie's pending reply so they get a notification."""
        post = self.pending_reply()
        item = [i for i in self.items(kind="pending_post") if i[2] == post.id][-1]
        m = self.client(self.mod)
        m.post(f"/moderation/items/{item[0]}/claim")
        m.post(f"/moderation/items/{item[0]}/approve", data={"note": ""})
        return post


def cheap_password_hashing(monkeypatch):
    """Argon2 at its minimum cost for these tests: the pages, not the hashing, are under test.

    The library's recommended cost takes ~0.5 s per hash and per login on a CI box;
    the browser tests create and log in many members.
    """
    from argon2 import PasswordHasher

    from board.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(passwords, "_DUMMY_HASH", None)
