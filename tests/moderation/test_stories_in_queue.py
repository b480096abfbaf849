"""The queue is shared with member stories: the "story" kind (board/stories/moderated.py)."""
from __future__ import annotations

import pytest
from board.domain import RuleViolation
from board.extensions import db
from board.markup import render_markdown
from board.models import Story
from board.moderation import decisions, intake
from board.moderation.rules import Verdict
from tests.moderation.conftest import actions, client_for, items, user


def _submit(app, author, body="My story of living with MBC.", crisis=False):
    with app.app_context():
        story = Story(author_id=author.id, title="My story", body_source=body, body_html=render_markdown(body),
                      status="pending")
        db.session.add(story)
        db.session.flush()
        verdict = Verdict(action="review", reasons=("New story",), crisis=crisis,
                          priority=2 if crisis else 0)
        intake.after_write(author=user(author), verdict=verdict, target=story)
        db.session.commit()
        return story.id


def test_every_submitted_story_waits_in_the_queue_urgent_when_crisis(app, make, member, moderator, browser):
    plain = _submit(app, member)
    urgent = _submit(app, make.user("other"), body="Some nights are so very dark", crisis=True)
    with app.app_context():
        kinds = {(i.target_id, i.kind, i.priority) for i in items()}
        assert kinds == {(plain, "pending_story", 0), (urgent, "pending_story", 2)}
    page = browser(moderator).get("/moderation?kind=pending_story").get_data(as_text=True)
    assert page.index("Some nights are so very dark") < page.index("My story of living with MBC.")


def test_resubmitting_keeps_one_open_item_per_story(app, member):
    story_id = _submit(app, member)
    with app.app_context():
        story = db.session.get(Story, story_id)
        intake.after_write(author=user(member), verdict=Verdict(action="review"), target=story)
        db.session.commit()
        assert len(items(content_kind="story", target_id=story_id)) == 1


def test_approve_and_reject_call_the_stories_service(app, make, member, moderator):
    first = _submit(app, member)
    second = _submit(app, make.user("writer2"), body="Another story")
    with app.app_context():
        by_story = {i.target_id: i for i in items()}
        decisions.approve(by_story[first], user(moderator))
        decisions.reject(by_story[second], user(moderator), "Please remove your doctor's name.")
        db.session.commit()
        assert db.session.get(Story, first).status == "published"
        rejected = db.session.get(Story, second)
        assert rejected.status == "rejected" and "doctor's name" in rejected.moderator_note
        assert [a.action for a in actions()] == ["approve", "reject"]


def test_undo_returns_a_story_to_pending(app, member, moderator):
    story_id = _submit(app, member)
    with app.app_context():
        decisions.approve(items()[0], user(moderator))
        db.session.commit()
        decisions.undo(items()[0], user(moderator))
        db.session.commit()
        assert db.session.get(Story, story_id).status == "pending"


def test_reports_on_a_published_story_hide_it_at_the_threshold(app, make, member):
    with app.app_context():
        story = Story(author_id=member.id, title="Published", body_source="x", body_html="<p>x</p>",
                      status="published")
        db.session.add(story)
        db.session.commit()
        story_id = story.id
    for n in range(3):
        with app.app_context():
            intake.report_content(user(make.user(f"reader{n}")), "misinformation", "",
                                    target=db.session.get(Story, story_id))
            db.session.commit()
    with app.app_context():
        assert db.session.get(Story, story_id).status == "hidden"
        with pytest.raises(RuleViolation, match="already hidden"):
            intake.report_content(user(make.user("late")), "spam", "", target=db.session.get(Story, story_id))


def test_crisis_items_cannot_be_returned_to_the_author(app, make, member, moderator):
    make.thread(member, title="A hard night", body="I want to die")
    with app.app_context(), pytest.raises(RuleViolation, match="stay published"):
        decisions.reject(items()[0], user(moderator), "no")


def test_edit_then_approve_of_a_published_storys_edit_starts_from_the_edit(app, member, moderator):
    from board.stories import services as stories

    story_id = _submit(app, member, body="The approved words, long enough to be a story of mine here.")
    with app.app_context():
        decisions.approve(items(content_kind="story", target_id=story_id)[0], user(moderator))
        db.session.commit()
        story = db.session.get(Story, story_id)
        stories.update_story(user(member), story, stories.StoryInput(
            title="My story, revised", body="The edited words, waiting for review before anyone reads them.",
            themes=[t.theme for t in story.themes] or ["hope"], signature="first", sig_first_name="June",
            consent=True))
        db.session.commit()
        item = [i for i in items(content_kind="story", target_id=story_id) if i.state == "open"][0]
    page = client_for(app, moderator).get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "The edited words, waiting for review" in page  # the editor starts from the pending edit
    with app.app_context():
        item = db.session.get(type(item), item.id)
        decisions.edit_and_approve(item, user(moderator),
                                  "The edited words, lightly tidied by a moderator for privacy.")
        db.session.commit()
        story = db.session.get(Story, story_id)
        assert story.title == "My story, revised"
        assert story.body_source.startswith("The edited words, lightly tidied")
        assert actions("edit_approve")[0].before_text.startswith("My story, revised")


def test_moderator_features_a_published_story_and_it_is_audited(app, member, moderator):
    story_id = _submit(app, member, body="A story worth putting on the home page for others to read.")
    with app.app_context():
        decisions.approve(items(content_kind="story", target_id=story_id)[0], user(moderator))
        db.session.commit()
    mod = client_for(app, moderator)
    assert "Feature this story" in mod.get(f"/stories/{story_id}").get_data(as_text=True)
    assert mod.post(f"/moderation/stories/{story_id}/feature", data={"featured": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Story, story_id).featured is True
        assert [a.action for a in actions("feature")] == ["feature"]
    mod.post(f"/moderation/stories/{story_id}/feature", data={"featured": "0"})
    with app.app_context():
        assert db.session.get(Story, story_id).featured is False
    assert client_for(app, member).post(f"/moderation/stories/{story_id}/feature").status_code == 403
