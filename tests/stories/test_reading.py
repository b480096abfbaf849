"""Reading stories: ordering, filters, pagination, query budget, home page and profiles."""
import re
from datetime import timedelta

from sqlalchemy import update

from board.extensions import db
from board.models import Story, utcnow


def _titles(html):
    return re.findall(r'<a href="/stories/\d+">([^<]+)</a></h[23]>', html)


def _age(app, story_id, minutes):
    """Make the story look `minutes` old (deterministic ordering)."""
    with app.app_context():
        db.session.execute(update(Story).where(Story.id == story_id)
                           .values(published_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def test_featured_stories_come_first_then_newest(app, client, make, make_story):
    alice = make.user("alice")
    old = make_story(alice, title="Old story")
    featured = make_story(alice, title="Featured story title", featured=True)
    new = make_story(alice, title="New story")
    _age(app, old, 30)
    _age(app, featured, 60)
    _age(app, new, 1)
    assert _titles(client.get("/stories").text) == ["Featured story title", "New story", "Old story"]


def test_theme_and_prompt_filters_combine(app, client, make, make_story):
    alice = make.user("alice")
    make_story(alice, title="Hope and advice", themes=("hope",), prompt="advice-for-newly-diagnosed")
    make_story(alice, title="Hope only", themes=("hope", "caregiving"))
    make_story(alice, title="Caregiving advice", themes=("caregiving",), prompt="advice-for-newly-diagnosed")
    assert set(_titles(client.get("/stories?theme=hope").text)) == {"Hope and advice", "Hope only"}
    assert set(_titles(client.get("/stories?prompt=advice-for-newly-diagnosed").text)) == {
        "Hope and advice", "Caregiving advice"}
    r = client.get("/stories?theme=hope&prompt=advice-for-newly-diagnosed")
    assert _titles(r.text) == ["Hope and advice"]
    assert 'aria-current="page">Hope</a>' in r.text


def test_unknown_theme_or_prompt_answers_404_with_a_helpful_page(client, make, make_story):
    make_story(make.user("alice"), title="A real story")
    for url in ("/stories?theme=no-such-theme", "/stories?prompt=nope", "/stories?theme=hope&prompt=nope",
                "/stories?theme=%00%3Cscript%3E"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "We don&#39;t have a" in r.text and "Browse by theme" in r.text
        assert "A real story" not in r.text and "<script>" not in r.text


def test_keyset_pagination_twenty_a_page(app, client, make, make_story):
    alice = make.user("alice")
    ids = [make_story(alice, title=f"Story number {n:02d}") for n in range(25)]
    for n, story_id in enumerate(ids):
        _age(app, story_id, 100 - n)  # later ones are newer
    first = client.get("/stories").text
    titles = _titles(first)
    assert len(titles) == 20 and titles[0] == "Story number 24"
    cursor = re.search(r'href="/stories\?cursor=([^"]+)" rel="next"', first).group(1)
    second = client.get(f"/stories?cursor={cursor}").text
    assert _titles(second) == [f"Story number {n:02d}" for n in range(4, -1, -1)]
    assert 'rel="next"' not in second


def test_pagination_keeps_featured_first_across_pages(app, client, make, make_story):
    alice = make.user("alice")
    ids = [make_story(alice, title=f"Plain {n:02d}") for n in range(21)]
    feat = make_story(alice, title="The featured one", featured=True)
    _age(app, feat, 500)
    page1 = client.get("/stories").text
    assert _titles(page1)[0] == "The featured one"
    cursor = re.search(r'cursor=([^"&]+)" rel="next"', page1).group(1)
    page2 = _titles(client.get(f"/stories?cursor={cursor}").text)
    assert len(page2) == 2 and "The featured one" not in page2
    assert len(set(_titles(page1)) | set(page2)) == 22 and ids


def test_bad_cursor_is_404_not_500(client):
    for cursor in ("nonsense", "MXx4fDE", "%ff", "MnwyMDI2LTAxLTAxfDE"):
        assert client.get(f"/stories?cursor={cursor}").status_code == 404


def test_list_page_runs_a_constant_number_of_queries(app, client, make, make_story, count_queries):
    alice = make.user("alice")
    for n in range(3):
        make_story(alice, title=f"Early {n}", themes=("hope", "caregiving"))
    with count_queries() as few:
        assert client.get("/stories").status_code == 200
    for n in range(22):
        make_story(alice, title=f"Later {n}", themes=("hope", "side-effects", "work-and-money"))
    with count_queries() as many:
        assert client.get("/stories").status_code == 200
    with count_queries() as filtered:
        assert client.get("/stories?theme=hope&prompt=what-gives-hope").status_code == 200
    assert len(few) == len(many) <= 2, many
    assert len(filtered) <= 2


def test_home_page_shows_three_featured_stories_in_one_query(app, client, make, make_story, count_queries):
    alice = make.user("alice")
    for n in range(4):
        make_story(alice, title=f"Featured {n}", featured=True)
    make_story(alice, title="Not featured")
    page = client.get("/").text
    shown = re.findall(r'<a href="/stories/\d+">(Featured \d|Not featured)</a>', page)
    assert len(shown) == 3 and "Not featured" not in shown
    with app.app_context():
        loader = app.extensions["circle.featured_stories"]
    with count_queries() as q:
        with app.app_context():
            stories = loader()
            [s.theme_slugs for s in stories]
    assert len(stories) == 3 and len(q) == 1


def test_story_page_shows_themes_date_signature_and_more_stories(app, client, make, make_story):
    alice = make.user("alice")
    main = make_story(alice, title="Main story", themes=("caregiving", "hope"), signature="initial",
                      prompt="hard-days")
    make_story(alice, title="Another caregiving story", themes=("caregiving",))
    make_story(alice, title="Unrelated", themes=("work-and-money",))
    page = client.get(f"/stories/{main}").text
    assert "Mary G." in page and "<time" in page
    assert 'href="/stories?theme=caregiving"' in page and 'href="/stories?theme=hope"' in page
    assert "How do you take care of yourself on hard days?" in page
    assert "More stories about Caregiving" in page and "Another caregiving story" in page
    assert "Unrelated" not in page


def test_profile_lists_only_published_non_anonymous_stories(app, client, make, make_story):
    alice = make.user("alice")
    make_story(alice, title="Signed story", signature="first")
    make_story(alice, title="Secret story", signature="anonymous")
    make_story(alice, title="Pending story", status="pending")
    page = client.get("/users/alice").text
    assert "Signed story" in page
    assert "Secret story" not in page and "Pending story" not in page


def test_hidden_states_are_404_for_the_public(app, client, make, make_story):
    alice = make.user("alice")
    for status in ("draft", "pending", "rejected", "withdrawn"):
        story_id = make_story(alice, status=status, title=f"{status} story")
        assert client.get(f"/stories/{story_id}").status_code == 404
        assert f"{status} story" not in client.get("/stories").text
