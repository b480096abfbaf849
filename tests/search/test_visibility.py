"""Search returns only what the viewer may see, and never who wrote an anonymous story."""
from __future__ import annotations

import pytest

from tests.search.conftest import result_ids


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "removed", "deleted"])
def test_only_published_posts_are_found(client, login_as, make, kit, status):
    author = make.user("writer")
    moderator = make.user("mod", role="moderator")
    thread = make.thread(author, title="Neuropathy", body="Numb fingers after paclitaxel.")
    reply = make.reply(author, thread, "Xeloda gave me sore palms, urea cream helped.")
    visible = make.reply(author, thread, "Xeloda cream update: the soreness faded.")
    kit.set_post_status(reply.id, status)
    assert kit.ids("xeloda") == [("post", visible.id)]
    # stricter than thread pages: not even to its author or a moderator
    assert kit.ids("xeloda", viewer=author) == [("post", visible.id)]
    assert kit.ids("xeloda", viewer=moderator) == [("post", visible.id)]
    for who in (None, author, moderator):
        if who is not None:
            login_as(who)
        page = client.get("/search?q=palms+urea").get_data(as_text=True)
        assert result_ids(page) == [] and "cream helped" not in page


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "removed", "deleted"])
def test_a_thread_whose_opening_post_is_not_public_is_not_found(make, kit, status):
    author = make.user()
    thread = make.thread(author, title="Gemcitabine fatigue", body="Gemcitabine has wiped me out.")
    kit.set_post_status(thread.first_post_id, status)
    assert kit.ids("gemcitabine") == []


def test_published_replies_in_a_hidden_thread_are_not_found(make, kit):
    author, other = make.user(), make.user()
    thread = make.thread(author, title="Eribulin start", body="First eribulin infusion today.")
    make.reply(other, thread, "Eribulin was gentle for me.")
    kit.set_post_status(thread.first_post_id, "hidden")
    assert kit.ids("eribulin") == []


@pytest.mark.parametrize("status", ["draft", "pending", "hidden", "rejected", "removed", "withdrawn"])
def test_only_published_stories_are_found(make, kit, status):
    author = make.user()
    kit.story(author, title="Olaparib and me", body="Olaparib tablets twice a day.", status=status)
    shown = kit.story(author, title="Olaparib, again", body="Olaparib second year.")
    assert kit.ids("olaparib") == [("story", shown)]
    assert kit.ids("olaparib", viewer=author) == [("story", shown)]


def test_a_pending_edit_of_a_story_is_not_searchable(make, kit):
    author = make.user()
    story = kit.story(author, title="Fulvestrant", body="Fulvestrant shots monthly.")
    kit.set_story(story, pending_body_source="Fulvestrant and a secret about ribociclib.")
    assert kit.ids("ribociclib") == []
    assert kit.ids("fulvestrant") == [("story", story)]


def test_members_only_topic_is_invisible_to_visitors(client, login_as, make, kit):
    author = make.user()
    thread = make.thread(author, topic="planning-ahead-and-end-of-life", title="Hospice choices",
                         body="We toured the hospice yesterday.")
    assert kit.ids("hospice") == []
    assert kit.ids("hospice", topic="planning-ahead-and-end-of-life") == []
    page = client.get("/search?q=hospice&topic=planning-ahead-and-end-of-life").get_data(as_text=True)
    assert result_ids(page) == [] and "Hospice choices" not in page
    assert 'value="planning-ahead-and-end-of-life"' not in page  # not offered as a filter either
    login_as(make.user())
    page = client.get("/search?q=hospice&topic=planning-ahead-and-end-of-life").get_data(as_text=True)
    assert set(result_ids(page)) == {("thread", thread.id), ("post", thread.first_post_id)}
    assert 'value="planning-ahead-and-end-of-life" selected' in page


def test_anonymous_story_never_reveals_its_author(client, login_as, make, kit):
    author = make.user("margaretsmith", display_name="Maggie Longname")
    kit.story(author, title="Brain mets and radiation", body="Whole brain radiation was hard.",
              style="anonymous", signature="A member of Circle")
    # even if a stale signature line were stored, the anonymous style wins
    kit.story(author, title="Second brain mets story", body="Radiation again this spring.",
              style="anonymous", signature="Maggie Longname")
    for viewer in (None, make.user(), author):
        if viewer is not None:
            login_as(viewer)
        page = client.get("/search?q=radiation").get_data(as_text=True)
        assert len(result_ids(page)) == 2
        results = page.split('<ol class="search-results">', 1)[1].split("</ol>", 1)[0]
        assert results.count("A member of Circle") == 2
        for secret in ("margaretsmith", "Maggie", "Longname", "/users/", f"/u/{author.id}", "data-"):
            assert secret not in results


def test_a_signed_story_shows_its_signature_but_links_no_profile(client, make, kit):
    author = make.user("janedoe")
    kit.story(author, title="Ten years of hormone therapy", body="Anastrozole since 2016.", style="first",
              signature="Jane")
    page = client.get("/search?q=anastrozole").get_data(as_text=True)
    results = page.split('<ol class="search-results">', 1)[1].split("</ol>", 1)[0]
    assert "Jane" in results and "janedoe" not in results and "/users/" not in results
