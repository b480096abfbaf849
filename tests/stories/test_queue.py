"""Stories share the moderators' queue (the "story" kind: board/stories/moderated.py)."""
from dataclasses import dataclass

from sqlalchemy import select

from board.extensions import db
from board.models import ModerationItem, Story
from board.models.moderation import PRIORITY_URGENT
from tests.stories.conftest import story_form


def _items(app):
    with app.app_context():
        return [(i.kind, i.state, i.priority, i.target_id) for i in db.session.scalars(select(ModerationItem))]


def test_submitted_story_enters_the_queue_as_pending_story(app, client, make, login_as):
    login_as(make.user("alice"))
    client.post("/stories/new", data=story_form())
    with app.app_context():
        story_id = db.session.scalar(select(Story.id))
    assert [(k, s, sid) for k, s, _, sid in _items(app)] == [("pending_story", "open", story_id)]


def test_draft_does_not_enter_the_queue(app, client, make, login_as):
    login_as(make.user("alice"))
    client.post("/stories/new", data=story_form(submit=None, save_draft="Save as draft"))
    assert _items(app) == []


def test_edit_of_published_story_enters_the_queue(app, client, make, login_as, make_story):
    alice = make.user("alice")
    story_id = make_story(alice, title="Before")
    login_as(alice)
    client.post(f"/stories/{story_id}/edit", data=story_form(title="After", themes=["hope"]))
    assert [(k, s, sid) for k, s, _, sid in _items(app)] == [("pending_story", "open", story_id)]


@dataclass(frozen=True)
class CrisisVerdict:
    action: str = "review"
    priority: int = 1
    reasons: tuple = ("Crisis wording",)
    crisis: bool = True
    message: str = ""


def test_crisis_wording_makes_the_queue_item_urgent(app, client, make, login_as, monkeypatch):
    from board.moderation import intake as moderation

    monkeypatch.setattr(moderation, "screen", lambda *a, **k: CrisisVerdict())
    login_as(make.user("alice"))
    client.post("/stories/new", data=story_form())
    ((kind, state, priority, _),) = _items(app)
    assert kind == "pending_story" and priority == PRIORITY_URGENT
