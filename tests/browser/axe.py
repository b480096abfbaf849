"""axe-core in a real browser: inject the copy shipped in the PyPI package
`axe-playwright-python` (pinned in requirements-dev.txt; nothing is downloaded at
run time) and run it with the WCAG 2.0/2.1/2.2 A and AA rules.

The script is evaluated through the DevTools protocol (`page.evaluate`), which the
page's Content-Security-Policy does not govern, so the pages are tested with their
real CSP switched on: an inline style or script the CSP would block shows up as
the user would see it.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    import axe_playwright_python

    path = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
    return path.read_text(encoding="utf-8")


def inject(page) -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # A function body, so the UMD wrapper sees a plain `window` and defines window.axe.
        page.evaluate("() => { " + axe_source() + "\n}")
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"


def run(page, tags=WCAG_TAGS) -> dict:
    """The full axe result for the current page."""
    inject(page)
    return page.evaluate(
        """async (tags) => {
            // Let colour transitions (e.g. after switching the colour scheme) finish first,
            // or axe would measure a half-way colour.
            const settled = Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
            await Promise.race([settled, new Promise(r => setTimeout(r, 2000))]);
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return {violations: result.violations, testEngine: result.testEngine};
        }""",
        tags,
    )


def format_violations(violations: list[dict], label: str = "") -> str:
    lines = [f"axe found {len(violations)} violation(s){' on ' + label if label else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact')}]: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary[:300]}")
            lines.append(f"       {node.get('html', '')[:200]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def violations(page, tags=WCAG_TAGS) -> list[dict]:
    return run(page, tags)["violations"]


def assert_no_violations(page, label: str = "") -> None:
    found = violations(page)
    assert not found, format_violations(found, label or page.url)
