"""Phone first, in Chromium: on a 390 × 844 screen the header is at most 64 px tall for every
role and stays at the top; its menu opens without JavaScript and holds the navigation, text
size and theme; the home page shows recent conversations before the topic list; no page type
scrolls sideways at 320 px in any text size. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser.fixtures import ARTIFACTS
from tests.browser.world import World, browser_login, cheap_password_hashing

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1}
NARROW = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1}
HEADER_MAX = 64

PAGES = [  # (label, viewer, path)
    ("home", None, lambda w: "/"),
    ("topic", None, lambda w: "/topics/newly-diagnosed"),
    ("thread", "alice", lambda w: f"/threads/{w.thread.id}"),
    ("stories", None, lambda w: "/stories"),
    ("guidelines", None, lambda w: "/guidelines"),
    ("register", None, lambda w: "/auth/register"),
    ("new-thread", "alice", lambda w: "/topics/newly-diagnosed/new"),
    ("welcome", "alice", lambda w: "/welcome"),
    ("queue", "mod", lambda w: "/moderation"),
    ("log", "mod", lambda w: "/moderation/log"),
    ("words", "admin", lambda w: "/moderation/words"),
    ("reasons", "admin", lambda w: "/moderation/reasons"),
    ("page-edit", "admin", lambda w: "/help/edit"),
    ("members-only-topics", "admin", lambda w: "/moderation/topics"),
]

SIDEWAYS = """() => {
  const doc = document.documentElement;
  const wide = Array.from(document.querySelectorAll('main *')).filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || getComputedStyle(el).position === 'absolute') return false;
    let p = el.parentElement;
    while (p && p !== document.body) { const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return false; p = p.parentElement; }
    return r.right > doc.clientWidth + 1;
  }).slice(0, 3).map(el => el.tagName.toLowerCase() + '.' + el.className);
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
}"""


@pytest.fixture
def world(app, make, monkeypatch):
    cheap_password_hashing(monkeypatch)
    w = World(app, make)
    w.admin = make.user("admin", role="admin")
    w.newbie  # noqa: B018
    make.reply(w.newbie, w.thread, "My first reply, waiting for review.")
    return w


def _page(browser, base, world, viewer, options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    if viewer:
        browser_login(page, base, getattr(world, viewer).username)
    return page


def test_header_is_slim_sticky_and_its_menu_works_without_javascript(browser, live_server, world):
    heights = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for viewer in (None, "alice", "mod", "admin"):
        page = _page(browser, live_server, world, viewer, PHONE)
        try:
            page.goto(live_server + "/")
            heights[viewer or "visitor"] = page.locator(".site-header").bounding_box()["height"]
            page.screenshot(path=str(ARTIFACTS / f"phone-home-{viewer or 'visitor'}-390x844.png"))
            page.mouse.wheel(0, 2000)
            page.wait_for_timeout(100)
            assert page.locator(".site-header").bounding_box()["y"] == 0, "the header scrolled away"
        finally:
            page.context.close()
    assert all(h <= HEADER_MAX for h in heights.values()), heights
    print("header heights at 390 px:", heights)

    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        assert not page.get_by_role("link", name="Stories").is_visible()
        page.locator(".menu-button").click()
        assert page.get_by_role("link", name="Stories").is_visible()
        assert page.get_by_role("button", name="Larger").is_visible()
        page.screenshot(path=str(ARTIFACTS / "phone-menu-open-390x844.png"))
        page.get_by_role("button", name="Dark").click()  # the form posts, no script needed
        page.wait_for_load_state()
        assert "theme-dark" in page.locator("html").get_attribute("class")
        page.locator(".menu-button").click()
        page.get_by_role("button", name="Larger").click()
        page.wait_for_load_state()
        assert "text-larger" in page.locator("html").get_attribute("class")
        assert "theme-dark" in page.locator("html").get_attribute("class")  # both remembered (cookies)
        # recent conversations come before the topic list
        order = page.evaluate("() => [document.querySelector('#latest-title'), document.querySelector('#topics-title')]"
                              ".map(h => h.getBoundingClientRect().top)")
        assert order[0] < order[1]
    finally:
        context.close()


@pytest.mark.parametrize("size", ["normal", "larger"])
def test_no_page_scrolls_sideways_at_320px(size, browser, live_server, world):
    pages, problems = {}, []
    try:
        for label, viewer, path in PAGES:
            if viewer not in pages:
                pages[viewer] = _page(browser, live_server, world, viewer, NARROW)
                pages[viewer].context.add_cookies([{"name": "text_size", "value": size, "url": live_server}])
                if viewer:
                    pages[viewer].goto(live_server + "/")
                    pages[viewer].locator(".menu-button").click()
                    pages[viewer].get_by_role("button", name=size.capitalize()).click()
                    pages[viewer].wait_for_load_state()
            page = pages[viewer]
            page.goto(live_server + path(world))
            assert f"text-{size}" in page.locator("html").get_attribute("class"), label
            result = page.evaluate(SIDEWAYS)
            if result["scroll"] > result["client"] + 1 or result["wide"]:
                problems.append(f"{label} ({size}): {result}")
                page.screenshot(path=str(ARTIFACTS / f"sideways-{label}-{size}-320.png"), full_page=True)
    finally:
        for p in pages.values():
            p.context.close()
    assert not problems, "\n".join(problems)


def test_first_day_on_a_phone(browser, live_server, world, app):
    """Register (guidelines ticked) → confirm → the welcome → home, on 390 × 844, with screenshots."""
    from sqlalchemy import select

    from board.auth.tokens import make_verify_token
    from board.extensions import db
    from board.models import User
    from tests.conftest import PASSWORD

    page = _page(browser, live_server, world, None, PHONE)
    shots = ARTIFACTS / "first-day"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(live_server + "/auth/register")
        page.get_by_label("Username").fill("maria_new")
        page.get_by_label("Email address").fill("maria@example.org")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("I have read the community guidelines").check()
        page.screenshot(path=str(shots / "1-register.png"), full_page=True)
        page.get_by_role("button", name="Create my account").click()
        page.wait_for_load_state()
        page.screenshot(path=str(shots / "2-check-email.png"), full_page=True)
        with app.app_context():
            token = make_verify_token(db.session.scalar(select(User).where(User.username == "maria_new")))
        page.goto(live_server + f"/auth/verify/{token}")
        page.get_by_role("button", name="Yes, confirm this address").click()
        page.wait_for_load_state()
        assert page.url.endswith("/welcome")
        page.screenshot(path=str(shots / "3-welcome.png"), full_page=True)
        page.get_by_label("Display name").fill("Maria")
        page.get_by_label("I am…").select_option("living")
        page.get_by_label("Newly diagnosed").check()
        page.get_by_role("button", name="Save and go to Circle").click()
        page.wait_for_load_state()
        assert page.url == live_server + "/"
        assert "Welcome to Circle, Maria" in page.locator(".flashes").inner_text()
        assert page.locator(".site-header").bounding_box()["height"] <= HEADER_MAX
        page.screenshot(path=str(shots / "4-home.png"))
        page.goto(live_server + "/topics/newly-diagnosed/new")
        assert "A moderator reads your first posts before they appear" in page.content()
        page.screenshot(path=str(shots / "5-new-thread.png"), full_page=True)
    finally:
        page.context.close()
