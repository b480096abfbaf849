"""The forum used in a real browser: read, register, post, reply — with the keyboard where it matters."""
from tests.browser.fixtures import screenshot
from tests.conftest import PASSWORD


def test_visitor_reads_registers_and_starts_a_thread(page, live_server, make):
    alice = make.user("alice")
    make.thread(alice, topic="bone-metastases", title="Heat packs or cold packs?", body="Which helps *you* more?")

    page.goto(live_server + "/")
    assert "Welcome to Circle" in page.content()
    page.get_by_role("link", name="Bone metastases").click()
    page.get_by_role("link", name="Heat packs or cold packs?").click()
    assert page.locator(".post-body em").inner_text() == "you"
    screenshot(page, "forum-thread")

    page.get_by_role("link", name="Join Circle").first.click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email address").fill("newcomer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I have read the community guidelines").check()
    page.get_by_role("button", name="Create my account").click()
    assert "You're logged in" in page.content() or "check your inbox" in page.content().lower()


def test_skip_link_is_the_first_tab_stop_and_focus_is_visible(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_no_script_errors_or_csp_violations_on_core_pages(page, live_server, make):
    thread = make.thread(make.user("alice"), replies=2)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ("/", "/topics/newly-diagnosed", f"/threads/{thread.id}", "/auth/login", "/auth/register",
                 "/users/alice", "/no-such-page"):
        page.goto(live_server + path)
    assert [e for e in errors if "404" not in e] == []
