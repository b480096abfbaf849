"""The story services the views and the moderators' queue call, tested without HTTP."""
import pytest
from sqlalchemy import func, select

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.gestures import services as gestures
from board.models import Reaction, Story, User
from board.stories import services
from tests.stories.conftest import BODY


def _input(**overrides):
    values = dict(title="T", body=BODY, themes=["hope"], signature="first", sig_first_name="Mary", consent=True)
    values.update(overrides)
    return services.StoryInput(**values)


def test_create_story_without_consent_raises_and_adds_nothing(app, make):
    alice = make.user("alice")
    with app.app_context():
        with pytest.raises(RuleViolation) as exc:
            services.create_story(db.session.get(User, alice.id), _input(consent=False))
        assert exc.value.field == "consent"
        db.session.rollback()
        assert db.session.scalar(select(func.count(Story.id))) == 0


def test_moderation_actions_refuse_stories_not_waiting(app, make, make_story):
    alice = make.user("alice")
    draft_id = make_story(alice, status="draft")
    published_id = make_story(alice)
    with app.app_context():
        draft = db.session.get(Story, draft_id)
        published = db.session.get(Story, published_id)
        with pytest.raises(Conflict):
            services.publish_story(draft, None)
        with pytest.raises(Conflict):
            services.publish_story(published, None)  # nothing pending
        with pytest.raises(Conflict):
            services.reject_story(published, None, "reason")
        with pytest.raises(Conflict):
            services.set_featured(draft, None, True)


def test_reject_needs_a_reason_for_the_author(app, make, make_story):
    story_id = make_story(make.user("alice"), status="pending")
    with app.app_context():
        with pytest.raises(RuleViolation):
            services.reject_story(db.session.get(Story, story_id), None, "   ")


def test_this_helped_reaction_is_idempotent_per_member(app, make, make_story):
    """"This helped me" is now the "helped" reaction; it still moves helped_count."""
    story_id = make_story(make.user("alice"))
    bob = make.user("bob")
    with app.app_context():
        story = db.session.get(Story, story_id)
        member = db.session.get(User, bob.id)
        assert gestures.react(member, gestures.STORY, story, "helped", True).reacted is True
        assert gestures.react(member, gestures.STORY, story, "helped", True).reacted is True
        db.session.commit()
        assert story.helped_count == 1
        assert db.session.scalar(select(func.count(Reaction.id))) == 1
        assert gestures.react(member, gestures.STORY, story, "helped", False).reacted is False
        assert gestures.react(member, gestures.STORY, story, "helped", False).reacted is False
        db.session.commit()
        assert story.helped_count == 0


def test_unfeaturing_and_featuring(app, make, make_story):
    story_id = make_story(make.user("alice"), featured=True)
    with app.app_context():
        story = db.session.get(Story, story_id)
        services.set_featured(story, None, False)
        assert story.featured is False and story.featured_at is None
        services.set_featured(story, None, True)
        assert story.featured is True and story.featured_at is not None


def test_draft_keeps_name_parts_but_submission_stores_only_what_is_shown(app, make):
    alice = make.user("alice")
    with app.app_context():
        author = db.session.get(User, alice.id)
        draft = services.create_story(author, _input(signature="anonymous", sig_first_name="Mary", city="Oregon",
                                                     consent=False), draft=True).story
        assert draft.sig_first_name == "Mary"  # only the author sees a draft
        services.update_story(author, draft, _input(signature="anonymous", sig_first_name="Mary", city="Oregon"))
        assert (draft.status, draft.sig_first_name, draft.sig_city) == ("pending", "", "")
