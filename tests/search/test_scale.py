"""Search on a big board: a capped count, a bounded candidate set for relevance, exact
newest-first paging, and cursors that are not ours. The limits are lowered here so a
handful of posts stands for thousands."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board import search
from board.extensions import db
from board.forum.queries import encode_cursor
from tests.search.conftest import result_ids


def _walk(client, url):
    """Every page of results from `url`: ([(kind, id), …] in order, number of pages, last page)."""
    seen, pages, page = [], 0, ""
    while url:
        r = client.get(url)
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        seen += result_ids(page)
        pages += 1
        match = re.search(r'href="([^"]+)" rel="next"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
        assert pages < 50
    return seen, pages, page


def _bone_thread(make, author, n, word="zoledronic"):
    """A thread whose title and opening post do not have `word`, and n replies that do."""
    thread = make.thread(author, topic="bone-metastases", title="Bone strength", body="Infusions every month.")
    return thread, [make.reply(author, thread, f"{word} infusion number {i}.") for i in range(n)]


# ---------------------------------------------------------------- the count

def test_count_stops_at_the_cap(client, make, kit, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    author = make.user()
    _bone_thread(make, author, 7)
    ids, results = kit.run("zoledronic")
    assert results.capped and results.total == 5
    assert len(ids) == 7  # the cap is on the count only: every match can still be shown
    page = client.get("/search?q=zoledronic").get_data(as_text=True)
    assert re.search(r'role="status">5\+ results for “zoledronic”', page)
    assert "<title>5+ results for “zoledronic”" in page
    newest = client.get("/search?q=zoledronic&sort=newest").get_data(as_text=True)
    assert "5+ results" in newest and len(result_ids(newest)) == 7


def test_count_at_the_cap_is_exact(client, make, kit, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    author = make.user()
    _, replies = _bone_thread(make, author, 7)
    kit.set_post_status(replies[0].id, "hidden")  # hidden content is not counted either
    kit.set_post_status(replies[1].id, "pending")
    ids, results = kit.run("zoledronic")
    assert not results.capped and results.total == 5 and len(ids) == 5
    assert "5 results for" in client.get("/search?q=zoledronic").get_data(as_text=True)
    kit.set_post_status(replies[2].id, "removed")
    assert "4 results for" in client.get("/search?q=zoledronic").get_data(as_text=True)


def test_count_is_capped_over_all_kinds(make, kit, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    author = make.user()
    make.thread(author, title="Letrozole week one", body="Letrozole started.")   # a title and a post
    make.thread(author, title="Letrozole and joints", body="Letrozole aches.")   # a title and a post
    kit.story(author, title="Letrozole", body="Letrozole year one.")           # two stories
    kit.story(author, title="Letrozole again", body="Letrozole year two.")
    results = kit.run("letrozole")[1]
    assert results.capped and results.total == 5
    assert not kit.run("letrozole", kind="posts")[1].capped


def test_a_capped_count_reads_like_a_number(client, make, monkeypatch):
    """The real cap: "1,000+ results", with the thousands separator."""
    real = search.search

    def thousands(viewer, query, filters, cursor=None):
        results = real(viewer, query, filters, cursor)
        results.total, results.capped = search.COUNT_CAP, True
        return results

    make.thread(make.user(), title="Fatigue", body="So tired.")
    monkeypatch.setattr(search, "search", thousands)
    page = client.get("/search?q=fatigue").get_data(as_text=True)
    assert search.COUNT_CAP == 1000
    assert "1,000+ results for “fatigue”" in page and "<title>1,000+ results" in page


# ---------------------------------------------------------------- relevance among the newest candidates

def _candidates_board(make, kit):
    author, other = make.user("writer"), make.user("other")
    thread = make.thread(author, topic="bone-metastases", title="Bone strength", body="Infusions every month.")
    best = make.reply(author, thread, "Denosumab denosumab denosumab denosumab, all about denosumab.")
    p1 = make.reply(other, thread, "Denosumab shot today.")
    p2 = make.reply(author, thread, "Denosumab, denosumab, denosumab shot.")
    p3 = make.reply(other, thread, "Denosumab shot yesterday.")  # the same score as p1
    hidden = make.reply(author, thread, "Denosumab denosumab denosumab denosumab denosumab denosumab.")
    pending = make.reply(other, thread, "Denosumab denosumab denosumab denosumab.")
    kit.set_post_status(hidden.id, "hidden")
    kit.set_post_status(pending.id, "pending")
    return {"best": best.id, "p1": p1.id, "p2": p2.id, "p3": p3.id, "hidden": hidden.id, "pending": pending.id,
            "author": author}


def test_relevance_ranks_the_newest_visible_matches_only(client, make, kit, monkeypatch):
    c = _candidates_board(make, kit)
    # everything ranked: the post that says it most comes first
    assert kit.ids("denosumab", kind="posts")[0] == ("post", c["best"])

    monkeypatch.setattr(search, "CANDIDATES", 3)
    ids, results = kit.run("denosumab", kind="posts")
    # the 3 newest *visible* matches (hidden and pending ones take no place), best first,
    # equal scores newest first
    assert ids == [("post", c["p2"]), ("post", c["p3"]), ("post", c["p1"])]
    assert results.bounded and results.total == 4 and not results.capped
    page = client.get("/search?q=denosumab&kind=posts").get_data(as_text=True)
    assert result_ids(page) == ids
    assert "best among the 3 most recent posts" in page
    assert 'href="/search?q=denosumab&amp;kind=posts&amp;sort=newest">Newest first</a>' in page
    # newest first is not bounded: it lists every visible match
    newest = client.get("/search?q=denosumab&kind=posts&sort=newest").get_data(as_text=True)
    assert result_ids(newest) == [("post", c[k]) for k in ("p3", "p2", "p1", "best")]
    assert "search-bounded" not in newest
    for secret in (c["hidden"], c["pending"]):
        assert ("post", secret) not in result_ids(page) + result_ids(newest)


def test_bounded_relevance_pages_through_the_candidates(client, make, kit, monkeypatch):
    c = _candidates_board(make, kit)
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    seen, pages, last = _walk(client, "/search?q=denosumab&kind=posts")
    assert seen == [("post", c["p2"]), ("post", c["p3"]), ("post", c["p1"])] and pages == 2
    assert "best among the 3 most recent posts" in last


def test_bounded_relevance_over_every_kind_stays_visible_only(client, login_as, make, kit, monkeypatch):
    c = _candidates_board(make, kit)
    author = c["author"]
    make.thread(author, title="Denosumab questions", body="Jaw pain?")
    kit.story(author, title="Denosumab and me", body="Denosumab every six months.", style="anonymous",
              signature="A member of Circle")
    kit.story(author, title="Denosumab draft", body="Denosumab draft.", status="draft")
    kit.story(author, title="Denosumab withdrawn", body="Denosumab gone.", status="withdrawn")
    monkeypatch.setattr(search, "CANDIDATES", 2)
    for viewer in (None, author):
        if viewer is not None:
            login_as(viewer)
        ids, results = kit.run("denosumab", viewer=viewer)
        assert results.bounded
        # at most 2 candidates of each kind; posts: the two newest visible ones
        assert [i for i in ids if i[0] == "post"] == [("post", c["p2"]), ("post", c["p3"])]
        assert sum(1 for i in ids if i[0] == "story") == 1 and sum(1 for i in ids if i[0] == "thread") == 1
        page = client.get("/search?q=denosumab").get_data(as_text=True)
        assert result_ids(page) == ids
        assert "best among the 2 most recent of each kind" in page
        results_html = page.split('<ol class="search-results">', 1)[1].split("</ol>", 1)[0]
        story_html = results_html.split("search-result-story", 1)[1].split("</li>", 1)[0]
        assert "A member of Circle" in story_html and "writer" not in story_html
        assert "draft" not in results_html.lower() and "withdrawn" not in results_html.lower()


def test_few_matches_are_not_bounded(client, make, kit):
    c = _candidates_board(make, kit)
    ids, results = kit.run("denosumab", kind="posts")
    assert not results.bounded and len(ids) == 4
    assert "search-bounded" not in client.get("/search?q=denosumab").get_data(as_text=True)
    assert ("post", c["best"]) == ids[0]


# ---------------------------------------------------------------- newest first

def _mixed_board(make, kit):
    """Threads, posts and stories about tamoxifen, dated in the order they were written."""
    author = make.user()
    expected = []
    for i in range(4):
        thread = make.thread(author, title=f"Tamoxifen week {i}", body=f"Tamoxifen started, week {i}.")
        kit.backdate(thread=thread.id, days=40 - 4 * i)
        expected += [("thread", thread.id, 40 - 4 * i), ("post", thread.first_post_id, 40 - 4 * i)]
        for j in range(2):
            reply = make.reply(author, thread, f"Tamoxifen reply {i}.{j}.")
            kit.backdate(post=reply.id, days=39 - 4 * i - j)
            expected.append(("post", reply.id, 39 - 4 * i - j))
        story = kit.story(author, title=f"Story {i}", body=f"My tamoxifen year {i}.")
        kit.backdate(story=story, days=37.5 - 4 * i)
        expected.append(("story", story, 37.5 - 4 * i))
    # newest first; on equal dates a thread comes before its opening post
    order = {"thread": 3, "post": 2, "story": 1}
    expected.sort(key=lambda e: (e[2], -order[e[0]], -e[1]))
    return [(kind, id_) for kind, id_, _ in expected]


@pytest.mark.parametrize("page_size", [1, 3, 20])
def test_newest_pages_are_exact_across_kinds(client, make, kit, monkeypatch, page_size):
    expected = _mixed_board(make, kit)
    assert len(expected) == 20
    monkeypatch.setattr(search, "PAGE_SIZE", page_size)
    seen, pages, _ = _walk(client, "/search?q=tamoxifen&sort=newest")
    assert seen == expected
    assert pages == -(-len(expected) // page_size)


def test_newest_paging_neither_repeats_nor_skips_when_content_arrives(client, make, kit, monkeypatch):
    expected = _mixed_board(make, kit)
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    first = client.get("/search?q=tamoxifen&sort=newest").get_data(as_text=True)
    seen = result_ids(first)
    assert seen == expected[:2] and [k for k, _ in seen] == ["story", "post"]  # no thread reached yet
    # meanwhile: a new thread, a reply and a story
    author = make.user()
    fresh = make.thread(author, title="Tamoxifen again", body="Tamoxifen news.")
    make.reply(author, fresh, "Tamoxifen reply.")
    kit.story(author, body="Tamoxifen, later.")
    url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    rest, _, _ = _walk(client, url)
    assert seen + rest == expected


def test_newest_with_a_filter_and_used_up_kinds(make, kit, monkeypatch):
    from board.forum.queries import decode_cursor

    expected = _mixed_board(make, kit)
    monkeypatch.setattr(search, "PAGE_SIZE", 3)
    for filters in ({}, {"kind": "posts"}):
        walked, cursors, cursor = [], [], None
        while True:
            ids, results = kit.run("tamoxifen", sort="newest", cursor=cursor, **filters)
            walked += ids
            cursor = results.next_cursor
            if not cursor:
                break
            cursors.append(decode_cursor(cursor, 4))
            assert len(cursors) < 20
        kinds = {"kind": "posts"} == filters and ("post",) or ("thread", "post", "story")
        assert walked == [e for e in expected if e[0] in kinds]
        if not filters:
            # the last story is on the second-to-last page: stories are then used up (0)
            assert cursors[-1][3] == "0" and cursors[-2][3] != "0"
        else:
            assert all(c[1] == c[3] == "" for c in cursors)  # other kinds are not in the cursor


# ---------------------------------------------------------------- cursors that are not ours

@pytest.mark.parametrize("sort,parts", [
    ("newest", ("n", "x", "", "")),
    ("newest", ("n", "", "", "")),
    ("newest", ("n", "-1", "", "")),
    ("newest", ("n", "", str(2**63), "")),
    ("newest", ("n", "2026-01-01T00:00:00+00:00", "2", "5")),   # the old newest cursor
    ("newest", ("r", "1", "2", "3")),
    ("relevance", ("r", "1.0", "2026-01-01T00:00:00", "2", "5")),  # no time zone
    ("relevance", ("r", "1.0", "2026-01-01T00:00:00+00:00", "9", "5")),
    ("relevance", ("r", "1.0", "2026-01-01T00:00:00+00:00", "2", str(2**64))),
    ("relevance", ("r", "nan", "2026-01-01T00:00:00+00:00", "2", "5")),
    ("relevance", ("n", "1.0", "2026-01-01T00:00:00+00:00", "2", "5")),
])
def test_a_cursor_that_is_not_ours_starts_again(client, make, kit, sort, parts):
    author = make.user()
    thread = make.thread(author, title="Capecitabine", body="Capecitabine started.")
    make.reply(author, thread, "Capecitabine day two.")
    cursor = encode_cursor(*parts)
    with pytest.raises(search.BadCursor):
        kit.run("capecitabine", sort=sort, cursor=cursor)
    r = client.get("/search", query_string={"q": "capecitabine", "sort": sort, "after": cursor})
    assert r.status_code == 200 and len(result_ids(r.get_data(as_text=True))) == 3


def test_a_cursor_past_the_end_is_an_empty_page(client, make, kit):
    author = make.user()
    make.thread(author, title="Capecitabine", body="Capecitabine started.")
    for parts in (("n", "1", "1", "1"), ("n", "0", "0", "0")):
        r = client.get("/search", query_string={"q": "capecitabine", "sort": "newest",
                                               "after": encode_cursor(*parts)})
        page = r.get_data(as_text=True)
        assert r.status_code == 200 and result_ids(page) == [] and "No more results" in page


# ---------------------------------------------------------------- the SQL text

def test_words_written_into_the_sql_are_escaped(app):
    """PostgreSQL gets the words in the SQL text (so its plans know them): whatever a
    word held, it comes back as the same string."""
    with app.app_context():
        for evil in ("o'brien", "'; drop table posts; --", "100%", "%(x)s", "back\\slash", "ünï’cödé"):
            assert db.session.scalar(select(search._text(evil))) == evil
        assert db.session.scalar(select(search._n(21))) == 21
