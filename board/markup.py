"""Markdown in, safe HTML out. The ONLY module that imports bleach.

`render_markdown` runs at write time; templates print the stored result. If the
allow-lists below change, `flask --app board content rerender` rebuilds every
stored body.
"""
from __future__ import annotations

import re

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "p", "br", "em", "strong", "del", "s", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr", "a",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# Control characters other than tab and newline, plus lone surrogates and
# non-characters that some databases refuse.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")

# Single-line fields (titles, names) also lose line/paragraph separators and the
# bidirectional overrides that can make a name read backwards.
_LINE_SPOOF = re.compile(r"[\u2028\u2029\u202a-\u202e\u2066-\u2069]")

_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

_HEADING_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}


def clean_text(text: str | None) -> str:
    """Remove NUL and other control characters (keep newline and tab), normalise line ends."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_line(text: str | None) -> str:
    """A single-line field: control characters removed, whitespace collapsed."""
    text = _LINE_SPOOF.sub("", clean_text(text)).replace("\n", " ").replace("\t", " ")
    return re.sub(r"\s{2,}", " ", text).strip()


def _validate_link(url: str) -> bool:
    """Only http/https/mailto, or a relative URL with no ':' before its first / ? #.

    markdown-it's own check blocks only javascript/vbscript/file/data, and bleach
    reads `scheme:digits` as a relative URL, so `tel:1` or `ms-settings:1` would pass both.
    """
    url = url.strip()
    match = _URL_SCHEME.match(url)
    if match:
        return match.group(1).lower() in ALLOWED_PROTOCOLS
    return ":" not in re.split(r"[/?#]", url, maxsplit=1)[0]


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["linkify", "strikethrough"])
    md.validateLink = _validate_link

    def _heading(tag: str, env) -> str:
        if env.get("page_headings"):  # a whole page under its own <h1>: "#" and "##" are h2, the rest as written
            return f"h{max(2, int(tag[1]))}" if tag[:1] == "h" and tag[1:].isdigit() else "h6"
        return _HEADING_SHIFT.get(tag, "h6")

    def heading_open(self, tokens, idx, options, env):
        tokens[idx].tag = _heading(tokens[idx].tag, env)
        return self.renderToken(tokens, idx, options, env)

    def heading_close(self, tokens, idx, options, env):
        tokens[idx].tag = _heading(tokens[idx].tag, env)
        return self.renderToken(tokens, idx, options, env)

    def image(self, tokens, idx, options, env):
        # Images are never embedded: show a plain link with the alt text so no words vanish.
        token = tokens[idx]
        src = token.attrGet("src") or ""
        alt = self.renderInlineAsText(token.children or [], options, env) or src
        return f'<a href="{_escape(src)}">{_escape(alt)}</a>'

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("image", image)
    return md


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


class _LinkRelFilter(Filter):
    """Every link gets rel="nofollow ugc noopener", whatever came before."""

    def __iter__(self):
        for token in super().__iter__():
            if token.get("type") in ("StartTag", "EmptyTag") and token.get("name") == "a":
                attrs = dict(token.get("data") or {})
                attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


_md = _build_markdown()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRelFilter],
)
# Pages admins write (community pages, the moderators' guide) stand under their own <h1>: h2 too.
_page_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS | {"h2"},
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRelFilter],
)


def render_markdown(source: str, *, page: bool = False) -> str:
    """Render member-written Markdown to safe HTML (CommonMark, raw HTML off).

    Headings are moved down (# → h3) to sit under a post's place in a page; `page=True` (a
    whole page of its own, e.g. the community pages) keeps them as written, never above h2."""
    source = clean_text(source)
    if not source.strip():
        return ""
    html = clean_text(_md.render(source, {"page_headings": page}))  # entities such as &#12; decode to control characters
    return (_page_cleaner if page else _cleaner).clean(html).strip()


def excerpt(source: str, length: int = 200) -> str:
    """Plain-text opening of a Markdown body (for cards and notifications); escape on output."""
    source = source or ""
    # Only the opening can reach the excerpt: don't run the regexes over a 10,000-character body.
    window = length * 4 + 500
    clipped = len(source) > window
    text = clean_text(source[:window])
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: keep their words
    text = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", "", text, flags=re.M)  # block markers
    text = re.sub(r"[`*_~]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text + ("…" if clipped and text else "")
    head = text[: length + 1]
    if head.endswith(" ") or " " not in head:
        cut = text[:length]  # ends at a word boundary, or one word too long to keep whole
    else:
        cut = head.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"
