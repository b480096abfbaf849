"""Every XSS vector, posted through the real forms, then every page showing it opened
in headless Chromium with traps for script execution, dialogs, navigation, CSP
violations and requests leaving the site: zero allowed.

The vectors (tests/data/xss_vectors.txt, 400+) go in as thread titles and bodies,
replies, pending posts (moderation queue), stories (title, body, signature name,
town and region; approved through board.moderation.decisions), profile display
names and bios, and report notes. Several vectors share a submission so the
browser opens tens of pages, not thousands. Afterwards every stored body_html /
bio_html is checked structurally with the checker from tests/test_markup.py.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from board.extensions import db
from board.markup import clean_line
from tests.browser.world import code_for
from tests.conftest import login
from tests.test_markup import control_problems, load_vectors, structural_problems

VECTORS = [v for _, v in load_vectors()]
TITLE_VECTORS = VECTORS[::3]
WORD = "zebrafish"  # in every submission, so search finds them all

TRAP = """
(() => {
  window.__xss = [];
  const hit = (what) => (...args) => { window.__xss.push(what + ':' + String(args[0]).slice(0, 80)); };
  for (const name of ['alert', 'confirm', 'prompt', 'print', 'msgbox', 'write1']) {
    try { Object.defineProperty(window, name, {value: hit(name), writable: false, configurable: false}); } catch (e) {}
  }
  const w = document.write.bind(document);
  document.write = (...a) => { window.__xss.push('document.write'); };
  document.writeln = (...a) => { window.__xss.push('document.writeln'); };
})();
"""


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def join(vectors, limit):
    """As many vectors as fit under `limit` characters, separated by blank lines."""
    out, current = [], WORD
    for v in vectors:
        piece = "\n\n" + v
        if len(current) + len(piece) > limit:
            out.append(current)
            current = WORD
        current += piece
    out.append(current)
    return out


def title_of(v: str) -> str:
    t = clean_line(v)[:140]
    return (t + " title")[:150] if len(t) < 5 else t


class Board:
    def __init__(self, app, make):
        self.app, self.make = app, make
        app.config["BOARD_NEW_MEMBER_MAX_LINKS"] = 1_000_000  # the vectors are full of links; queue them
        self.alice = make.user("alice")
        self.newbie = make.user("newbie", trust_level=0)
        self.mod = make.user("mod", role="moderator")
        self.threads, self.stories, self.profiles = [], [], []

    def c(self, user):
        client = self.app.test_client()
        assert login(client, user).status_code == 302
        return client

    def submit(self):
        alice, newbie = self.c(self.alice), self.c(self.newbie)
        # Threads: bodies carry every vector in batches; titles take every third vector
        # (titles are plain text, escaped the same way everywhere; stories add more titles).
        bodies = join(VECTORS, 19_000)
        for i, v in enumerate(TITLE_VECTORS):
            body = bodies[i] if i < len(bodies) else f"{WORD} {i}"
            r = alice.post("/topics/newly-diagnosed/new", data={"title": title_of(v), "body": body})
            assert r.status_code == 302, (v, r.status_code, r.get_data(as_text=True)[:300])
            self.threads.append(int(re.search(r"/threads/(\d+)", r.headers["Location"]).group(1)))
        first = self.threads[0]
        # Replies (several pages of them on the first thread) and pending replies for the queue.
        for body in join(VECTORS, 4_000):
            assert alice.post(f"/threads/{first}/reply", data={"body": body}).status_code == 302
        for body in join(VECTORS, 19_000):
            r = newbie.post(f"/threads/{first}/reply", data={"body": body})
            assert r.status_code == 302, re.findall(r"class=\"[^\"]*(?:error|flash)[^\"]*\"[^>]*>([^<]+)", r.get_data(as_text=True))
        # Edits go through the edit form too.
        with self.app.app_context():
            from board.models import Thread
            post_id = db.session.get(Thread, self.threads[1]).first_post_id
        r = alice.post(f"/posts/{post_id}/edit", data={"title": title_of(VECTORS[-1]),
                                                        "body": join(VECTORS[::-1], 19_000)[0]})
        assert r.status_code == 302, r.status_code
        # Stories: body, title, signature parts.
        for i, body in enumerate(join(VECTORS, 4_000)):
            v = VECTORS[i * 7 % len(VECTORS)]
            r = alice.post("/stories/new", data={
                "title": clean_line(v)[:150], "body": body, "themes": ["coping-and-outlook", "newly-diagnosed"],
                "prompt": "", "signature": "full", "sig_first_name": clean_line(v)[:60] or "A",
                "sig_last_initial": "M", "city": clean_line(VECTORS[i])[:80] or "Town",
                "region": clean_line(VECTORS[-i - 1])[:80] or "Region", "consent": "y",
            })
            assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:500])
        # Profiles: display name and bio, and a reply so the name shows on threads and notifications.
        for i, bio in enumerate(join(VECTORS, 1_000)):
            user = self.make.user(f"writer{i}")
            c = self.c(user)
            r = c.post("/settings/profile", data={"display_name": clean_line(VECTORS[i % len(VECTORS)])[:60],
                                                  "city": clean_line(VECTORS[-i])[:80], "region": "",
                                                  "identity": "living", "bio": bio})
            assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:300])
            assert c.post(f"/threads/{first}/reply", data={"body": f"{WORD} from writer {i}"}).status_code == 302
            self.profiles.append(f"writer{i}")
        # Reports with vectors as notes (they show in the moderation queue).
        with self.app.app_context():
            from board.models import Post
            post_ids = db.session.scalars(select(Post.id).where(Post.status == "published")
                                          .order_by(Post.id)).all()
        for n, note in enumerate(join(VECTORS, 900)[:10]):
            r = self.c(self.make.user()).post(
                f"/posts/{post_ids[n]}/report", data={"reason": "other", "note": note})
            assert r.status_code in (200, 302), r.status_code

    def approve_stories_and_some_posts(self):
        """Stories go public through the moderation services; pending posts stay pending (the queue)."""
        from board.models import ModerationItem, User
        from board.moderation import decisions

        with self.app.app_context():
            mod = db.session.get(User, self.mod.id)
            items = db.session.scalars(select(ModerationItem).where(ModerationItem.state == "open")).all()
            for item in items:
                if item.kind == "pending_story" or (item.kind == "pending_post" and item.subject_user_id == self.alice.id):
                    decisions.approve(item, mod)
            db.session.commit()
            from board.models import Story
            self.stories = db.session.scalars(select(Story.id).where(Story.status == "published")).all()
            self.queue = db.session.scalars(select(ModerationItem.id).where(ModerationItem.state == "open")).all()


def stored_html_problems(app):
    from board.models import Post, Story, User

    problems = []
    with app.app_context():
        rows = [("post", i, h) for i, h in db.session.execute(select(Post.id, Post.body_html))]
        rows += [("story", i, h) for i, h in db.session.execute(select(Story.id, Story.body_html))]
        rows += [("story-pending", i, h) for i, h in db.session.execute(select(Story.id, Story.pending_body_html)) if h]
        rows += [("bio", i, h) for i, h in db.session.execute(select(User.id, User.bio_html)) if h]
    for kind, ident, html in rows:
        for p in structural_problems(html) + control_problems(html):
            problems.append(f"{kind} {ident}: {p}")
    return problems, len(rows)


@pytest.fixture
def board(app, make):
    b = Board(app, make)
    b.submit()
    b.approve_stories_and_some_posts()
    return b


def test_corpus_is_big_enough():
    assert len(VECTORS) >= 200


def test_xss_vectors_never_run_in_a_real_browser(app, board, live_server, browser):
    problems, checked = stored_html_problems(app)
    assert problems == []
    assert checked > 40

    base = live_server
    host = urlsplit(base).netloc
    events: list[str] = []

    def context_for(username=None):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=True)
        ctx.add_init_script(TRAP)
        if username:
            # Log in through the real form.
            p = ctx.new_page()
            p.goto(base + "/auth/login")
            p.fill("input[name=username]", username)
            p.fill("input[name=password]", "correct horse battery staple")
            p.locator("form:has(input[name=password]) [type=submit]").first.click()
            p.wait_for_load_state()
            if "/auth/two-factor" in p.url:  # moderators type their authenticator code
                p.fill("input[name=code]", code_for(live_server, username))
                p.locator("form:has(input[name=code]) [type=submit]").first.click()
                p.wait_for_load_state()
            p.close()

        def on_request(request):
            netloc = urlsplit(request.url).netloc
            if request.url.startswith(("data:", "blob:", "about:")):
                events.append(f"{request.url[:60]} requested")
            elif netloc != host:
                events.append(f"request left the site: {request.url[:120]}")

        ctx.on("request", on_request)
        return ctx

    def visit(ctx, urls, label):
        page = ctx.new_page()
        page.on("dialog", lambda d: (events.append(f"dialog {d.type} {d.message[:60]} on {page.url}"), d.dismiss()))
        page.on("console", lambda m: events.append(f"console on {page.url}: {m.text[:200]}")
                if "Content Security Policy" in m.text or "Refused to" in m.text else None)
        for url in urls:
            target = base + url
            response = page.goto(target, wait_until="load")
            assert response is not None and response.status < 500, (url, response and response.status)
            page.wait_for_timeout(30)
            if page.url.split("#")[0] != target.split("#")[0]:
                events.append(f"navigated away: {url} → {page.url}")
            hits = page.evaluate("window.__xss || null")
            if hits is None:
                hits = []  # XML documents (the feed) run no init script
            for h in hits:
                events.append(f"script ran on {url} ({label}): {h}")
        page.close()

    threads, stories = board.threads, board.stories
    pages_public = (["/", "/topics/newly-diagnosed", "/stories", "/stories/feed.atom",
                     f"/search?q={WORD}", f"/search?q={WORD}&kind=stories", f"/search?q={WORD}&kind=posts"]
                    + [f"/threads/{t}" for t in threads[:12]]
                    + [f"/threads/{threads[0]}?page={n}" for n in range(2, 8)]
                    + [f"/stories/{s}" for s in stories]
                    + [f"/users/{u}" for u in board.profiles] + ["/users/alice"])
    # Listing pages beyond the first: follow the app's own "next page" links.
    from tests.attack.test_visibility_sweep import crawl

    more = crawl(app.test_client(), ["/", "/topics/newly-diagnosed", "/stories", f"/search?q={WORD}"], limit=120)
    listing = sorted(u for u in more if re.match(r"^/(topics/[^/]+|stories|search|)\?", u))
    anon = context_for()
    visit(anon, pages_public + listing, "visitor")
    anon.close()

    alice = context_for("alice")
    visit(alice, ["/notifications", f"/threads/{threads[0]}", "/stories/mine", f"/stories/{stories[0]}/edit",
                  "/settings/profile"], "alice")
    alice.close()
    mod = context_for("mod")
    visit(mod, ["/moderation", "/moderation/log", f"/moderation/threads/{threads[0]}", "/notifications"]
          + [f"/moderation/items/{i}" for i in board.queue[:25]] + [f"/users/{board.profiles[0]}/moderate"], "moderator")
    mod.close()
    assert events == [], "\n".join(events[:50])
    # Sanity: the board really holds what was posted.
    assert len(threads) == len(TITLE_VECTORS) and len(stories) >= 5 and len(board.queue) >= 3


def test_the_traps_catch_a_script_that_runs(browser):
    """The hooks are only worth something if they fire: a page without CSP that runs
    an injected handler is caught by the alert trap, and a dialog by the dialog hook."""
    ctx = browser.new_context()
    ctx.add_init_script(TRAP)
    page = ctx.new_page()
    page.set_content('<img src="data:," onerror="alert(1)"><svg onload="confirm(2)"></svg>')
    page.wait_for_timeout(100)
    assert len(page.evaluate("window.__xss")) >= 2
    ctx.close()
    ctx = browser.new_context()
    page = ctx.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content('<img src="data:," onerror="alert(3)">')
    page.wait_for_timeout(100)
    assert dialogs == ["3"]
    ctx.close()
