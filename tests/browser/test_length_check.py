"""Too much text, in Chromium against gunicorn: the browser warns before sending and keeps
every word in the box (static/js/length-check.js); a body too large for the server gets
the kind 413 page, and Back returns to the text."""
from __future__ import annotations

import time

import pytest

from board.limits import POST_BODY_MAX
from tests.browser.fixtures import screenshot
from tests.browser.world import browser_login


@pytest.fixture(scope="module")
def member_state(browser, gunicorn_server):
    """Log in once for the module (Argon2 is slow on purpose); each test gets a fresh context with the cookies."""
    context = browser.new_context()
    try:
        browser_login(context.new_page(), gunicorn_server.base, gunicorn_server.member, gunicorn_server.password)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def member_page(browser, member_state):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=member_state)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.posts = []
    page.on("request", lambda r: page.posts.append(r.url) if r.method == "POST" else None)
    yield page
    context.close()


def _thread(gunicorn_server) -> str:
    return f"{gunicorn_server.base}/threads/{gunicorn_server.thread_id}"


def test_an_over_long_reply_is_caught_before_sending_with_the_text_still_in_the_box(member_page, gunicorn_server):
    page = member_page
    page.goto(_thread(gunicorn_server))
    box = page.locator("#reply #body")
    assert box.get_attribute("data-maxlength") == str(POST_BODY_MAX)
    assert box.get_attribute("maxlength") is None  # a long paste is not cut at the limit

    words = ("These are my words and I want to keep every one of them. " * 500)[:POST_BODY_MAX + 5_000]
    box.fill(words)
    assert page.locator("#body-count").inner_text() == "You have 5,000 characters too many"
    assert box.get_attribute("aria-invalid") == "true"

    page.get_by_role("button", name="Post reply").click()
    summary = page.locator(".length-summary")
    assert summary.get_attribute("role") == "alert"
    assert "Nothing has been sent and your text is still in the box" in summary.inner_text()
    assert "25,000 characters, 5,000 over the limit of 20,000" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('length-summary')")
    assert page.posts == []  # nothing was sent
    assert page.url == _thread(gunicorn_server)
    assert box.input_value() == words  # every word still there
    screenshot(page, "length-check-over")

    # Shortened to exactly the limit, counted as the server counts (a line break is one character):
    # it is sent and posted.
    text = "x" * (POST_BODY_MAX - 10) + "\n" * 9 + "!"
    box.fill(text)
    assert page.locator("#body-count").inner_text() == "You have 0 characters left"
    assert page.locator(".length-summary").count() == 0  # the summary follows the text
    assert box.get_attribute("aria-invalid") is None
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    assert len(page.posts) == 1
    assert page.locator(".length-summary").count() == 0
    assert "x" * 200 in page.content()  # the reply is on the thread page now


def test_the_counter_appears_near_the_limit_and_is_read_out_politely(member_page, gunicorn_server):
    page = member_page
    page.goto(_thread(gunicorn_server) + "/reply")
    box = page.get_by_label("Your reply")
    counter = page.locator("#body-count")
    status = page.locator("#body-count-status")

    box.fill("a" * 15_000)
    assert counter.is_hidden()
    assert "body-count" not in (box.get_attribute("aria-describedby") or "")

    box.fill("🌷" * (POST_BODY_MAX - 1_000))  # an emoji is one character, as on the server
    assert counter.is_visible() and counter.inner_text() == "You have 1,000 characters left"
    assert "body-count" in box.get_attribute("aria-describedby").split()
    assert status.get_attribute("aria-live") == "polite"
    deadline = time.monotonic() + 5
    while status.inner_text() != "You have 1,000 characters left" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status.inner_text() == "You have 1,000 characters left"  # once typing pauses


def test_a_body_too_large_for_the_server_gets_the_kind_page_and_back_returns_to_the_text(member_page, gunicorn_server):
    page = member_page
    page.goto(_thread(gunicorn_server))
    words = "A reply I would hate to lose. " * 50
    page.locator("#reply #body").fill(words)
    # What a browser without the check would send: a form far over the server's 2 MB.
    # (form.submit() skips the submit event, as a page without JavaScript would.)
    with page.expect_navigation():
        page.evaluate("""() => {
            const form = document.querySelector('#reply form');
            const extra = document.createElement('input');
            extra.type = 'hidden'; extra.name = 'extra'; extra.value = 'x'.repeat(3 * 1024 * 1024);
            form.appendChild(extra);
            form.submit();
        }""")
    assert page.title().startswith("That was more than Circle can take in one go")
    content = page.locator("main").inner_text()
    assert "Back button" in content and "up to 20,000 characters" in content and "up to 2 MB" in content
    screenshot(page, "error-413")

    page.go_back(wait_until="load")
    assert page.locator("#reply #body").input_value() == words
