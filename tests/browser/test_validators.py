"""Independent validators over every page type of the axe list (tests/browser/test_accessibility.py
PAGE_TYPES), each seen by its role: the Nu HTML Checker (vnu.jar) and HTML_CodeSniffer WCAG 2 AA
(through pa11y), both at zero errors.

One board holds every page type's content; each role browses with its own Chromium context; the
pages as the browser holds them are saved, then checked in ONE vnu run and ONE pa11y run (one
browser for all pages). The tools come from tools/validators (npm, pinned; `.ci/run` installs them
and Java/node if missing). Without them this skips, unless CIRCLE_REQUIRE_BROWSER=1.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.fixtures import CHROMIUM
from tests.browser.test_accessibility import PAGE_TYPES
from tests.browser.world import World, browser_login, cheap_password_hashing, has

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "validators"
VNU = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PA11Y = TOOLS / "pa11y-files.js"


def _tools_missing() -> str | None:
    if not shutil.which("java"):
        return "Java is not installed (the Nu HTML Checker needs it)"
    if not shutil.which("node"):
        return "node is not installed (pa11y needs it)"
    if not VNU.exists() or not (TOOLS / "node_modules" / "pa11y").exists():
        return "validators not installed: cd tools/validators && PUPPETEER_SKIP_DOWNLOAD=true npm ci"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM}"
    return None


@pytest.fixture(scope="module")
def tools():
    problem = _tools_missing()
    if problem:
        if os.environ.get("CIRCLE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"The validators are required here but cannot run: {problem}")
        pytest.skip(problem)


@pytest.fixture
def snapshots(tools, browser, live_server, app, make, monkeypatch, tmp_path):
    """{page type name: saved HTML file} for every page type whose endpoints exist."""
    cheap_password_hashing(monkeypatch)
    world = World(app, make)
    world.admin = make.user("boss", role="admin")
    chosen = [pt for pt in PAGE_TYPES if not has(app, *pt.endpoints)]
    from board.domain import RuleViolation

    for pt in chosen:
        if pt.prepare:
            try:
                pt.prepare(world)
            except RuleViolation:  # the same content again (several page types prepare it): already there
                pass
    pages, files = {}, {}
    try:
        for pt in chosen:
            if pt.viewer not in pages:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                pages[pt.viewer] = context.new_page()
                pages[pt.viewer].set_default_timeout(10_000)
                if pt.viewer:
                    browser_login(pages[pt.viewer], live_server, getattr(world, pt.viewer).username)
            page = pages[pt.viewer]
            pt.visit(page, live_server, world)
            path = tmp_path / f"{pt.name}.html"
            path.write_text(page.content(), encoding="utf-8")
            files[pt.name] = path
    finally:
        for p in pages.values():
            p.context.close()
    assert len(files) >= 30, sorted(files)
    return files


def test_every_page_passes_the_nu_html_checker_and_htmlcs_wcag2aa(snapshots, live_server, tmp_path):
    # ---- Nu HTML Checker: all pages in one run
    result = subprocess.run(["java", "-Xss8m", "-jar", str(VNU), "--errors-only", "--format", "json",
                             "--exit-zero-always", *map(str, snapshots.values())],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    names = {f"file:{p}": n for n, p in snapshots.items()}
    nu = [f"{names.get(m.get('url'), m.get('url'))}:{m.get('lastLine', '?')}: {m['message']} "
          f"[{(m.get('extract') or '').strip()[:120]}]" for m in messages if m.get("type") == "error"]

    # ---- HTML_CodeSniffer (pa11y), WCAG 2 AA: one browser for all pages; styles from the live server
    urls = {}
    for name, path in snapshots.items():
        served = tmp_path / "pa11y" / path.name
        served.parent.mkdir(exist_ok=True)
        served.write_text(path.read_text(encoding="utf-8").replace("<head>", f'<head><base href="{live_server}/">', 1),
                          encoding="utf-8")
        urls[served.as_uri()] = name
    run = subprocess.run(["node", str(PA11Y), CHROMIUM, *urls], capture_output=True, text=True, timeout=600,
                         cwd=str(TOOLS))
    assert run.returncode == 0, run.stderr[-2000:]
    htmlcs = [f"{urls[url]}: {i['code']}: {i['message']} [{i.get('context', '')[:120]}]"
              for url, issues in json.loads(run.stdout).items() for i in issues]
    print(f"\nNu HTML Checker errors: {len(nu)}; HTML_CodeSniffer WCAG 2 AA errors: {len(htmlcs)} "
          f"on {len(snapshots)} pages")
    assert not nu and not htmlcs, "\n".join(["Nu HTML Checker:", *nu, "HTML_CodeSniffer (pa11y):", *htmlcs])
