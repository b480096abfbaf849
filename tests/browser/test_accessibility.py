"""axe-core (WCAG 2.0/2.1/2.2, levels A and AA) on every page type, light and dark: zero violations.

Each row of PAGE_TYPES names the endpoints it needs, who is looking, and how to get
there. A row whose endpoint is not registered yet is skipped with the endpoint's
name, so it runs by itself once that feature lands.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser import axe
from tests.browser.world import World, browser_login, cheap_password_hashing, has
from tests.conftest import PASSWORD


@dataclass
class PageType:
    name: str
    endpoints: tuple[str, ...]
    visit: Callable  # (page, base, world) -> None
    viewer: str | None = None  # attribute of World: "alice", "newbie", "mod"
    prepare: Callable | None = None  # (world) -> None, before logging in
    expect_status: int | None = None
    needs: tuple[str, ...] = field(default_factory=tuple)


def go(path):
    def visit(page, base, w):
        target = path(w) if callable(path) else path
        return page.goto(base + target)
    return visit


def submit_empty(path, button):
    """Open a form and send it empty (the forms are `novalidate`, so the server answers)."""
    def visit(page, base, w):
        page.goto(base + (path(w) if callable(path) else path))
        send = page.get_by_role("button", name=button, exact=True)
        # Empty it first: a saved draft (issue 16) may have filled the form in.
        send.evaluate("""b => b.form && [...b.form.elements].forEach(e => {
            if (e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' && ['text', 'email', 'search'].includes(e.type))) e.value = '';
        })""")
        send.click()
        page.wait_for_load_state()
        assert page.locator("#error-summary").count() == 1, "expected the error summary"
    return visit


def login_wrong(page, base, w):
    page.goto(base + "/auth/login")
    page.get_by_label("Username or email address").fill("alice")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 1


def first_item(kind):
    def path(w):
        ids = [i[0] for i in w.items(kind=kind)]
        assert ids, f"no {kind} item in the queue"
        return f"/moderation/items/{ids[-1]}"
    return path


def second_step(page, base, w):
    """The login's second step, as a moderator sees it after the password."""
    page.goto(base + "/auth/login")
    page.get_by_label("Username or email address").fill(w.mod.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/auth/two-factor" in page.url


PAGE_TYPES = [
    PageType("home", ("forum.index",), go("/"), prepare=lambda w: w.story(featured=True)
             if not has(w.app, "stories.new", "moderation.approve") else None),
    PageType("topic", ("forum.topic",), go("/topics/newly-diagnosed"), viewer="newbie",
             prepare=lambda w: w.pending_thread()),
    PageType("thread", ("forum.thread",), go(lambda w: f"/threads/{w.thread.id}"), viewer="newbie",
             prepare=lambda w: w.pending_reply()),
    PageType("thread-visitor", ("forum.thread",), go(lambda w: f"/threads/{w.thread.id}")),
    PageType("thread-moderator", ("forum.thread",), go(lambda w: f"/threads/{w.thread.id}"), viewer="mod",
             prepare=lambda w: w.pending_reply()),
    PageType("post-history", ("forum.post_history",), go(lambda w: f"/posts/{w.thread.id}/history")),
    PageType("new-thread", ("forum.new_thread",), go("/topics/newly-diagnosed/new"), viewer="alice"),
    PageType("new-thread-errors", ("forum.new_thread",),
             submit_empty("/topics/newly-diagnosed/new", "Post thread"), viewer="alice"),
    PageType("reply-errors", ("forum.reply",),
             submit_empty(lambda w: f"/threads/{w.thread.id}/reply", "Post reply"), viewer="alice"),
    PageType("login", ("auth.login",), go("/auth/login")),
    PageType("login-errors", ("auth.login",), login_wrong),
    PageType("register", ("auth.register",), go("/auth/register")),
    PageType("register-errors", ("auth.register",), submit_empty("/auth/register", "Create my account")),
    PageType("profile", ("auth.profile",), go("/users/alice"),
             prepare=lambda w: w.story() if not has(w.app, "stories.new", "moderation.approve") else None),
    PageType("settings-profile", ("auth.settings_profile",), go("/settings/profile"), viewer="alice"),
    PageType("settings-account", ("auth.settings_account",), go("/settings/account"), viewer="alice"),
    PageType("settings-notifications", ("following.settings",), go("/settings/notifications"), viewer="alice",
             prepare=lambda w: w.follow_thread("alice")),
    PageType("settings-diagnosis", ("profile.diagnosis",), go("/settings/diagnosis"), viewer="alice"),
    PageType("for-you", ("profile.for_you",), go("/for-you"), viewer="alice"),
    PageType("for-you-visitor", ("profile.for_you",), go("/for-you")),
    PageType("settings-privacy", ("privacy.settings",), go("/settings/privacy"), viewer="alice"),
    PageType("settings-privacy-errors", ("privacy.settings",),
             submit_empty("/settings/privacy", "Delete my account"), viewer="alice"),
    PageType("moderation-topics", ("privacy.topics",), go("/moderation/topics"), viewer="admin"),
    PageType("memorial", ("privacy.memorial",), go("/users/alice/memorial"), viewer="admin"),
    PageType("password-reset", ("auth.reset_request",), go("/auth/reset")),
    PageType("error-404", ("forum.index",), go("/no-such-page"), expect_status=404),
    PageType("error-403", ("moderation.queue",), go("/moderation"), viewer="alice", expect_status=403),
    PageType("stories-list", ("stories.index", "stories.new", "moderation.approve"), go("/stories"),
             prepare=lambda w: w.story(featured=True)),
    PageType("story", ("stories.story", "stories.new", "moderation.approve"),
             go(lambda w: f"/stories/{w.story_id}"), viewer="bob", prepare=lambda w: w.story()),
    PageType("share-story", ("stories.new",), go("/stories/new"), viewer="alice"),
    PageType("share-story-errors", ("stories.new",), submit_empty("/stories/new", "Send for review"), viewer="alice"),
    PageType("stories-mine", ("stories.mine", "stories.new"), go("/stories/mine"), viewer="alice",
             prepare=lambda w: w.story(publish=False)),
    PageType("search-empty", ("search.search",), go("/search")),
    PageType("search-results", ("search.search",), go("/search?q=scan+day")),
    PageType("notifications", ("notifications.index", "moderation.approve"), go("/notifications"), viewer="newbie",
             prepare=lambda w: w.notifications_for_newbie()),
    PageType("moderation-queue", ("moderation.queue",), go("/moderation"), viewer="mod",
             prepare=lambda w: (w.pending_thread(), w.report())),
    PageType("moderation-item", ("moderation.item",), go(first_item("pending_post")), viewer="mod",
             prepare=lambda w: w.pending_thread()),
    PageType("moderation-report-item", ("moderation.item", "moderation.report_post"), go(first_item("report")),
             viewer="mod", prepare=lambda w: w.report()),
    PageType("moderation-log", ("moderation.log",), go("/moderation/log"), viewer="mod",
             prepare=lambda w: w.notifications_for_newbie()),
    PageType("moderation-words", ("moderation.words",), go("/moderation/words"), viewer="admin"),
    PageType("report-form", ("moderation.report_post",), go(lambda w: f"/posts/{w.quote.id}/report"), viewer="alice"),
    PageType("moderate-member", ("moderation.moderate_user",), go("/users/newbie/moderate"), viewer="mod"),
    PageType("settings-security", ("auth.settings_security",), go("/settings/security"), viewer="mod"),
    PageType("security-app-setup", ("auth.security_totp",), go("/settings/security/app"), viewer="alice"),
    PageType("two-factor-step", ("auth.two_factor",), second_step),
    PageType("moderation-health", ("moderation.health_dashboard",), go("/moderation/health"), viewer="admin",
             prepare=lambda w: (w.pending_thread(), w.report())),
    PageType("manage-thread", ("moderation.manage_thread",), go(lambda w: f"/moderation/threads/{w.thread.id}"),
             viewer="mod"),
    PageType("community-page", ("pages.page",), go("/guidelines")),
    PageType("community-page-edit", ("pages.edit",), go("/privacy/edit"), viewer="admin"),
    PageType("welcome", ("welcome.welcome",), go("/welcome"), viewer="alice"),
    PageType("cannot-post-unconfirmed", ("forum.new_thread",), go("/topics/newly-diagnosed/new"), viewer="unverified",
             prepare=lambda w: setattr(w, "unverified", w.make.user("unconfirmed", verified=False, trust_level=0)),
             expect_status=403),
    PageType("bookmarks", ("gestures.bookmarks",), go("/bookmarks"), viewer="alice",
             prepare=lambda w: w.client(w.alice).post(f"/posts/{w.quote.id}/bookmark", data={"note": "for later"})),
    PageType("drafts", ("gestures.drafts",), go("/drafts"), viewer="alice",
             prepare=lambda w: w.client(w.alice).post("/drafts/save", data={"place": f"reply:{w.thread.id}",
                                                                             "body": "Half a reply"})),
    PageType("who-reacted", ("gestures.post_reactions",), go(lambda w: f"/posts/{w.quote.id}/reactions"),
             viewer="alice", prepare=lambda w: w.client(w.alice).post(f"/posts/{w.quote.id}/react",
                                                                      data={"reaction": "love"})),
    PageType("messages-inbox", ("messages.inbox",), go("/messages"), viewer="alice", prepare=lambda w: w.conversation()),
    PageType("messages-conversation", ("messages.conversation",), go(lambda w: f"/messages/{w.conversation_id}"),
             viewer="bob", prepare=lambda w: w.conversation()),
    PageType("messages-requests", ("messages.requests",), go("/messages/requests"), viewer="alice",
             prepare=lambda w: w.message_request()),
    PageType("messages-new-errors", ("messages.new",), submit_empty("/messages/new?to=bob", "Send"), viewer="alice"),
    PageType("messages-settings", ("messages.settings",), go("/settings/messages"), viewer="alice"),
    PageType("messages-report", ("messages.report",), go(lambda w: f"/messages/{w.request_message_id}/report"),
             viewer="alice",
             prepare=lambda w: w.message_request()),
    PageType("moderation-message-item", ("moderation.item", "messages.report"),
             go(lambda w: f"/moderation/items/{w.message_item_id}"), viewer="mod", prepare=lambda w: w.message_report()),
    PageType("messages-outreach", ("messages.outreach",),
             go(lambda w: f"/moderation/items/{w.message_item_id}/message"), viewer="mod",
             prepare=lambda w: w.message_report()),
]


@pytest.fixture
def world(app, make, monkeypatch):
    cheap_password_hashing(monkeypatch)
    return World(app, make)


@pytest.mark.parametrize("pt", PAGE_TYPES, ids=[p.name for p in PAGE_TYPES])
def test_no_axe_violations_in_light_and_dark(pt, page, live_server, world, make):
    missing = has(world.app, *pt.endpoints)
    if missing:
        pytest.skip(f"page type {pt.name!r} needs endpoint(s) not registered yet: {', '.join(missing)}")
    if pt.viewer == "admin":
        world.admin = make.user("boss", role="admin")
    if pt.prepare:
        pt.prepare(world)
    page.emulate_media(color_scheme="light")
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    if pt.viewer:
        browser_login(page, live_server, getattr(world, pt.viewer).username)
    response = pt.visit(page, live_server, world)
    if pt.expect_status and response is not None:
        assert response.status == pt.expect_status
    assert page.locator("h1").count() == 1, f"{pt.name}: expected exactly one <h1>"
    report = []
    for scheme in ("light", "dark"):
        # The colour scheme applies live: the same page is checked in both themes.
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        found = axe.violations(page)
        if found:
            report.append(axe.format_violations(found, f"{pt.name} ({scheme})"))
    assert not report, "\n".join(report)
    assert not csp, f"{pt.name}: the page broke its Content-Security-Policy: {csp}"


ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = [
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "on*= event attribute"),
    (re.compile(r"<style\b", re.IGNORECASE), "<style> element"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)", re.IGNORECASE), "inline <script>"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def test_templates_have_nothing_the_csp_would_block():
    """No inline script, style or event handler in any template (the CSP forbids them)."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in FORBIDDEN:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
