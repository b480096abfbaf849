"""Search: matching, ordering (the same on SQLite and PostgreSQL), filters, paging, the page itself."""
from __future__ import annotations

import re

from tests.search.conftest import result_ids


def _corpus(make, kit):
    """A small board about capecitabine; returns the ids by name."""
    author = make.user("rosa")
    other = make.user("june")
    t1 = make.thread(author, title="Liver mets on capecitabine", body="Started capecitabine for liver mets in May.")
    t2 = make.thread(other, topic="bone-metastases", title="Bone pain at night",
                     body="Hip pain keeps me awake, any tips for sleeping?")
    p1 = make.reply(other, t1, "Capecitabine capecitabine capecitabine, three cycles so far.")
    p2 = make.reply(author, t2, "My oncologist added capecitabine after the scan results came back, and we "
                                "talked about radiation, scans every three months and side effects to watch.")
    s1 = kit.story(author, title="A year with capecitabine", body="Hand and foot soreness, but my liver mets shrank.")
    kit.backdate(thread=t1.id, days=10)
    kit.backdate(thread=t2.id, days=9)
    kit.backdate(post=p1.id, days=8)
    kit.backdate(post=p2.id, days=3)
    kit.backdate(story=s1, days=1)
    return {"t1": t1.id, "op1": t1.first_post_id, "t2": t2.id, "op2": t2.first_post_id,
            "p1": p1.id, "p2": p2.id, "s1": s1, "author": author, "other": other}


def test_newest_order_is_the_same_on_every_engine(make, kit):
    c = _corpus(make, kit)
    assert kit.ids("capecitabine", sort="newest") == [
        ("story", c["s1"]), ("post", c["p2"]), ("post", c["p1"]), ("thread", c["t1"]), ("post", c["op1"]),
    ]
    assert kit.ids("liver mets", sort="newest") == [("story", c["s1"]), ("thread", c["t1"]), ("post", c["op1"])]


def test_relevance_puts_the_post_that_says_it_most_first(make, kit):
    c = _corpus(make, kit)
    assert kit.ids("capecitabine", kind="posts") == [("post", c["p1"]), ("post", c["op1"]), ("post", c["p2"])]


def test_the_newly_diagnosed_question_finds_the_thread_and_the_story(make, kit):
    c = _corpus(make, kit)
    found = set(kit.ids("has anyone had liver mets on capecitabine?"))
    assert found == {("thread", c["t1"]), ("post", c["op1"]), ("story", c["s1"])}


def test_last_word_is_a_prefix(make, kit):
    c = _corpus(make, kit)
    assert set(kit.ids("capecit")) == set(kit.ids("capecitabine"))
    assert ("post", c["p2"]) in kit.ids("oncolog")
    assert kit.ids("oncolog scan") == [("post", c["p2"])]  # only the last word is a prefix
    assert kit.run("onco scan")[1].relaxed  # "onco" is not a prefix here: nothing has both words


def test_quoted_phrase_needs_the_words_together(make, kit):
    c = _corpus(make, kit)
    assert set(kit.ids('"liver mets"')) == {("thread", c["t1"]), ("post", c["op1"]), ("story", c["s1"])}
    assert kit.ids('"mets liver"') == []
    assert kit.ids('"capecitabine after the scan"') == [("post", c["p2"])]


def test_stemming_and_stop_words(make, kit):
    c = _corpus(make, kit)
    assert ("thread", c["t2"]) in kit.ids("the pains of the night")
    ids, results = kit.run("the and of")
    assert ids == [] and results.query.is_empty


def test_nothing_with_every_word_falls_back_to_any_word(make, kit):
    c = _corpus(make, kit)
    ids, results = kit.run("hip zebra")
    assert results.relaxed and ids == [("post", c["op2"])]
    ids, results = kit.run("zebra giraffe")
    assert ids == [] and results.total == 0


def test_filters_kind_topic_and_date(make, kit):
    c = _corpus(make, kit)
    assert kit.ids("capecitabine", kind="threads") == [("thread", c["t1"])]
    assert kit.ids("capecitabine", kind="stories") == [("story", c["s1"])]
    assert kit.ids("capecitabine", topic="bone-metastases", sort="newest") == [("post", c["p2"])]
    # a topic leaves stories out (they have themes, not topics)
    assert kit.ids("capecitabine", topic="bone-metastases", kind="stories") == []
    assert kit.ids("capecitabine", when="week", sort="newest") == [("story", c["s1"]), ("post", c["p2"])]
    kit.backdate(story=c["s1"], days=40)
    assert kit.ids("capecitabine", when="month", sort="newest") == [("post", c["p2"]), ("post", c["p1"]),
                                                                       ("thread", c["t1"]), ("post", c["op1"])]
    assert len(kit.ids("capecitabine", when="year")) == 5


def test_filters_on_the_page(client, make, kit):
    c = _corpus(make, kit)
    r = client.get("/search", query_string={"q": "capecitabine", "kind": "posts", "topic": "newly-diagnosed",
                                           "when": "month", "sort": "newest"})
    assert r.status_code == 200
    assert result_ids(r.get_data(as_text=True)) == [("post", c["p1"]), ("post", c["op1"])]
    # nonsense filters fall back to their defaults
    r = client.get("/search", query_string={"q": "capecitabine", "kind": "x", "topic": "nope", "when": "?", "sort": "1"})
    assert r.status_code == 200 and len(result_ids(r.get_data(as_text=True))) == 5


def test_paging_walks_every_result_once(client, make, kit):
    author = make.user()
    thread = make.thread(author, title="Tamoxifen questions", body="Starting tamoxifen next week.")
    for i in range(30):
        make.reply(author, thread, f"Tamoxifen day {i}: {'hot flushes ' * (i % 4 + 1)}noted.")
    for i in range(12):
        kit.story(author, title=f"Story {i}", body=f"My tamoxifen year, part {i}.")
    for sort in ("relevance", "newest"):
        seen, pages, url = [], 0, f"/search?q=tamoxifen&sort={sort}"
        while url:
            page = client.get(url).get_data(as_text=True)
            ids = result_ids(page)
            assert len(ids) <= 20
            seen += ids
            pages += 1
            match = re.search(r'href="([^"]+)" rel="next"', page)
            url = match.group(1).replace("&amp;", "&") if match else None
        assert pages == 3
        assert len(seen) == len(set(seen)) == 44  # 1 title + 31 posts + 12 stories
        assert "44 results" in page


def test_a_bad_cursor_starts_again(client, make, kit):
    _corpus(make, kit)
    for after in ("nonsense", "cjEuMHx4fDN8MQ", "%00", "bnx4fDN8MQ"):
        r = client.get("/search", query_string={"q": "capecitabine", "after": after})
        assert r.status_code == 200 and len(result_ids(r.get_data(as_text=True))) == 5


def test_empty_search_is_a_helpful_page(client):
    for q in ("", "   ", "the", '""', "*", "AND OR NOT"):
        r = client.get("/search", query_string={"q": q})
        page = r.get_data(as_text=True)
        assert r.status_code == 200
        assert "Tips for searching" in page and "Browse by topic" in page
        assert 'href="/topics/newly-diagnosed"' in page
    assert "only very common words (the)" in client.get("/search?q=the").get_data(as_text=True)
    assert "couldn't find any words" in client.get("/search?q=%F0%9F%92%8A+%2A").get_data(as_text=True)


def test_page_is_accessible(client, make, kit):
    _corpus(make, kit)
    page = client.get("/search?q=capecitabine").get_data(as_text=True)
    assert 'role="search"' in page
    assert '<label for="search-q">' in page and 'type="search" id="search-q" name="q"' in page
    assert "<fieldset" in page and "<legend>Filters</legend>" in page
    for name in ("kind", "topic", "when", "sort"):
        assert f'<label for="search-{name}">' in page
    assert '<ol class="search-results">' in page and page.count("<h2>") == 5
    assert re.search(r'role="status">5 results for “capecitabine”', page)
    assert "<title>5 results for “capecitabine”" in page
    assert 'name="robots" content="noindex"' in page


def test_search_is_get_only(client):
    assert client.post("/search", data={"q": "x"}).status_code == 405


def test_query_count_does_not_grow_with_results(client, make, kit, count_queries):
    author = make.user()
    thread = make.thread(author, title="Letrozole", body="Letrozole and joint pain.")
    kit.story(author, title="Letrozole", body="Letrozole year one.")
    with count_queries() as few:
        assert client.get("/search?q=letrozole").status_code == 200
    for i in range(25):
        make.reply(author, thread, f"Letrozole update number {i}.")
        kit.story(author, title=f"Letrozole {i}", body=f"Letrozole story {i}.")
    with count_queries() as many:
        page = client.get("/search?q=letrozole").get_data(as_text=True)
    assert len(result_ids(page)) == 20
    # topics (for the filter), count, one page of ids, then one query per kind shown
    assert len(few) == 6
    assert len(many) <= len(few)


def test_search_writes_nothing(client, make, kit, count_queries):
    _corpus(make, kit)
    with count_queries() as queries:
        client.get("/search?q=capecitabine")
        client.get("/search?q=capecitabine&kind=threads&when=week")
    writes = [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
