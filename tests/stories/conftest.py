"""Helpers for story tests: valid form data and stories in any state."""
from __future__ import annotations

import pytest

from board.extensions import db

BODY = (
    "When I was first told the cancer had spread, I stopped sleeping. What helped most was a nurse "
    "who sat with me and wrote down every question I had. I still keep that notebook by my bed."
)


def story_form(**overrides) -> dict:
    data = {
        "title": "The notebook by my bed",
        "body": BODY,
        "themes": ["coping-and-outlook", "newly-diagnosed"],
        "prompt": "what-helped-most",
        "signature": "full",
        "sig_first_name": "Mary",
        "sig_last_initial": "G",
        "city": "Oregon",
        "region": "WI",
        "consent": "y",
        "submit": "Send for review",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class StoryMaker:
    """Create stories through the real services; returns the story id."""

    def __init__(self, app):
        self.app = app

    def __call__(self, author, *, status="published", title="A story", body=BODY, themes=("hope",), prompt="",
                 signature="first", first_name="Mary", last_initial="G", city="Oregon", region="WI",
                 featured=False, moderator=None) -> int:
        from board.models import Story, User
        from board.stories import services

        with self.app.app_context():
            user = db.session.get(User, author.id)
            data = services.StoryInput(
                title=title, body=body, themes=list(themes), prompt=prompt, signature=signature,
                sig_first_name=first_name, sig_last_initial=last_initial, city=city, region=region, consent=True,
            )
            story = services.create_story(user, data, draft=(status == "draft")).story
            if status in ("published", "withdrawn", "rejected"):
                mod = db.session.get(User, moderator.id) if moderator else None
                if status == "rejected":
                    services.reject_story(story, mod, "Please take out your doctor's name.")
                else:
                    services.publish_story(story, mod)
                if featured:
                    services.set_featured(story, mod, True)
                if status == "withdrawn":
                    services.withdraw_story(user, story)
            db.session.commit()
            return story.id

    def get(self, story_id):
        from board.models import Story

        with self.app.app_context():
            story = db.session.get(Story, story_id)
            story.theme_slugs  # load
            db.session.expunge(story)
            return story


@pytest.fixture
def make_story(app):
    return StoryMaker(app)
