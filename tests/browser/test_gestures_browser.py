"""Gestures in Chromium: reactions with and without JavaScript, a linked post focused in its
thread, reply in place, drafts across two browser contexts, and the leave-page warning."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import Draft, Post
from tests.browser.fixtures import screenshot
from tests.browser.world import browser_login


def _context(browser, *, js=True, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _love_count(app, post_id):
    with app.app_context():
        return db.session.get(Post, post_id).react_love


def test_reacting_with_javascript_updates_in_place(browser, live_server, app, make):
    thread = make.thread(make.user("alice"), title="Progression news", body="The scan showed progression.")
    make.user("june")
    page = _context(browser, width=390)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, live_server, "june")
    page.goto(f"{live_server}/threads/{thread.id}")
    url = page.url
    button = page.locator(f"#post-{thread.first_post_id}").get_by_role("button", name="Sending love")
    button.click()
    page.locator(f'#post-{thread.first_post_id} button[value="love"][aria-pressed="true"]').wait_for()
    assert page.url == url  # no reload
    assert "1 person sent love" in page.locator(f"#post-{thread.first_post_id} button[value=love]").inner_text()
    assert _love_count(app, thread.first_post_id) == 1
    # a quick double click sends once (the button is busy until the answer comes)
    hugs = page.locator(f'#post-{thread.first_post_id} button[value="hugs"]')
    hugs.dblclick()
    page.locator(f'#post-{thread.first_post_id} button[value="hugs"][aria-pressed="true"]').wait_for()
    page.wait_for_timeout(300)
    with app.app_context():
        assert db.session.get(Post, thread.first_post_id).react_hugs == 1
    # by keyboard: Space on the focused button takes "love" back
    button.focus()
    page.keyboard.press("Space")
    page.locator(f'#post-{thread.first_post_id} button[value="love"][aria-pressed="false"]').wait_for()
    assert _love_count(app, thread.first_post_id) == 0
    screenshot(page, "gestures-reactions", widths=((390, 844),))
    assert errors == []
    page.context.close()


def test_reacting_without_javascript_posts_and_comes_back(browser, live_server, app, make):
    thread = make.thread(make.user("alice"), replies=2, reply_author=make.user("bob"))
    make.user("june")
    page = _context(browser, js=False)
    browser_login(page, live_server, "june")
    page.goto(f"{live_server}/threads/{thread.id}")
    target = thread.first_post_id + 1
    with page.expect_navigation():
        page.locator(f"#post-{target}").get_by_role("button", name="Thinking of you").click()
    assert page.url.endswith(f"/threads/{thread.id}#post-{target}")
    assert page.locator(f'#post-{target} button[value="thinking"]').get_attribute("aria-pressed") == "true"
    assert "1 person is thinking of you" in page.locator(f"#post-{target}").inner_text()
    page.context.close()


def test_a_linked_post_is_shown_in_its_thread_focused_and_highlighted(browser, live_server, make):
    thread = make.thread(make.user("alice"), body="My question about scans")
    reply = make.reply(make.user("bob"), thread, "My answer")
    page = _context(browser)
    page.goto(f"{live_server}/posts/{reply.id}")
    assert page.url.endswith(f"#post-{reply.id}")
    assert "My question about scans" in page.locator("main").inner_text()  # its neighbour is there
    assert page.evaluate("document.activeElement.id") == f"post-{reply.id}"
    border = page.evaluate(f"getComputedStyle(document.getElementById('post-{reply.id}')).borderTopWidth")
    assert border == "2px"
    page.context.close()


def test_reply_to_a_post_opens_the_box_in_place_and_links_back(browser, live_server, app, make):
    thread = make.thread(make.user("alice", display_name="Alice M."), body="Started a new line of treatment.")
    make.user("june")
    page = _context(browser)
    browser_login(page, live_server, "june")
    page.goto(f"{live_server}/threads/{thread.id}")
    url = page.url
    page.locator(f"#post-{thread.first_post_id}").get_by_role("link", name="Reply to this post").click()
    box = page.get_by_label("Your reply")
    assert page.url == url and page.evaluate("document.activeElement.name") == "body"
    assert box.input_value().startswith("Alice M. wrote:\n\n> Started a new line of treatment.")
    assert "Replying to Alice M." in page.locator("[data-replying-to]").inner_text()
    box.press("End")
    box.type("Thinking of you.")
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    assert "Your reply is posted" in page.locator("main").inner_text()
    link = page.get_by_role("link", name="in reply to Alice M.")
    assert link.get_attribute("href") == f"#post-{thread.first_post_id}"
    page.context.close()


def test_a_draft_saves_itself_and_comes_back_on_another_device(browser, live_server, app, make):
    thread = make.thread(make.user("alice"))
    make.user("june")
    phone = _context(browser, width=390)
    browser_login(phone, live_server, "june")
    phone.goto(f"{live_server}/threads/{thread.id}")
    phone.get_by_label("Your reply").fill("I had the same scan last spring and")
    phone.locator("[data-draft-status]").filter(has_text="Draft saved").wait_for(timeout=8000)
    laptop = _context(browser)
    browser_login(laptop, live_server, "june")
    laptop.goto(f"{live_server}/threads/{thread.id}/reply")
    assert laptop.get_by_label("Your reply").input_value() == "I had the same scan last spring and"
    laptop.get_by_label("Your reply").fill("I had the same scan last spring and it was fine.")
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Post reply").click()
    with app.app_context():
        assert db.session.scalars(select(Draft)).all() == []  # posted: the draft is gone
    phone.goto(f"{live_server}/threads/{thread.id}")
    assert phone.get_by_label("Your reply").input_value() == ""
    phone.context.close()
    laptop.context.close()


def test_leaving_a_page_with_unsaved_text_asks_first(browser, live_server, make):
    make.user("june")
    page = _context(browser)
    browser_login(page, live_server, "june")
    page.goto(f"{live_server}/topics/newly-diagnosed/new")
    page.get_by_label("Your message").fill("Words not yet saved")  # the autosave waits 2.5 s
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", on_dialog)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/topics/newly-diagnosed/new")
    assert page.get_by_label("Your message").input_value() == "Words not yet saved"
    page.context.close()
