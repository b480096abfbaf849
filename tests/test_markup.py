"""Tests for board/markup.py, the one sanitizer.

* exact output for ordinary Markdown (frozen after reading every output by eye);
* exact output for dangerous inputs;
* a structural safety check over every vector in tests/data/xss_vectors.txt;
* Hypothesis properties: never raises, output always structurally safe;
* clean_text, clean_line, excerpt.

Runs without the app or the database (`--noconftest` works).
"""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board.markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_PROTOCOLS,
    ALLOWED_TAGS,
    LINK_REL,
    clean_line,
    clean_text,
    excerpt,
    render_markdown,
)

VECTORS_PATH = Path(__file__).parent / "data" / "xss_vectors.txt"
REL = 'rel="nofollow ugc noopener"'

# --------------------------------------------------------------------------
# Vector loading (format: tests/data/README.md)
# --------------------------------------------------------------------------

_CODEPOINT = re.compile(r"\{U\+([0-9A-Fa-f]{4,6})\}")


def unescape_vector(line: str) -> str:
    line = line.replace("\\n", "\n")
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1), 16)), line)


def load_vectors(path: Path = VECTORS_PATH) -> list[tuple[int, str]]:
    """(line number, vector) for every non-comment, non-empty line."""
    vectors = []
    # split on "\n" only: str.splitlines() would also split on VT, FF, U+2028...
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        vectors.append((lineno, unescape_vector(line)))
    return vectors


# --------------------------------------------------------------------------
# Structural safety check
# --------------------------------------------------------------------------

SAFE_SCHEMES = {"http", "https", "mailto"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _normalize_url(value: str) -> str:
    """Lower-cased, with every whitespace, control and format character removed.

    Stricter than a browser (which removes only leading/trailing C0+space and
    tab/CR/LF inside): anything a browser could read as a scheme, we see too.
    `value` has already been HTML-unescaped once by HTMLParser, exactly as a
    browser does; unescaping it twice would invent URLs the browser never sees.
    """
    return "".join(
        ch for ch in value
        if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))
    ).lower()


def href_problems(value: str, tolerate_known: bool = False) -> list[str]:
    """What is wrong with one href value (already HTML-unescaped once).

    * a scheme, if any, is http, https or mailto;
    * a scheme-less (relative) URL has no ":" before its first "/", "?" or "#":
      RFC 3986 section 4.2 forbids it ("this:that" would be mistaken for a
      scheme), so anything that merely *looks* like a scheme to some other
      parser - "java%73cript:", "%5Cjavascript:", zero-width-split names - fails;
    * "javascript:", "vbscript:" and "data:" never appear where a scheme can
      be read. Behind an allowed scheme ("https://example.com/javascript:x",
      "mailto:javascript:@example.com") and after the first "/", "?" or "#" of
      a relative URL ("&#x0;javascript:" is path "&" + fragment) they are inert
      text, and flagging them would flag links to articles about XSS.

    `tolerate_known` skips the two known weaknesses of board/markup.py (see
    KNOWN_WEAK_VECTORS) so the Hypothesis properties stay about *new* problems:
    "scheme:DIGITS" hrefs, and scheme-less hrefs whose first segment is not a
    syntactically valid scheme (so no browser can read one).
    """
    norm = _normalize_url(value)
    problems = []
    match = _SCHEME.match(norm)
    scheme = match.group(1) if match else None
    if scheme in SAFE_SCHEMES:
        return problems
    if scheme is not None:
        if not (tolerate_known and re.fullmatch(r"[a-z][a-z0-9+.\-]*:[0-9]+", norm)):
            problems.append(f"href scheme {scheme!r} not allowed: {value!r}")
        checked = norm
    else:
        checked = re.split(r"[/?#]", norm, maxsplit=1)[0]
        if ":" in checked:
            if tolerate_known and not _SCHEME.match(checked):
                return problems
            problems.append(f"relative href with ':' in its first segment: {value!r}")
    for bad in BAD_SCHEMES:
        if bad in checked:
            problems.append(f"href contains {bad!r}: {value!r}")
    return problems


class _SafetyParser(HTMLParser):
    def __init__(self, tolerate_known: bool = False):
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.tolerate_known = tolerate_known

    def _tag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> not allowed")
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, ()))
        names = [name for name, _ in attrs]
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name not in allowed or (tag, name) not in {("a", "href"), ("a", "title"), ("a", "rel")}:
                self.problems.append(f"attribute {name}= not allowed on <{tag}>")
            if name == "href":
                self.problems.extend(href_problems(value or "", self.tolerate_known))
        if len(names) != len(set(names)):
            self.problems.append(f"duplicate attribute on <{tag}>: {names}")
        if tag == "a" and dict(attrs).get("rel") != LINK_REL:
            self.problems.append(f"<a> without rel={LINK_REL!r}: {attrs}")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"end tag </{tag}> not allowed")

    def handle_data(self, data):
        if "<" in data:  # every "<" in text must be escaped as &lt;
            self.problems.append(f"unescaped '<' in text: {data[:60]!r}")

    def handle_comment(self, data):
        self.problems.append(f"comment survived: {data[:60]!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration survived: {decl[:60]!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction survived: {data[:60]!r}")

    def unknown_decl(self, data):
        self.problems.append(f"CDATA/unknown declaration survived: {data[:60]!r}")


def structural_problems(html: str, tolerate_known: bool = False) -> list[str]:
    parser = _SafetyParser(tolerate_known)
    parser.feed(html)
    parser.close()
    return parser.problems


# C0 controls except tab and newline (CR included: clean_text normalises it away), DEL, C1.
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# &#12; / &#xC; (form feed) is a character reference markdown-it decodes; see FORMFEED_REASON.
_FORMFEED_REF = re.compile(r"&#(?:0*12|[xX]0*[cC]);")


def control_problems(html: str, source: str = "", tolerate_known: bool = False) -> list[str]:
    found = set(_BAD_CONTROL.findall(html))
    if tolerate_known and _FORMFEED_REF.search(clean_text(source)):
        found.discard("\x0c")
    return [f"control character {ch!r} in output" for ch in sorted(found)]


def assert_safe(html: str, source: str = "", tolerate_known: bool = False) -> None:
    problems = structural_problems(html, tolerate_known) + control_problems(html, source, tolerate_known)
    assert not problems, f"{problems}\n--- output ---\n{html[:2000]}"


# The checker itself must catch what it claims to catch.
@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src="x">',
        '<p onclick="x">a</p>',
        '<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="JaVa&#x09;Script&colon;alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="&#x20;vbscript:x" rel="nofollow ugc noopener">x</a>',
        '<a href="data:text/html,x" rel="nofollow ugc noopener">x</a>',
        '<a href="ftp://example.com" rel="nofollow ugc noopener">x</a>',
        '<a href="java%73cript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="%5Cjavascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="tel:123" rel="nofollow ugc noopener">x</a>',
        '<a href="https://example.com">no rel</a>',
        '<a href="/x" rel="nofollow">weak rel</a>',
        '<p title="x">a</p>',
        '<a href="/x" class="c" rel="nofollow ugc noopener">x</a>',
        "<!-- comment -->",
        "<p>a\x0cb</p>",
        "<p>a\x00b</p>",
        "<p>a\rb</p>",
        "<p>a\x85b</p>",
        "<p>a <b</p>",
    ],
    ids=lambda html: html[:40],
)
def test_checker_rejects_unsafe_html(html):
    assert structural_problems(html) + control_problems(html)


def test_checker_accepts_relative_and_safe_links():
    assert_safe(
        '<p><a href="/forum?x=1#y" rel="nofollow ugc noopener">a</a> '
        '<a href="HTTPS://example.com/javascript:alert(1)" rel="nofollow ugc noopener">b</a> '
        '<a href="mailto:a@example.com" title="t" rel="nofollow ugc noopener">c</a> '
        '<a href="javascript%3Aalert(1)" rel="nofollow ugc noopener">d</a> '
        '<a href="#x:y" rel="nofollow ugc noopener">e</a> '
        '<a href="mailto:javascript:@example.com" rel="nofollow ugc noopener">f</a> '
        '<a href="&amp;#x0;javascript:alert(1)" rel="nofollow ugc noopener">g</a> 1 &lt; 2\ttab\n</p>'
    )


def test_checker_tolerates_only_the_known_weaknesses():
    def problems(html, source=""):
        return structural_problems(html, True) + control_problems(html, source, True)

    assert not problems('<a href="tel:123" rel="nofollow ugc noopener">x</a>')
    assert not problems('<a href="%5Cjavascript:alert(1)" rel="nofollow ugc noopener">x</a>')
    assert not problems("<p>\x0c</p>", source="&#12;")
    assert problems('<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>')
    assert problems('<a href="tel:+1-555" rel="nofollow ugc noopener">x</a>')
    assert problems("<p>\x0c</p>", source="\x0c")
    assert problems("<p>\x0b</p>", source="&#12;")


def test_allow_lists_are_as_documented():
    # ARCHITECTURE.md "Content": only href/title/rel, only on links; http/https/mailto.
    assert ALLOWED_ATTRIBUTES == {"a": ["href", "title", "rel"]}
    assert set(ALLOWED_PROTOCOLS) == SAFE_SCHEMES
    assert LINK_REL == "nofollow ugc noopener"
    never = {"script", "style", "img", "iframe", "svg", "math", "form", "input", "button", "object",
             "embed", "base", "meta", "link", "template", "noscript", "table", "div", "span", "h1", "h2"}
    assert not (set(ALLOWED_TAGS) & never)


# --------------------------------------------------------------------------
# Ordinary Markdown -> exact HTML
# --------------------------------------------------------------------------

NORMAL_CASES = [
    ("paragraph", "Hello, world.", "<p>Hello, world.</p>"),
    ("two-paragraphs", "First paragraph.\n\nSecond paragraph.",
     "<p>First paragraph.</p>\n<p>Second paragraph.</p>"),
    ("soft-break", "line one\nline two", "<p>line one\nline two</p>"),
    ("hard-break-spaces", "hard  \nbreak", "<p>hard<br>\nbreak</p>"),
    ("hard-break-backslash", "hard\\\nbreak", "<p>hard<br>\nbreak</p>"),
    ("emphasis", "*soft* and _gentle_", "<p><em>soft</em> and <em>gentle</em></p>"),
    ("strong", "**strong** and __bold__", "<p><strong>strong</strong> and <strong>bold</strong></p>"),
    ("strong-emphasis", "***both***", "<p><em><strong>both</strong></em></p>"),
    ("strikethrough", "~~struck~~", "<p><s>struck</s></p>"),
    ("single-tilde-is-text", "~single tilde~", "<p>~single tilde~</p>"),
    ("bullet-list", "- one\n- two\n- three", "<ul>\n<li>one</li>\n<li>two</li>\n<li>three</li>\n</ul>"),
    ("ordered-list", "1. first\n2. second", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"),
    ("ordered-list-start-dropped", "3. starts at three\n4. four",
     "<ol>\n<li>starts at three</li>\n<li>four</li>\n</ol>"),
    ("nested-list", "- outer\n  - inner\n  - inner two\n- outer two",
     "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n<li>inner two</li>\n</ul>\n</li>\n<li>outer two</li>\n</ul>"),
    ("list-in-ordered-list", "1. step\n   - detail",
     "<ol>\n<li>step\n<ul>\n<li>detail</li>\n</ul>\n</li>\n</ol>"),
    ("loose-list", "- loose\n\n- list",
     "<ul>\n<li>\n<p>loose</p>\n</li>\n<li>\n<p>list</p>\n</li>\n</ul>"),
    ("blockquote", "> quoted\n> still quoted", "<blockquote>\n<p>quoted\nstill quoted</p>\n</blockquote>"),
    ("nested-blockquote", "> outer\n>> inner",
     "<blockquote>\n<p>outer</p>\n<blockquote>\n<p>inner</p>\n</blockquote>\n</blockquote>"),
    ("list-in-blockquote", "> - list in quote",
     "<blockquote>\n<ul>\n<li>list in quote</li>\n</ul>\n</blockquote>"),
    ("code-span", "`code span`", "<p><code>code span</code></p>"),
    ("code-span-backtick", "`` a ` b ``", "<p><code>a ` b</code></p>"),
    ("code-span-html", "`<b>not bold</b>`", "<p><code>&lt;b&gt;not bold&lt;/b&gt;</code></p>"),
    ("fenced-code", "```\nplain block\n```", "<pre><code>plain block\n</code></pre>"),
    ("fenced-code-language-class-stripped", "```python\nprint('hi')\n```",
     "<pre><code>print('hi')\n</code></pre>"),
    ("tilde-fence-escapes", "~~~js\nlet x = 1 < 2;\n~~~", "<pre><code>let x = 1 &lt; 2;\n</code></pre>"),
    ("indented-code", "    indented code", "<pre><code>indented code\n</code></pre>"),
    ("h1-to-h3", "# Title", "<h3>Title</h3>"),
    ("h2-to-h4", "## Section", "<h4>Section</h4>"),
    ("h3-to-h5", "### Sub", "<h5>Sub</h5>"),
    ("h4-to-h6", "#### Four", "<h6>Four</h6>"),
    ("h5-to-h6", "##### Five", "<h6>Five</h6>"),
    ("h6-to-h6", "###### Six", "<h6>Six</h6>"),
    ("setext-h1", "Setext one\n===", "<h3>Setext one</h3>"),
    ("setext-h2", "Setext two\n---", "<h4>Setext two</h4>"),
    ("heading-with-emphasis", "# *emph* in heading", "<h3><em>emph</em> in heading</h3>"),
    ("hr-dashes", "---", "<hr>"),
    ("hr-stars", "***", "<hr>"),
    ("hr-between", "a\n\n___\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
    ("link", "[Circle](https://example.com)",
     f'<p><a href="https://example.com" {REL}>Circle</a></p>'),
    ("relative-link", "[home](/forum)", f'<p><a href="/forum" {REL}>home</a></p>'),
    ("anchor-link", "[anchor](#top)", f'<p><a href="#top" {REL}>anchor</a></p>'),
    ("link-title", '[titled](https://example.com "The title")',
     f'<p><a href="https://example.com" title="The title" {REL}>titled</a></p>'),
    ("reference-link", "[ref][1]\n\n[1]: https://example.com/ref",
     f'<p><a href="https://example.com/ref" {REL}>ref</a></p>'),
    ("autolink", "<https://example.com/auto>",
     f'<p><a href="https://example.com/auto" {REL}>https://example.com/auto</a></p>'),
    ("linkify-url", "Visit https://example.com/path?q=1&r=2 today",
     f'<p>Visit <a href="https://example.com/path?q=1&amp;r=2" {REL}>'
     "https://example.com/path?q=1&amp;r=2</a> today</p>"),
    ("linkify-www", "See www.example.com.",
     f'<p>See <a href="http://www.example.com" {REL}>www.example.com</a>.</p>'),
    ("linkify-email", "mail me at someone@example.com",
     f'<p>mail me at <a href="mailto:someone@example.com" {REL}>someone@example.com</a></p>'),
    ("mailto-link", "[write](mailto:someone@example.com)",
     f'<p><a href="mailto:someone@example.com" {REL}>write</a></p>'),
    ("mailto-autolink", "<mailto:someone@example.com>",
     f'<p><a href="mailto:someone@example.com" {REL}>mailto:someone@example.com</a></p>'),
    ("email-autolink", "<someone@example.com>",
     f'<p><a href="mailto:someone@example.com" {REL}>someone@example.com</a></p>'),
    ("image-as-link", "![a kind nurse](https://example.com/nurse.png)",
     f'<p><a href="https://example.com/nurse.png" {REL}>a kind nurse</a></p>'),
    ("image-without-alt-shows-url", "![](https://example.com/x.png)",
     f'<p><a href="https://example.com/x.png" {REL}>https://example.com/x.png</a></p>'),
    ("image-alt-flattened-title-dropped", '![alt *with* emphasis](https://example.com/x.png "title")',
     f'<p><a href="https://example.com/x.png" {REL}>alt with emphasis</a></p>'),
    ("raw-html-escaped", "<b>bold?</b>", "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"),
    ("comment-escaped", "<!-- a comment -->", "<p>&lt;!-- a comment --&gt;</p>"),
    ("inline-comment-escaped", "text <!-- inline comment --> more",
     "<p>text &lt;!-- inline comment --&gt; more</p>"),
    ("angle-and-ampersand", "1 < 2 && 3 > 2", "<p>1 &lt; 2 &amp;&amp; 3 &gt; 2</p>"),
    ("entities", "AT&T &copy; &amp;", "<p>AT&amp;T © &amp;</p>"),
    ("quotes", "\"quotes\" and 'apostrophes'", "<p>&quot;quotes&quot; and 'apostrophes'</p>"),
    ("backslash-escape", "\\*not emphasis\\*", "<p>*not emphasis*</p>"),
    ("intraword-underscore", "snake_case_word", "<p>snake_case_word</p>"),
    ("unicode-kept", "emoji 💗 and ümlaut", "<p>emoji 💗 and ümlaut</p>"),
    ("trailing-spaces-trimmed", "trailing spaces   ", "<p>trailing spaces</p>"),
    ("no-task-lists", "- [ ] not a task list", "<ul>\n<li>[ ] not a task list</li>\n</ul>"),
    ("no-tables", "| a | b |\n|---|---|\n| 1 | 2 |", "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>"),
    ("nul-removed", "a\x00b", "<p>ab</p>"),
    ("bel-and-esc-removed", "bell\x07 and escape\x1b[0m", "<p>bell and escape[0m</p>"),
    ("tab-kept", "tab\there", "<p>tab\there</p>"),
    ("crlf-normalised", "windows\r\nline", "<p>windows\nline</p>"),
    ("cr-normalised", "old mac\rline", "<p>old mac\nline</p>"),
    ("crlf-paragraphs", "one\r\n\r\ntwo", "<p>one</p>\n<p>two</p>"),
    ("empty", "", ""),
    ("spaces-only", "   ", ""),
    ("whitespace-only", "\n\n\t\n", ""),
    ("controls-only", "\x00\x07", ""),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in NORMAL_CASES], ids=[c[0] for c in NORMAL_CASES])
def test_render_markdown_normal_content(source, expected):
    html = render_markdown(source)
    assert html == expected
    assert_safe(html)


def test_normal_case_ids_unique_and_enough():
    ids = [c[0] for c in NORMAL_CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


# --------------------------------------------------------------------------
# Dangerous input -> exact safe output
# --------------------------------------------------------------------------

DANGEROUS_CASES = [
    ("script-tag", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("script-src-linkified-as-text", "<SCRIPT SRC=https://example.invalid/x.js></SCRIPT>",
     f'<p>&lt;SCRIPT SRC=<a href="https://example.invalid/x.js" {REL}>https://example.invalid/x.js</a>'
     "&gt;&lt;/SCRIPT&gt;</p>"),
    ("img-onerror", "<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    ("svg-onload", "<svg/onload=alert(1)>", "<p>&lt;svg/onload=alert(1)&gt;</p>"),
    ("raw-a-onclick", '<a href="https://example.com" onclick="alert(1)">x</a>',
     f'<p>&lt;a href=&quot;<a href="https://example.com" {REL}>https://example.com</a>'
     "&quot; onclick=&quot;alert(1)&quot;&gt;x&lt;/a&gt;</p>"),
    ("raw-a-clobbering-attrs", '<a href="https://example.com" id="x" class="y" target="_blank">x</a>',
     f'<p>&lt;a href=&quot;<a href="https://example.com" {REL}>https://example.com</a>'
     "&quot; id=&quot;x&quot; class=&quot;y&quot; target=&quot;_blank&quot;&gt;x&lt;/a&gt;</p>"),
    ("iframe-srcdoc", '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
     "<p>&lt;iframe srcdoc=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;/iframe&gt;</p>"),
    ("svg-style-mxss", "<svg><style><img src=x onerror=alert(1)></style></svg>",
     "<p>&lt;svg&gt;&lt;style&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/style&gt;&lt;/svg&gt;</p>"),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
     "<p>&lt;meta http-equiv=&quot;refresh&quot; content=&quot;0;url=javascript:alert(1)&quot;&gt;</p>"),
    ("md-javascript", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-mixed-case", "[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>"),
    ("md-javascript-dec-entity-colon", "[x](javascript&#58;alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-hex-entity-colon", "[x](javascript&#x3A;alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-named-entity-colon", "[x](javascript&colon;alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-entity-letter", "[x](&#106;avascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-nul", "[x](java\x00script:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("md-javascript-tab", "[x](java\tscript:alert(1))", "<p>[x](java\tscript:alert(1))</p>"),
    ("md-javascript-angle", "[x](<javascript:alert(1)>)", "<p>[x](&lt;javascript:alert(1)&gt;)</p>"),
    ("md-javascript-digits", "[x](javascript:123)", "<p>[x](javascript:123)</p>"),
    ("md-javascript-with-title", '[x](javascript:alert(1) "t")', "<p>[x](javascript:alert(1) &quot;t&quot;)</p>"),
    ("md-vbscript", "[x](vbscript:msgbox(1))", "<p>[x](vbscript:msgbox(1))</p>"),
    ("md-vbscript-upper", "[x](VBSCRIPT:msgbox(1))", "<p>[x](VBSCRIPT:msgbox(1))</p>"),
    ("md-data-html", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
     "<p>[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)</p>"),
    # markdown-it lets data:image/png through; bleach then drops the href.
    ("md-data-image-link-is-text", "[x](data:image/png;base64,iVBORw0KGgo=)", "<p>[x](data:image/png;base64,iVBORw0KGgo=)</p>"),
    ("md-ftp-link-is-text", "[x](ftp://example.com/f)", "<p>[x](ftp://example.com/f)</p>"),
    ("md-file", "[x](file:///etc/passwd)", "<p>[x](file:///etc/passwd)</p>"),
    ("autolink-javascript", "<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
    ("autolink-vbscript", "<vbscript:msgbox(1)>", "<p>&lt;vbscript:msgbox(1)&gt;</p>"),
    ("autolink-data", "<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>",
     "<p>&lt;data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==&gt;</p>"),
    ("reference-javascript", "[x][1]\n\n[1]: javascript:alert(1)",
     "<p>[x][1]</p>\n<p>[1]: javascript:alert(1)</p>"),
    ("image-javascript", "![x](javascript:alert(1))", "<p>![x](javascript:alert(1))</p>"),
    ("image-alt-breakout", '![x" onerror="alert(1)](y)',
     f'<p><a href="y" {REL}>x&quot; onerror=&quot;alert(1)</a></p>'),
    ("image-src-breakout", '![x](y" onerror="alert(1))', "<p>![x](y&quot; onerror=&quot;alert(1))</p>"),
    ("title-breakout-double", '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
     f'<p><a href="https://example.com" title="a&quot; onmouseover=&quot;alert(1)" {REL}>x</a></p>'),
    ("title-breakout-single", "[x](https://example.com 'a\" onmouseover=\"alert(1)')",
     f'<p><a href="https://example.com" title="a&quot; onmouseover=&quot;alert(1)" {REL}>x</a></p>'),
    ("linkify-quote-breakout", 'http://example.com/"onmouseover="alert(1)',
     f'<p><a href="http://example.com/%22onmouseover=%22alert(1)" {REL}>'
     "http://example.com/&quot;onmouseover=&quot;alert(1)</a></p>"),
    ("code-span-script", "`<script>alert(1)</script>`",
     "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"),
    ("fence-info-string-dropped", '```"><script>alert(1)</script>\nx\n```', "<pre><code>x\n</code></pre>"),
    ("html-block-escaped", '<div onmouseover="alert(1)">\n\n*md*\n\n</div>',
     "<p>&lt;div onmouseover=&quot;alert(1)&quot;&gt;</p>\n<p><em>md</em></p>\n<p>&lt;/div&gt;</p>"),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in DANGEROUS_CASES], ids=[c[0] for c in DANGEROUS_CASES]
)
def test_render_markdown_dangerous_input(source, expected):
    html = render_markdown(source)
    assert html == expected
    assert_safe(html)


# Known weaknesses of board/markup.py: see the report / the reasons.
DIGIT_SCHEME_REASON = (
    "bleach 6.x treats 'scheme:DIGITS' as a relative URL (its urlparse thinks the digits are a port), "
    "and markdown-it's validateLink only blocks javascript/vbscript/file/data, so hrefs with schemes "
    "outside http/https/mailto survive (tel:, ms-settings:, web+x:). Fix: give markdown-it a "
    "validateLink that allows only http/https/mailto or scheme-less URLs."
)
FORMFEED_REASON = (
    "markdown-it decodes &#12; (form feed: a valid character reference) and bleach keeps it in "
    "attribute values and next to whitespace, so a raw U+000C reaches the stored HTML (between letters "
    "bleach turns it into '?'). Fix: clean_text() the markdown-it output before bleach."
)
RELATIVE_COLON_REASON = (
    "markdown-it percent-encodes characters inside a would-be scheme (\\, U+200B, U+00AD, U+FEFF, "
    "fullwidth letters) or keeps the author's %-escapes, so its validateLink no longer sees "
    "'javascript:'; bleach sees no valid scheme either and keeps it as a 'relative' URL such as "
    "'%5Cjavascript:alert(1)'. Inert in WHATWG browsers ('%' is not a scheme character), but not a "
    "valid RFC 3986 relative reference and it still says 'javascript:'. Fix: a strict validateLink "
    "that rejects scheme-less URLs with ':' before the first '/', '?' or '#'."
)


@pytest.mark.parametrize(
    "source",
    ["[x](tel:123)", "[x](ms-settings:123)", "[x](web+app:1)", "<ms-settings:123>", "<callto:12345>"],
)
def test_only_allowed_schemes_survive(source):
    html = render_markdown(source)
    assert "href" not in html, html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("&#12;", "<p></p>"),
        ("x &#x0C;", "<p>x </p>"),
        ("[&#12;](/a)", f'<p><a href="/a" {REL}></a></p>'),
        ('[x](https://example.com "t&#12;t")', f'<p><a href="https://example.com" title="tt" {REL}>x</a></p>'),
        ("a&#12;b", "<p>ab</p>"),
    ],
    ids=["alone", "after-space", "link-text", "link-title", "between-letters"],
)
def test_form_feed_reference_is_removed(source, expected):
    html = render_markdown(source)
    assert "\x0c" not in html, repr(html)
    assert html == expected


@pytest.mark.parametrize(
    "source",
    ["[x](\\javascript:alert(1))", "[x](java%73cript:alert(1))", "[x](java\u200bscript:alert(1))",
     "[x](\ufeffjavascript:alert(1))", "[x](java\u00adscript:alert(1))"],
    ids=["backslash", "percent-escape", "zero-width-space", "bom", "soft-hyphen"],
)
def test_relative_href_never_looks_like_a_scheme(source):
    html = render_markdown(source)
    assert not structural_problems(html), html
    assert "javascript" not in html or "href" not in html


# --------------------------------------------------------------------------
# Every vector in tests/data/xss_vectors.txt
# --------------------------------------------------------------------------

VECTORS = load_vectors()

# Vectors that once got through (the fixes are in board/markup.py); none are known now.
KNOWN_WEAK_VECTORS: dict[str, str] = {}


def _vector_id(lineno: int, vector: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", vector)[:40].strip("-") or "x"
    return f"L{lineno}-{slug}"


def _vector_params():
    for lineno, vector in VECTORS:
        marks = []
        if vector in KNOWN_WEAK_VECTORS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WEAK_VECTORS[vector]))
        yield pytest.param(vector, id=_vector_id(lineno, vector), marks=marks)


def test_vector_file_has_enough_vectors():
    assert len(VECTORS) >= 200
    assert len({v for _, v in VECTORS}) == len(VECTORS), "duplicate vectors"
    assert set(KNOWN_WEAK_VECTORS) <= {v for _, v in VECTORS}


def test_vector_loader_unescapes():
    assert unescape_vector("a\\nb") == "a\nb"
    assert unescape_vector("java{U+0000}script{U+200B}") == "java\x00script\u200b"
    assert unescape_vector("\\u0061 \\x3c \\0075") == "\\u0061 \\x3c \\0075"
    texts = [v for _, v in VECTORS]
    assert any("\x00" in v for v in texts)
    assert any("\n" in v for v in texts)
    assert not any(v.startswith("#") for v in texts)


@pytest.mark.parametrize("vector", list(_vector_params()))
def test_vector_output_is_structurally_safe(vector):
    assert_safe(render_markdown(vector))


# --------------------------------------------------------------------------
# Hypothesis
# --------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=())  # includes lone surrogates
MARKDOWN_TOKENS = st.sampled_from([
    "[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "```", "~~", "#", "> ", "- ", "1. ", "\n", "\n\n",
    " ", "  \n", "\t", "\\", '"', "'", "&", ";", ":", "&#58;", "&#x3A;", "&colon;", "&#12;", "&#0;",
    "javascript:", "JaVaScRiPt:", "vbscript:", "data:text/html,", "alert(1)", "java\x00script:",
    "http://", "https://", "www.", "example.com", "@example.com", "mailto:", "tel:1", "//", "%0A",
    "<script>", "</script>", "<img src=x onerror=alert(1)>", " onerror=", "<svg>", "<style>",
    "\x00", "\x07", "\x1b", "\x0b", "\x0c", "\r", "\r\n", "\u200b", "\u202e", "\ud800", "\ufffe", "x",
])
MARKDOWNISH = st.lists(st.one_of(MARKDOWN_TOKENS, st.text(alphabet=ANY_CHAR, max_size=5)), max_size=60).map(
    "".join
)
HUGE = st.tuples(st.one_of(MARKDOWNISH, st.text(alphabet=ANY_CHAR, min_size=1, max_size=200)),
                 st.integers(min_value=100, max_value=5000)).map(lambda t: (t[0] * t[1])[:50_000])


def _check_rendered(source: str) -> None:
    html = render_markdown(source)
    assert isinstance(html, str)
    assert_safe(html, source)
    assert not re.search(r"[\ud800-\udfff]", html), "lone surrogate in output"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=ANY_CHAR))
def test_property_arbitrary_text_is_safe(source):
    _check_rendered(source)


@settings(max_examples=400, deadline=None, database=None)
@given(MARKDOWNISH)
def test_property_markdownish_text_is_safe(source):
    _check_rendered(source)


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(HUGE)
def test_property_huge_text_is_safe(source):
    _check_rendered(source)


@pytest.mark.parametrize(
    "source",
    ["[" * 50_000, "<" * 50_000, "> " * 25_000, "- " * 25_000, "  " * 12_000 + "- x", "*a **b " * 7_000,
     "[x](" * 12_000, "![x](" * 10_000, "`" * 50_000, "www.example.com " * 3_000, "&#12;" * 10_000,
     "\x00" * 50_000, "\ud800" * 50_000],
    ids=["brackets", "angles", "deep-quotes", "dashes", "deep-indent", "emphasis", "open-links",
         "open-images", "backticks", "many-links", "form-feeds", "nuls", "surrogates"],
)
def test_pathological_inputs(source):
    _check_rendered(source)


# --------------------------------------------------------------------------
# clean_text, clean_line, excerpt
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, ""),
        ("", ""),
        ("plain", "plain"),
        ("a\x00b", "ab"),
        ("bell\x07 esc\x1b[0m del\x7f c1\x85\x9f", "bell esc[0m del c1"),
        ("vt\x0b ff\x0c", "vt ff"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("crlf\r\nline", "crlf\nline"),
        ("cr\rline", "cr\nline"),
        ("\r\n\r\n", "\n\n"),
        ("lone\ud800surrogate\udfff", "lonesurrogate"),
        ("nonchar\ufffe\uffff\ufdd0", "nonchar"),
        ("emoji 💗 ümlaut \u00a0nbsp", "emoji 💗 ümlaut \u00a0nbsp"),
    ],
    ids=["none", "empty", "plain", "nul", "c0-c1-del", "vt-ff", "tab-newline", "crlf", "cr", "crlf-only",
         "surrogates", "nonchars", "unicode-kept"],
)
def test_clean_text(source, expected):
    assert clean_text(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  A title  ", "A title"),
        ("two\nlines", "two lines"),
        ("tab\tseparated", "tab separated"),
        ("  lots   of \n\n  space\t\t", "lots of space"),
        ("win\r\ndows", "win dows"),
        ("nul\x00 and bell\x07", "nul and bell"),
        ("\x00\x07\n\t ", ""),
        ("keep *stars* and <b>", "keep *stars* and <b>"),
    ],
    ids=["none", "empty", "strip", "newline", "tab", "collapse", "crlf", "controls", "only-junk", "no-markdown"],
)
def test_clean_line(source, expected):
    assert clean_line(source) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=ANY_CHAR))
def test_property_clean_text_and_line(source):
    text = clean_text(source)
    assert clean_text(text) == text  # idempotent
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", text)
    line = clean_line(source)
    assert clean_line(line) == line
    assert "\n" not in line and "\t" not in line
    assert line == line.strip()
    assert not re.search(r"\s{2,}", line)


def test_excerpt_short_text_unchanged():
    assert excerpt("Feeling better today.") == "Feeling better today."


def test_excerpt_removes_markdown_punctuation():
    source = "# Title\n\n> a *quote* with `code`, ~~old~~ **bold** _words_\n\n[a link](/forum) ![pic](/x.png)"
    assert excerpt(source) == "Title a quote with code, old bold words a link pic"


def test_excerpt_keeps_ordinary_punctuation():
    assert excerpt("Good news (finally)! Scans were clear.") == "Good news (finally)! Scans were clear."


def test_excerpt_collapses_whitespace_and_controls():
    assert excerpt("  one\r\n\r\ntwo\t\tthree\x00\x07 four  ") == "one two three four"


def test_excerpt_cuts_on_word_boundary_with_ellipsis():
    source = "The scan results came back stable and my oncologist was pleased with how things look."
    assert excerpt(source, length=30) == "The scan results came back…"
    assert excerpt(source, length=31) == "The scan results came back…"
    assert excerpt(source, length=34) == "The scan results came back stable…"


def test_excerpt_exact_length_is_not_cut():
    assert excerpt("a" * 200) == "a" * 200
    assert excerpt("word " * 40) == ("word " * 40).strip()  # 199 characters once stripped


def test_excerpt_single_long_word_is_cut_hard():
    assert excerpt("x" * 300, length=10) == "x" * 10 + "…"


def test_excerpt_default_length():
    result = excerpt("word " * 100)
    assert result.endswith("…")
    assert len(result) <= 201
    assert result[:-1] == result[:-1].strip()


def test_excerpt_empty():
    assert excerpt("") == ""
    assert excerpt("**  **") == ""


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=ANY_CHAR, max_size=600), st.integers(min_value=1, max_value=300))
def test_property_excerpt(source, length):
    result = excerpt(source, length)
    assert len(result) <= length + 1
    assert not re.search(r"[`*_~\x00-\x1f\x7f-\x9f\ud800-\udfff]", result)
    assert "  " not in result
    # Spec: Markdown markup removed, whitespace collapsed, then cut.
    flat = excerpt(source, 10**9)
    if result != flat:
        assert result.endswith("…")
        body = result[:-1]
        assert flat.startswith(body) and len(body) < len(flat)
        # Cut on a word boundary unless the first word alone was too long.
        assert " " not in flat[:length] or flat[len(body)] == " "
