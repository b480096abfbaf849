"""Keyboard-only use, visible focus, reflow at 320 px and 200% zoom, the text-size control,
and the reading-comfort details (error summary, exact times, jump links) in Chromium."""
from __future__ import annotations

import pytest

from tests.browser.world import World, browser_login, cheap_password_hashing, has

LONG_WORD = "https://example.org/" + "a-very-long-unbroken-address-" * 8


@pytest.fixture
def world(app, make, monkeypatch):
    cheap_password_hashing(monkeypatch)
    w = World(app, make)
    make.reply(w.bob, w.thread, f"A long link that must wrap: {LONG_WORD}")
    return w


# ---------------------------------------------------------------- helpers

FOCUSABLE = (
    'a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), select:not([disabled]), '
    'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'
)

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.kbd) el.dataset.kbd = String(document.querySelectorAll('[data-kbd]').length + 1);
  const s = getComputedStyle(el);
  return {
    key: el.dataset.kbd, tag: el.tagName.toLowerCase(), id: el.id,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
    outlineColor: s.outlineColor, boxShadow: s.boxShadow,
  };
}"""

UNFOCUSED = """(key) => {
  const el = document.querySelector(`[data-kbd="${key}"]`);
  if (document.activeElement) document.activeElement.blur();
  const s = getComputedStyle(el);
  return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
          outlineColor: s.outlineColor, boxShadow: s.boxShadow};
}"""

EXPECTED_STOPS = """(selector) => Array.from(document.querySelectorAll(selector)).filter(el => {
  if (el.closest('[hidden], [inert]')) return false;
  const s = getComputedStyle(el);
  // checkVisibility: also false inside a closed <details> (its content is skipped, not focusable)
  return s.visibility !== 'hidden' && s.display !== 'none' && el.getClientRects().length > 0
    && el.checkVisibility({visibilityProperty: true});
}).length"""


def focus_indicator_visible(focused: dict, unfocused: dict) -> bool:
    outline = focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2
    changed = (focused["outlineStyle"], focused["outlineWidth"], focused["outlineColor"], focused["boxShadow"]) != (
        unfocused["outlineStyle"], unfocused["outlineWidth"], unfocused["outlineColor"], unfocused["boxShadow"])
    return (outline or focused["boxShadow"] != "none") and changed


def tab_through(page, limit=250) -> list[dict]:
    """Press Tab from the top of the page until focus leaves the document; every stop, in order."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(ACTIVE)
        if info is None:  # past the last element: focus went to the browser, the next Tab wraps
            break
        if stops and info["key"] == stops[0]["key"]:
            break
        stops.append(info)
    return stops


def tab_to(page, predicate, limit=150, backwards=False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element satisfies `predicate(info)`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = page.evaluate(ACTIVE)
        if info and predicate(info):
            return info
    raise AssertionError("never reached the element with the keyboard")


def press_and_wait(page, key="Enter"):
    """Press a key that follows a link or submits a form, and wait for the new page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def named(text):
    return lambda info: info["text"] == text


def field_id(id_):
    return lambda info: info["id"] == id_


# ---------------------------------------------------------------- focus visible, never stuck

KEYBOARD_PAGES = [
    ("home", None, lambda w: "/"),
    ("topic", None, lambda w: "/topics/newly-diagnosed"),
    ("thread", "alice", lambda w: f"/threads/{w.thread.id}"),
    ("new-thread", "alice", lambda w: "/topics/newly-diagnosed/new"),
]


@pytest.mark.parametrize("name,viewer,path", KEYBOARD_PAGES, ids=[p[0] for p in KEYBOARD_PAGES])
def test_tabbing_visits_every_control_with_a_visible_focus_and_no_trap(name, viewer, path, page, live_server, world):
    if viewer:
        browser_login(page, live_server, getattr(world, viewer).username)
    page.goto(live_server + path(world))
    expected = page.evaluate(EXPECTED_STOPS, FOCUSABLE)
    stops = tab_through(page)

    keys = [s["key"] for s in stops]
    assert len(keys) == len(set(keys)), f"focus came back to an element before the end (a trap?): {stops}"
    assert len(stops) >= expected, f"Tab reached {len(stops)} of {expected} controls on {name}"
    assert stops[0]["text"] == "Skip to main content"

    invisible = []
    for stop in stops:
        unfocused = page.evaluate(UNFOCUSED, stop["key"])
        if not focus_indicator_visible(stop, unfocused):
            invisible.append((stop["tag"], stop["id"], stop["text"], stop["outlineStyle"], stop["outlineWidth"]))
    assert not invisible, f"no visible focus indicator on {name}: {invisible}"

    # Shift+Tab walks back the same way.
    page.goto(live_server + path(world))
    tab_through(page)
    page.keyboard.press("Shift+Tab")
    last = page.evaluate(ACTIVE)
    page.keyboard.press("Shift+Tab")
    before_last = page.evaluate(ACTIVE)
    assert last and before_last and last["text"] == stops[-1]["text"] and before_last["text"] == stops[-2]["text"]


def test_a_member_logs_in_starts_a_thread_and_replies_with_the_keyboard_alone(page, live_server, world):
    page.goto(live_server + "/")
    tab_to(page, named("Log in"))
    press_and_wait(page)
    tab_to(page, field_id("username"))
    page.keyboard.type("alice")
    tab_to(page, field_id("password"))
    from tests.conftest import PASSWORD

    page.keyboard.type(PASSWORD)
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Log in")
    press_and_wait(page)
    assert page.get_by_role("button", name="Log out").count() == 1, page.locator("main").inner_text()

    tab_to(page, named("Newly diagnosed"))
    press_and_wait(page)
    assert page.url.endswith("/topics/newly-diagnosed")
    tab_to(page, named("Start a new thread"))
    press_and_wait(page)
    assert page.url.endswith("/new")
    tab_to(page, field_id("title"))
    page.keyboard.type("Typing this with the keyboard only")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "body"
    page.keyboard.type("Does anyone else find the clinic forms hard to fill in?")
    tab_to(page, named("Post thread"))
    press_and_wait(page, "Space")
    assert "/threads/" in page.url
    assert page.locator("h1").inner_text() == "Typing this with the keyboard only"

    tab_to(page, field_id("body"))
    page.keyboard.type("Replying with the keyboard too.")
    tab_to(page, named("Post reply"))
    press_and_wait(page)
    assert page.get_by_text("Replying with the keyboard too.").count() == 1


# ---------------------------------------------------------------- reflow

REFLOW_PAGES = [
    # (label, viewer, path, endpoints needed)
    ("home", None, lambda w: "/", ("forum.index",)),
    ("topic", None, lambda w: "/topics/newly-diagnosed", ("forum.topic",)),
    ("thread", None, lambda w: f"/threads/{w.thread.id}", ("forum.thread",)),
    ("login", None, lambda w: "/auth/login", ("auth.login",)),
    ("register", None, lambda w: "/auth/register", ("auth.register",)),
    ("profile", None, lambda w: "/users/alice", ("auth.profile",)),
    ("404", None, lambda w: "/no-such-page", ("forum.index",)),
    ("stories", None, lambda w: "/stories", ("stories.index",)),
    ("search", None, lambda w: "/search?q=scan", ("search.search",)),
    ("thread-member", "alice", lambda w: f"/threads/{w.thread.id}", ("forum.thread",)),
    ("new-thread", "alice", lambda w: "/topics/newly-diagnosed/new", ("forum.new_thread",)),
    ("settings", "alice", lambda w: "/settings/profile", ("auth.settings_profile",)),
    ("share-story", "alice", lambda w: "/stories/new", ("stories.new",)),
    ("notifications", "alice", lambda w: "/notifications", ("notifications.index",)),
    ("queue", "mod", lambda w: "/moderation", ("moderation.queue",)),
    ("log", "mod", lambda w: "/moderation/log", ("moderation.log",)),
    ("words", "mod", lambda w: "/moderation/words", ("moderation.words",)),
]

LAYOUT = """() => {
  const doc = document.documentElement;
  // Only what is shown: the navigation in a closed menu (phones) takes no room on the page.
  const box = (sel) => { const el = document.querySelector(sel); if (!el || !el.checkVisibility()) return null;
    const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const overlaps = (a, b) => a && b && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const header = box('.site-header'), nav = box('.site-nav'), main = box('main'), footer = box('.site-footer');
  // Anything in <main> sticking out past the right edge (wider than the page) makes the reader scroll sideways.
  const wide = Array.from(document.querySelectorAll('main *')).filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || getComputedStyle(el).position === 'absolute') return false;
    let p = el.parentElement;  // contents of a scrolling box (e.g. a table-wrap) are fine
    while (p && p !== document.body) { const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return false; p = p.parentElement; }
    return r.right > doc.clientWidth + 1;
  }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' right=' +
                     Math.round(el.getBoundingClientRect().right));
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide,
          navOverMain: overlaps(nav, main), headerOverMain: overlaps(header, main),
          mainOverFooter: overlaps(main, footer)};
}"""

VIEWPORTS = {
    "320px": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    # 1280×800 at 200% zoom: a 640×400 CSS-pixel layout viewport drawn with 2 device pixels per CSS pixel.
    "1280px-at-200pct-zoom": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_no_sideways_scrolling_or_overlap(size, browser, live_server, world, make):
    world.mod  # noqa: B018 - the moderator exists in every world
    problems, checked = [], []
    contexts = {}
    try:
        for label, viewer, path, endpoints in REFLOW_PAGES:
            if has(world.app, *endpoints):
                continue
            if viewer not in contexts:
                ctx = browser.new_context(**VIEWPORTS[size])
                contexts[viewer] = ctx.new_page()
                if viewer:
                    browser_login(contexts[viewer], live_server, getattr(world, viewer).username)
            page = contexts[viewer]
            page.goto(live_server + path(world))
            result = page.evaluate(LAYOUT)
            checked.append(label)
            if result["scrollWidth"] > result["clientWidth"] + 1 or result["wide"]:
                problems.append(f"{label}: page is {result['scrollWidth']}px wide in a {result['clientWidth']}px "
                                f"window; too wide: {result['wide']}")
            for key in ("navOverMain", "headerOverMain", "mainOverFooter"):
                if result[key]:
                    problems.append(f"{label}: {key}")
    finally:
        for p in contexts.values():
            p.context.close()
    assert len(checked) >= 8, checked
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- text size

def root_font_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def open_display_settings(page):
    """On a laptop the text size and theme buttons sit in a small drop-down ("Aa Text size")."""
    summary = page.locator(".display-button")
    if summary.is_visible() and not page.evaluate("document.querySelector('.display-menu').open"):
        summary.click()


def test_laptop_header_is_one_compact_bar_with_text_size_in_a_drop_down(page, live_server, world):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server + "/")
    assert page.locator(".site-header").bounding_box()["height"] <= 100
    assert not page.get_by_role("button", name="Larger").is_visible()
    summary = page.locator(".display-button")
    summary.focus()
    page.keyboard.press("Enter")  # a keyboard opens it
    assert page.get_by_role("button", name="Larger").is_visible()
    page.keyboard.press("Escape")  # and Escape closes it, focus back on its button
    assert not page.get_by_role("button", name="Larger").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('display-button')")


def test_visitor_text_size_sets_a_cookie_and_persists(page, live_server, world):
    page.goto(live_server + f"/threads/{world.thread.id}")
    normal = root_font_px(page)
    open_display_settings(page)
    button = page.get_by_role("button", name="Larger")
    button.focus()
    page.keyboard.press("Enter")
    assert "text-larger" in page.evaluate("document.documentElement.className").split()
    assert button.get_attribute("aria-pressed") == "true"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("text_size") == "larger"
    page.reload()
    assert "text-larger" in page.evaluate("document.documentElement.className").split()
    assert root_font_px(page) >= normal * 1.3
    open_display_settings(page)
    assert page.get_by_role("button", name="Larger").get_attribute("aria-pressed") == "true"


def test_text_size_works_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/topics/newly-diagnosed")
        open_display_settings(page)
        page.get_by_role("button", name="Large", exact=True).click()
        page.wait_for_load_state()
        assert page.url.endswith("/topics/newly-diagnosed")  # back where the reader was
        assert "text-large" in page.evaluate("document.documentElement.className").split()
        assert {c["name"]: c["value"] for c in context.cookies()}.get("text_size") == "large"
    finally:
        context.close()


def test_member_text_size_is_saved_to_the_account(browser, page, live_server, world, app):
    browser_login(page, live_server, "alice")
    page.goto(live_server + "/")
    open_display_settings(page)
    page.get_by_role("button", name="Larger").click()
    page.wait_for_load_state()
    assert "text-larger" in page.evaluate("document.documentElement.className").split()

    from board.extensions import db
    from board.models import User

    with app.app_context():
        assert db.session.get(User, world.alice.id).text_size == "larger"

    # Another device (no cookie): the account remembers.
    other = browser.new_context()
    try:
        p2 = other.new_page()
        browser_login(p2, live_server, "alice")
        assert "text-larger" in p2.evaluate("document.documentElement.className").split()
    finally:
        other.close()


# ---------------------------------------------------------------- reading comfort

def test_form_errors_are_announced_and_tied_to_their_fields(page, live_server, world):
    browser_login(page, live_server, "alice")
    page.goto(live_server + "/topics/newly-diagnosed/new")
    page.get_by_role("button", name="Post thread").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "error-summary"  # focus moved there (site.js)
    links = summary.locator("a")
    assert links.count() >= 2
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href").lstrip("#")
        field = page.locator(f"#{target}")
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby").split()
        texts = [page.locator(f"#{d}").inner_text() for d in described]
        assert any(links.nth(i).inner_text() in t for t in texts), (target, texts)
        # Never colour alone: the message says "Error:" to screen readers and carries an icon.
        error = page.locator(f"#{target}-error")
        assert error.locator(".visually-hidden").inner_text().startswith("Error")
    # Following a summary link puts the caret in the field.
    links.first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == links.first.get_attribute("href").lstrip("#") or \
        page.evaluate("location.hash") == links.first.get_attribute("href")


def test_exact_time_is_available_on_hover_focus_and_to_screen_readers(page, live_server, world):
    page.goto(live_server + f"/threads/{world.thread.id}")
    time = page.locator(".post .post-meta time").first
    assert time.get_attribute("title")  # hover
    exact = time.locator(".exact-time")
    assert "UTC" in exact.text_content()  # in the accessibility tree
    assert exact.bounding_box()["width"] <= 1  # but not shown until asked for
    tab_to(page, lambda i: i["tag"] == "a" and "ago" in i["text"] or "just now" in i["text"])
    assert exact.bounding_box()["width"] > 20  # shown beside the relative time while the link has focus


def test_long_threads_have_jump_to_newest_and_back_to_top(page, live_server, world, make):
    long = make.thread(world.alice, title="A long conversation", replies=45, reply_author=world.bob)
    page.goto(live_server + f"/threads/{long.id}")
    page.get_by_role("link", name="Jump to the newest post").click()
    page.wait_for_load_state()
    assert page.get_by_text("Reply 45", exact=True).count() == 1
    # lands on the newest post itself (focused for keyboard and screen-reader users)
    assert page.evaluate("location.hash") == f"#post-{long.last_post_id}"
    assert page.evaluate("document.activeElement.id") == f"post-{long.last_post_id}"
    back = page.locator("main").get_by_role("link", name="Back to top")
    assert back.count() == 1
    back.click()
    assert page.evaluate("location.hash") == "#main"


def test_reduced_motion_and_dark_scheme_are_respected(page, live_server, world):
    page.goto(live_server + "/")
    button_transition = "getComputedStyle(document.querySelector('.text-size-control button')).transitionDuration"
    assert page.evaluate(button_transition) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
    assert set(page.evaluate(button_transition).split(", ")) == {"0s"}
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light


@pytest.mark.parametrize("next_url", ["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"])
def test_text_size_setting_only_returns_to_local_pages(client, next_url):
    r = client.post("/settings/display", data={"text_size": "large", "next": next_url})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_unknown_text_size_changes_nothing(client):
    r = client.post("/settings/display", data={"text_size": "huge", "next": "/topics/newly-diagnosed"})
    assert r.status_code == 302 and r.headers["Location"] == "/topics/newly-diagnosed"
    assert "text_size" not in r.headers.get("Set-Cookie", "")
