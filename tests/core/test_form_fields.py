"""Text limits count what the member's browser counts: a line break is one character."""
from __future__ import annotations

import pytest

from board.forum.forms import ReplyForm, ThreadForm
from board.limits import POST_BODY_MAX, STORY_BODY_MAX
from board.moderation.forms import ReportForm
from board.stories.forms import StoryForm


def _form(app, cls, data):
    with app.test_request_context(method="POST", data=data):
        form = cls()
        return form.validate(), form.errors, form.data


def test_a_reply_at_the_limit_with_paragraphs_is_accepted(app):
    # the browser counts 20,000 characters (it sends each line break as CR LF)
    body = "a" * (POST_BODY_MAX - 10) + "\r\n" * 10
    ok, errors, data = _form(app, ReplyForm, {"body": body})
    assert ok, errors
    assert data["body"] == "a" * (POST_BODY_MAX - 10) + "\n" * 10


def test_a_reply_one_character_over_is_refused(app):
    ok, errors, _ = _form(app, ReplyForm, {"body": "a" * (POST_BODY_MAX - 10) + "\r\n" * 11})
    assert not ok and "20,000 characters or fewer" in errors["body"][0]


def test_an_emoji_is_one_character(app):
    ok, errors, _ = _form(app, ThreadForm, {"title": "A title", "body": "🌷" * POST_BODY_MAX})
    assert ok, errors


@pytest.mark.parametrize("form, field, limit", [
    (ReplyForm, "body", "20000"), (ThreadForm, "title", "150"), (ReportForm, "note", "1000"),
    (StoryForm, "body", str(STORY_BODY_MAX)),
])
def test_text_fields_declare_their_limit_to_the_browser(app, form, field, limit):
    with app.test_request_context():
        html = str(getattr(form(meta={"csrf": False}), field)())
    assert f'maxlength="{limit}"' in html
