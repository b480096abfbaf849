"""The "For you" page: threads and stories matching the member's own answers, and why."""
from __future__ import annotations

from tests.conftest import login


def test_visitors_are_invited_to_log_in(client):
    r = client.get("/for-you")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Log in" in html and '<meta name="robots" content="noindex">' in html


def test_no_profile_shows_how_to_set_one(client, make, login_as):
    login_as(make.user("alice"))
    html = client.get("/for-you").get_data(as_text=True)
    assert "Set up my diagnosis profile" in html and 'href="/settings/diagnosis"' in html


def test_not_sure_only_still_explains(client, make, login_as, diagnose):
    alice = make.user("alice")
    diagnose(alice, subtype="not-sure")
    login_as(alice)
    html = client.get("/for-you").get_data(as_text=True)
    assert "Set up my diagnosis profile" in html


def test_brain_mets_finds_the_brain_metastases_topic(client, make, login_as, diagnose):
    alice, bob = make.user("alice"), make.user("bob")
    make.thread(bob, topic="brain-metastases", title="Whole-brain radiation next week")
    make.thread(bob, topic="liver-metastases", title="Liver function tests creeping up")
    diagnose(alice, spread=["brain"])
    login_as(alice)
    html = client.get("/for-you").get_data(as_text=True)
    assert "Whole-brain radiation next week" in html
    assert "Liver function tests" not in html
    assert "Shown because you told us it has spread to your brain." in html
    assert "Brain metastases" in html


def test_her2_positive_finds_the_her2_topic(client, make, login_as, diagnose):
    alice, bob = make.user("alice"), make.user("bob")
    make.thread(bob, topic="her2-positive-and-targeted-therapy", title="Starting trastuzumab deruxtecan")
    make.thread(bob, topic="triple-negative", title="Sacituzumab questions here")
    diagnose(alice, subtype="her2-positive", treatment="chemotherapy")
    login_as(alice)
    html = client.get("/for-you").get_data(as_text=True)
    assert "Starting trastuzumab deruxtecan" in html
    assert "Sacituzumab" not in html
    assert "Shown because you told us your cancer is HER2-positive." in html
    assert "Side effects and symptom relief" in html  # chemotherapy → side effects topic


def test_answers_kept_private_still_drive_the_page(client, make, login_as, diagnose):
    """Audience is about the public profile; the member's own page always uses every answer."""
    alice, bob = make.user("alice"), make.user("bob")
    make.thread(bob, topic="bone-metastases", title="Denosumab and my jaw")
    diagnose(alice, spread=["bone"], spread_audience="me")
    login_as(alice)
    assert "Denosumab and my jaw" in client.get("/for-you").get_data(as_text=True)


def test_story_themes_match_with_reasons(client, make, login_as, diagnose, make_story):
    alice, bob = make.user("alice"), make.user("bob")
    make_story(bob, title="What chemo taught me", themes=("treatment-experiences",))
    make_story(bob, title="My garden in spring", themes=("hope",))
    make_story(bob, title="A draft nobody sees", themes=("treatment-experiences",), status="draft")
    diagnose(alice, treatment="hormonal")
    login_as(alice)
    html = client.get("/for-you").get_data(as_text=True)
    assert "What chemo taught me" in html
    assert "My garden in spring" not in html and "A draft nobody sees" not in html
    assert "Shown because you told us you are on hormonal therapy." in html


def test_recent_diagnosis_brings_newly_diagnosed(client, make, login_as, diagnose, make_story):
    from datetime import UTC, datetime

    alice, bob = make.user("alice"), make.user("bob")
    make.thread(bob, topic="newly-diagnosed", title="Just found out last week")
    make_story(bob, title="Some hope for you", themes=("hope",))
    diagnose(alice, year=datetime.now(UTC).year)
    login_as(alice)
    html = client.get("/for-you").get_data(as_text=True)
    assert "Just found out last week" in html and "Some hope for you" in html
    assert "you were diagnosed recently" in html


def test_only_visible_threads_are_listed(app, client, make, login_as, diagnose):
    from board.extensions import db
    from board.forum.services import set_post_status
    from board.models import Post, Thread

    alice, bob = make.user("alice"), make.user("bob")
    thread = make.thread(bob, topic="lung-metastases", title="This one was removed later")
    with app.app_context():
        set_post_status(db.session.get(Post, db.session.get(Thread, thread.id).first_post_id), "removed")
        db.session.commit()
    diagnose(alice, spread=["lung"])
    login_as(alice)
    assert "This one was removed later" not in client.get("/for-you").get_data(as_text=True)


def test_query_count_is_constant(client, make, login_as, diagnose, make_story, count_queries):
    alice, bob, carol = make.user("alice"), make.user("bob"), make.user("carol")
    diagnose(alice, spread=["brain", "bone"], subtype="her2-positive", treatment="chemotherapy", origin="de-novo")
    make.thread(bob, topic="brain-metastases")
    make_story(bob, themes=("treatment-experiences",))
    login(client, alice)
    client.get("/for-you")
    with count_queries() as few:
        assert client.get("/for-you").status_code == 200
    for i in range(6):
        make.thread(carol if i % 2 else bob, topic=("bone-metastases", "chemotherapy", "newly-diagnosed")[i % 3])
        make_story(carol, themes=("newly-diagnosed", "side-effects"))
    with count_queries() as many:
        html = client.get("/for-you").get_data(as_text=True)
    assert html.count('class="thread-row"') >= 10
    assert len(many) == len(few), many
