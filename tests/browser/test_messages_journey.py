"""Private messages in Chromium (issue 15): two members become friends in a thread, one sends a
message request, the other accepts, they talk, one reports a later message, and a moderator
handles the report — seeing only that message and the two before it. Phone width for the
member's pages, no console errors or CSP violations anywhere."""
from __future__ import annotations

from sqlalchemy import select

from tests.browser.fixtures import screenshot, watched_page
from tests.browser.world import browser_login, cheap_password_hashing


def _go(page, locator) -> None:
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.click()


def test_two_members_talk_privately_one_reports_and_a_moderator_handles_it(app, make, browser, live_server,
                                                                            monkeypatch):
    cheap_password_hashing(monkeypatch)
    make.user("alice", display_name="Alice M.")
    make.user("bob", display_name="Bob K.")
    make.user("mod", role="moderator", display_name="Mo")
    base = live_server

    # Alice starts a thread; Bob replies there: that is how they meet.
    alice_ctx, alice, alice_errors = watched_page(browser, accept_dialogs=True)
    browser_login(alice, base, "alice")
    alice.goto(base + "/topics/newly-diagnosed/new")
    alice.get_by_label("Title").fill("Scan day nerves again")
    alice.get_by_label("Your message").fill("Does anyone else stop sleeping the week before a scan?")
    _go(alice, alice.get_by_role("button", name="Post thread"))
    thread_url = alice.url

    bob_ctx, bob, bob_errors = watched_page(browser, accept_dialogs=True)
    browser_login(bob, base, "bob")
    bob.goto(thread_url)
    bob.get_by_label("Your reply").fill("Every time. I bring a crossword and a friend.")
    _go(bob, bob.get_by_role("button", name="Post reply"))

    # Alice writes to Bob from his profile: a request.
    alice.goto(base + "/users/bob")
    _go(alice, alice.get_by_role("link", name="Send a message"))
    assert alice.get_by_label("To (usernames, separated by commas; up to 5 people)").input_value() == "bob"
    alice.get_by_label("Your message").fill("Thank you for the crossword idea. Could we talk sometimes?")
    _go(alice, alice.get_by_role("button", name="Send"))
    assert "hasn't accepted yet" in alice.content()
    screenshot(alice, "messages-request-sent")

    # Bob sees the request with Alice's profile summary, and accepts.
    bob.goto(base + "/")
    menu = bob.locator("summary.menu-button")
    if menu.is_visible():  # on a phone the navigation sits in the menu
        menu.click()
    _go(bob, bob.get_by_role("link", name="Messages").first)
    _go(bob, bob.get_by_role("link", name="Message requests"))
    assert "From Alice M." in bob.content() and "Could we talk sometimes?" in bob.content()
    screenshot(bob, "messages-request")
    _go(bob, bob.get_by_role("button", name="Accept"))
    assert "Could we talk sometimes?" in bob.content()
    bob.get_by_label("Your message").fill("Of course. How did the last scan go?")
    _go(bob, bob.get_by_role("button", name="Send"))

    # They talk; Alice's inbox marks the unread conversation.
    alice.goto(base + "/messages")
    assert alice.locator(".conversation-row.unread").count() == 1
    _go(alice, alice.get_by_role("link", name="Bob K."))
    assert "How did the last scan go?" in alice.content()
    alice.get_by_label("Your message").fill("Stable, thank goodness.")
    _go(alice, alice.get_by_role("button", name="Send"))
    bob.goto(alice.url.split("#")[0])
    bob.get_by_label("Your message").fill("So glad. Let's keep in touch.")
    _go(bob, bob.get_by_role("button", name="Send"))
    alice.goto(bob.url.split("#")[0])
    alice.get_by_label("Your message").fill("zqlater Honestly you should try my cousin's supplements, DM me.")
    _go(alice, alice.get_by_role("button", name="Send"))
    screenshot(alice, "messages-conversation")

    # Bob reports that later message.
    bob.goto(alice.url.split("#")[0])
    _go(bob, bob.get_by_role("link", name="Report this message").last)
    assert "at most the two before it" in bob.content()
    bob.get_by_label("Spam").check()
    _go(bob, bob.get_by_role("button", name="Send report"))
    assert "Thank you for telling us" in bob.content()

    # The moderator handles it: only the reported message and the two before it are shown.
    mod_ctx, mod, mod_errors = watched_page(browser, 1280, 800, accept_dialogs=True)
    browser_login(mod, base, "mod")
    mod.goto(base + "/moderation")
    assert "zqlater" not in mod.content()  # the queue never quotes a private message
    _go(mod, mod.get_by_role("link", name="Open item").first)
    content = mod.content()
    assert "zqlater" in content and "So glad" in content and "Stable, thank goodness" in content
    assert "How did the last scan go?" not in content and "Could we talk sometimes?" not in content
    screenshot(mod, "messages-moderator-item")
    mod.get_by_label("In your own words, to the author").fill("Please don't sell things in private messages.")
    _go(mod, mod.get_by_role("button", name="Remove"))
    assert "Removed, and the author told why." in mod.content()
    mod.goto(base + "/moderation/log")
    assert "Read a private message (queue item)" in mod.content()
    conversation = alice.url.split("#")[0]
    assert mod.goto(conversation).status == 404  # no way into the conversation itself

    bob.goto(conversation)
    assert "zqlater" not in bob.content() and "Message removed." in bob.content()

    with app.app_context():
        from board.extensions import db
        from board.models import ModerationAction

        assert db.session.scalar(select(ModerationAction).where(ModerationAction.action == "view_private"))
    assert [e for e in alice_errors + bob_errors + mod_errors if "404" not in e] == []
    for ctx in (alice_ctx, bob_ctx, mod_ctx):
        ctx.close()
