"""Review and author control: pending → published → withdrawn → resubmitted; edits wait for approval."""
import pytest
from sqlalchemy import select

from board.domain import Conflict
from board.extensions import db
from board.models import Notification, Story, User
from board.stories import services
from tests.stories.conftest import BODY, story_form


def _moderate(app, story_id, action, *args, moderator=None):
    with app.app_context():
        story = db.session.get(Story, story_id)
        mod = db.session.get(User, moderator.id) if moderator else None
        fn = getattr(services, action)
        if action == "return_story_to_pending":
            fn(story, *args)
        else:
            fn(story, mod, *args)
        db.session.commit()


def _status(app, story_id):
    with app.app_context():
        return db.session.get(Story, story_id).status


def _public_pages(client, story_id):
    return [
        client.get("/stories").text,
        client.get("/stories?theme=hope").text,
        client.get("/stories/feed.atom").text,
        client.get("/").text,
    ]


def test_pending_approved_published_withdrawn_resubmitted_flow(app, client, make, login_as):
    mod = make.user("sam", role="moderator")
    alice = make.user("alice")
    login_as(alice)
    assert client.post("/stories/new", data=story_form(themes=["hope"], title="Morning walks")).status_code == 302
    with app.app_context():
        story_id = db.session.scalar(select(Story.id))
    assert _status(app, story_id) == "pending"
    client.post("/auth/logout")
    assert client.get(f"/stories/{story_id}").status_code == 404  # nobody else sees a pending story
    assert all("Morning walks" not in page for page in _public_pages(client, story_id))

    _moderate(app, story_id, "publish_story", moderator=mod)
    assert _status(app, story_id) == "published"
    assert client.get(f"/stories/{story_id}").status_code == 200
    assert all("Morning walks" in page for page in _public_pages(client, story_id)[:3])
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == alice.id))
        assert note.kind == "story_published" and note.url == f"/stories/{story_id}"

    # The author withdraws: gone from every public page at once, no moderator needed.
    login_as(alice)
    r = client.post(f"/stories/{story_id}/withdraw")
    assert r.status_code == 302
    assert _status(app, story_id) == "withdrawn"
    assert client.get(f"/stories/{story_id}").status_code == 200  # the author can still read it
    assert "Withdrawn by you" in client.get("/stories/mine").text
    client.post("/auth/logout")
    assert client.get(f"/stories/{story_id}").status_code == 404
    assert all("Morning walks" not in page for page in _public_pages(client, story_id))
    assert "Morning walks" not in client.get("/users/alice").text

    # A moderator can't publish a withdrawn story from a stale queue item.
    with pytest.raises(Conflict):
        _moderate(app, story_id, "publish_story", moderator=mod)

    # Resubmitted: waits for review again, then published again.
    login_as(alice)
    assert client.post(f"/stories/{story_id}/edit", data=story_form(themes=["hope"], title="Morning walks")).status_code == 302
    assert _status(app, story_id) == "pending"
    _moderate(app, story_id, "publish_story", moderator=mod)
    assert _status(app, story_id) == "published"
    client.post("/auth/logout")
    assert "Morning walks" in client.get("/stories").text


def test_edit_of_published_story_is_invisible_until_approved(app, client, make, login_as, make_story):
    mod = make.user("sam", role="moderator")
    alice = make.user("alice")
    story_id = make_story(alice, title="Original title", themes=("hope",))
    login_as(alice)
    new_body = "A completely rewritten story about finding quiet mornings and small walks with my dog."
    r = client.post(f"/stories/{story_id}/edit", data=story_form(title="Edited title", body=new_body, themes=["hope"]))
    assert r.status_code == 302
    assert _status(app, story_id) == "published"
    assert "waiting for review" in client.get("/stories/mine").text
    client.post("/auth/logout")
    page = client.get(f"/stories/{story_id}").text
    assert "Original title" in page and "Edited title" not in page and "quiet mornings" not in page
    feed = client.get("/stories/feed.atom").text
    assert "Edited title" not in feed and "quiet mornings" not in feed

    _moderate(app, story_id, "publish_story", moderator=mod)
    page = client.get(f"/stories/{story_id}").text
    assert "Edited title" in page and "quiet mornings" in page and "Original title" not in page
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.pending_title is None and story.pending_body_source is None


def test_returned_edit_keeps_published_version_and_the_authors_new_text(app, client, make, login_as, make_story):
    mod = make.user("sam", role="moderator")
    alice = make.user("alice")
    story_id = make_story(alice, title="Original title")
    login_as(alice)
    client.post(f"/stories/{story_id}/edit", data=story_form(title="Edited title", themes=["hope"]))
    _moderate(app, story_id, "reject_story", "Please leave out your oncologist's name.", moderator=mod)
    assert _status(app, story_id) == "published"
    mine = client.get("/stories/mine").text
    assert "returned your changes" in mine and "oncologist&#39;s name" in mine
    assert 'value="Edited title"' in client.get(f"/stories/{story_id}/edit").text  # author keeps their words
    client.post("/auth/logout")
    assert "Original title" in client.get(f"/stories/{story_id}").text


def test_published_signature_change_waits_but_going_anonymous_is_immediate(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice, title="Same title", signature="full", first_name="Mary", last_initial="G")
    login_as(alice)
    data = dict(title="Same title", body=None, themes=["hope"])
    with app.app_context():
        data["body"] = db.session.get(Story, story_id).body_source
    client.post(f"/stories/{story_id}/edit", data=story_form(**data, signature="first", sig_first_name="Maria"))
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.signature == "Mary G., Oregon, WI" and story.pending_signature["signature"] == "Maria"
    client.post(f"/stories/{story_id}/edit", data=story_form(**data, signature="anonymous"))
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.signature == "A member of Circle" and story.sig_first_name == ""
        assert story.pending_signature is None and story.status == "published"


def test_rejected_story_shows_reason_and_can_be_resubmitted(app, client, make, login_as, make_story):
    mod = make.user("sam", role="moderator")
    alice = make.user("alice")
    story_id = make_story(alice, status="rejected", moderator=mod)
    login_as(alice)
    assert "Please take out your doctor&#39;s name." in client.get("/stories/mine").text
    assert BODY[:40] in client.get(f"/stories/{story_id}").text  # the author keeps the text
    assert client.post(f"/stories/{story_id}/edit", data=story_form()).status_code == 302
    assert _status(app, story_id) == "pending"


def test_edit_and_publish_and_undo(app, make, make_story):
    mod = make.user("sam", role="moderator")
    alice = make.user("alice")
    story_id = make_story(alice, status="pending")
    _moderate(app, story_id, "edit_and_publish_story", "Fixed title", BODY + " (name removed)", moderator=mod)
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.status == "published" and story.title == "Fixed title" and "(name removed)" in story.body_html
    _moderate(app, story_id, "return_story_to_pending")
    assert _status(app, story_id) == "pending"
    _moderate(app, story_id, "remove_story", moderator=mod)
    assert _status(app, story_id) == "removed"


def test_removed_story_cannot_be_edited_by_its_author(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice)
    _moderate(app, story_id, "remove_story", moderator=make.user("sam", role="moderator"))
    login_as(alice)
    assert client.get(f"/stories/{story_id}/edit").status_code == 403


def test_someone_elses_story_cannot_be_edited_or_withdrawn(app, client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    login_as(make.user("mallory"))
    assert client.get(f"/stories/{story_id}/edit").status_code == 403
    assert client.post(f"/stories/{story_id}/edit", data=story_form()).status_code == 403
    assert client.post(f"/stories/{story_id}/withdraw").status_code == 403
    assert _status(app, story_id) == "published"
    assert client.get("/stories/999999/edit").status_code == 404


def test_published_story_cannot_go_back_to_draft(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice)
    login_as(alice)
    r = client.post(f"/stories/{story_id}/edit", data=story_form(submit=None, save_draft="Save as draft"))
    assert r.status_code == 400 and "can&#39;t go back to being a draft" in r.text
    assert _status(app, story_id) == "published"


def test_withdrawing_twice_is_harmless(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice, featured=True)
    login_as(alice)
    client.post(f"/stories/{story_id}/withdraw")
    r = client.post(f"/stories/{story_id}/withdraw", follow_redirects=True)
    assert r.status_code == 200 and "nothing to withdraw" in r.text
    with app.app_context():
        story = db.session.get(Story, story_id)
        assert story.status == "withdrawn" and story.featured is False


def test_withdrawn_featured_story_leaves_the_home_page_at_once(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice, title="Front page story", featured=True)
    assert "Front page story" in client.get("/").text
    login_as(alice)
    client.post(f"/stories/{story_id}/withdraw")
    client.post("/auth/logout")
    assert "Front page story" not in client.get("/").text


def test_undo_can_restore_a_removed_story_to_published(app, make, make_story):
    mod = make.user("sam", role="moderator")
    story_id = make_story(make.user("alice"))
    _moderate(app, story_id, "remove_story", moderator=mod)
    with app.app_context():
        services.return_story_to_pending(db.session.get(Story, story_id), status="published")
        db.session.commit()
    assert _status(app, story_id) == "published"


def test_edit_form_shows_the_pending_version_to_the_author(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice, title="Live title", signature="full")
    login_as(alice)
    client.post(f"/stories/{story_id}/edit", data=story_form(title="Waiting title", themes=["hope"],
                                                               signature="initial", sig_first_name="Maria"))
    page = client.get(f"/stories/{story_id}/edit").text
    assert 'value="Waiting title"' in page and 'value="Maria"' in page
    assert '<input checked id="signature-1" name="signature" type="radio" value="initial">' in page
