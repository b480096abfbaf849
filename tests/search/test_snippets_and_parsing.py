"""Query parsing (no engine syntax gets through) and snippets (escaped first, then <mark>)."""
from __future__ import annotations

import re

from board.search import START, STOP, highlight, parse_query
from tests.search.conftest import result_ids


def _tags(html: str) -> set[str]:
    return {m.lower() for m in re.findall(r"</?([a-zA-Z][\w-]*)", html)}


def test_words_phrases_prefix_and_stop_words():
    q = parse_query('Has anyone had "liver mets on capecitabine" and hand-foot pai')
    assert q.words == ("hand", "foot")
    assert q.phrases == (("liver", "mets", "on", "capecitabine"),)
    assert q.prefix == "pai"
    assert {"has", "anyone", "had", "and"} <= set(q.ignored)
    assert q.fts5() == '"hand" "foot" "liver mets on capecitabine" "pai"*'


def test_operators_are_just_words_or_nothing():
    q = parse_query('x NEAR(a b) OR "y* ^z:w -v +u (t) {s} \\" ; DROP TABLE posts; --')
    assert re.fullmatch(r'("[^"*]+"\*? ?)+', q.fts5())
    for op in ("NEAR(", "^", ":", "{", "(", ";", "--"):
        assert op not in q.fts5()
    assert parse_query("AND OR NOT").is_empty  # stop words
    assert parse_query("NEAR x").fts5() == '"near" "x"'  # an ordinary word, quoted
    assert parse_query('"').is_empty and parse_query("* ^ : - + ( ) { }").is_empty


def test_short_or_repeated_last_words_are_not_prefixes():
    assert parse_query("ca").prefix is None and parse_query("ca").words == ("ca",)
    assert parse_query("liver liver").prefix is None
    assert parse_query('liver "bone mets"').prefix is None  # ends with a phrase
    assert parse_query("liver on").prefix is None and parse_query("liver on").words == ("liver",)


def test_input_is_bounded_and_cleaned():
    q = parse_query("capecitabine " * 2000 + "x" * 10_000)
    assert len(q.text) <= 500 and q.term_count <= 2
    q = parse_query("a\x00b\ud800c 💊 Überraschung ﬁnal")
    assert "\x00" not in q.text and "\ud800" not in q.text
    assert "überraschung" in q.words and q.prefix == "final"
    assert len(parse_query(" ".join(f"word{i}" for i in range(100))).words) <= 12


def test_highlight_escapes_then_marks():
    raw = f'<script>alert("x")</script> &lt;b&gt; {START}capecitabine{STOP} \'q\' <b>bold</b>'
    html = str(highlight(raw))
    assert _tags(html) == {"mark"}
    assert "&lt;script&gt;" in html and "&amp;lt;b&amp;gt;" in html and "<mark>capecitabine</mark>" in html


def test_highlight_keeps_marks_balanced_whatever_the_text_holds():
    for raw in (f"{STOP}a{START}b", f"{START}{START}a{STOP}{STOP}", f"a{START}b", f"{STOP}{STOP}"):
        html = str(highlight(raw))
        assert html.count("<mark>") == html.count("</mark>")
        assert html.replace("<mark>", "").replace("</mark>", "").find("<") == -1


def test_snippets_on_the_page_show_content_as_text(client, make, kit):
    author = make.user()
    evil = '<img src=x onerror=alert(1)> Vinorelbine & "quotes" &lt;b&gt; <script>alert(2)</script>'
    thread = make.thread(author, title='Vinorelbine <b>bold</b> & "more"', body=evil)
    story = kit.story(author, title="<i>Vinorelbine</i>", body=evil + f" {START}fake{STOP} [link](javascript:x)")
    page = client.get("/search?q=vinorelbine").get_data(as_text=True)
    ids = result_ids(page)
    assert set(ids) == {("thread", thread.id), ("post", thread.first_post_id), ("story", story)}
    results = page.split('<ol class="search-results">', 1)[1].split("</ol>", 1)[0]
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', results, re.S)
    titles = re.findall(r"<h2><a [^>]*>(.*?)</a></h2>", results, re.S)
    assert len(snippets) == 2 and len(titles) == 3
    for fragment in snippets + titles:
        assert _tags(fragment) <= {"mark"}
    assert all("<mark>vinorelbine</mark>" in f.lower() for f in snippets)
    assert sum("<mark>vinorelbine</mark>" in f.lower() for f in titles) == 2  # a post's heading is its thread
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;more&#34;" in results and "&lt;i&gt;" in results
    assert "&lt;img src=x onerror=alert(1)&gt;" in results  # in the snippets, as text
    assert "&amp;lt;b&amp;gt;" in results and "&amp; &#34;quotes&#34;" in results
    assert "onerror=alert(1)>" not in results and "<script" not in results and "<b>" not in results
    assert START not in page and STOP not in page


def test_snippets_come_from_the_source_not_the_html(client, make):
    author = make.user()
    make.thread(author, title="Markdown", body="**Trastuzumab** deruxtecan, see [the trial](https://example.org/x)")
    page = client.get("/search?q=trastuzumab&kind=posts").get_data(as_text=True)
    snippet = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)[0]
    assert "<strong>" not in snippet and "href" not in snippet and "**" not in snippet
    assert "<mark>Trastuzumab</mark> deruxtecan" in snippet
