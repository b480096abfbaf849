"""Browser fixtures: the real app served on loopback, driven by Debian's Chromium.

Registered once for the whole suite by `pytest_plugins` in tests/conftest.py, so
every directory shares one session-wide browser (two sync Playwright instances
in one process would fail).

Playwright for Python drives /usr/bin/chromium (never a downloaded browser).
Without Chromium these tests skip, unless CIRCLE_REQUIRE_BROWSER=1 (CI), where
a missing browser is a failure.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _browser_missing()
    if problem:
        if os.environ.get("CIRCLE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Browser tests are required here but cannot run: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveURL(str):
    """The live server's base URL; `.app` is the app it serves (for test helpers that
    need the database, such as typing a moderator's authenticator code)."""

    app = None


@pytest.fixture
def live_server(app):
    """Serve `app` on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = LiveURL(f"http://127.0.0.1:{server.server_port}")
        url.app = app
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str, widths=((1280, 800), (375, 812))) -> None:
    """Save screenshots of the current page at desktop and phone sizes under test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for w, h in widths:
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{w}x{h}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def watched_page(browser, width=390, height=844, *, accept_dialogs: bool = False):
    """A new context and page at `width` × `height` (a phone by default), with the page's script
    errors and console errors collected in the returned list (a journey asserts it stays empty)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    if accept_dialogs:  # "Are you sure?" confirmations
        page.on("dialog", lambda d: d.accept())
    return context, page, errors
