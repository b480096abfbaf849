"""Sharing a story: validation, consent, drafts, signatures stored, review, crisis notice."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import Story
from tests.stories.conftest import BODY, story_form


def _stories(app):
    with app.app_context():
        stories = list(db.session.scalars(select(Story).order_by(Story.id)))
        for s in stories:
            s.theme_slugs
            db.session.expunge(s)
        return stories


def test_visitors_must_log_in_to_share_a_story(client):
    r = client.get("/stories/new")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    r = client.post("/stories/new", data=story_form())
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_new_story_waits_for_review_with_consent_time_and_signature_stored(app, client, make, login_as):
    login_as(make.user("alice", city="Madison", region="WI"))
    r = client.post("/stories/new", data=story_form())
    assert r.status_code == 302 and r.headers["Location"].endswith("/stories/mine")
    (story,) = _stories(app)
    assert story.status == "pending"
    assert story.consent_at is not None and story.submitted_at is not None
    assert story.signature_style == "full"
    assert story.signature == "Mary G., Oregon, WI"
    assert (story.sig_first_name, story.sig_last_initial, story.sig_city, story.sig_region) == ("Mary", "G", "Oregon", "WI")
    assert story.theme_slugs == ["coping-and-outlook", "newly-diagnosed"]
    assert story.prompt == "what-helped-most"
    assert "<p>When I was first told" in story.body_html
    # not public until a moderator approves it
    assert client.get("/stories").text.count("The notebook by my bed") == 0
    assert "Waiting for review" in client.get("/stories/mine").text


def test_story_without_consent_is_refused_and_the_text_is_kept(app, client, make, login_as):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(consent=None))
    assert r.status_code == 400
    assert "Please tick the box to agree" in r.text
    assert "I still keep that notebook by my bed." in r.text  # the text is kept
    assert 'id="consent"' in r.text and "checked" not in r.text.split('id="consent"')[0].rsplit("<input", 1)[-1]
    assert _stories(app) == []


def test_consent_checkbox_starts_unticked(client, make, login_as):
    login_as(make.user("alice"))
    page = client.get("/stories/new").text
    tag = page.split('id="consent"')[0].rsplit("<input", 1)[-1] + page.split('id="consent"')[1].split(">", 1)[0]
    assert "checked" not in tag


def test_story_needs_at_least_one_theme(app, client, make, login_as):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(themes=[]))
    assert r.status_code == 400 and "Please choose at least one theme." in r.text
    assert _stories(app) == []


def test_unknown_theme_or_prompt_in_the_form_is_an_error_not_a_crash(app, client, make, login_as):
    login_as(make.user("alice"))
    assert client.post("/stories/new", data=story_form(themes=["nope"])).status_code == 400
    assert client.post("/stories/new", data=story_form(prompt="nope")).status_code == 400
    assert client.post("/stories/new", data=story_form(signature="nope")).status_code == 400
    assert _stories(app) == []


@pytest.mark.parametrize("body, message", [
    ("Too short to read.", "at least 50 characters"),
    ("x" * 10_001, "the limit is 10,000"),
])
def test_story_length_limits(app, client, make, login_as, body, message):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(body=body))
    assert r.status_code == 400 and message in r.text
    assert _stories(app) == []


def test_story_length_boundaries_are_accepted(app, client, make, login_as):
    login_as(make.user("alice"))
    assert client.post("/stories/new", data=story_form(body="a" * 50)).status_code == 302
    assert client.post("/stories/new", data=story_form(body="b" * 10_000)).status_code == 302
    assert len(_stories(app)) == 2


@pytest.mark.parametrize("style, missing, field", [
    ("full", {"city": "", "region": ""}, "town or state"),
    ("initial", {"sig_last_initial": ""}, "last initial"),
    ("first", {"sig_first_name": ""}, "first name"),
])
def test_signature_needs_the_parts_it_shows(client, make, login_as, style, missing, field):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(signature=style, **missing))
    assert r.status_code == 400 and field in r.text


@pytest.mark.parametrize("style, expected, kept", [
    ("full", "Mary G., Oregon, WI", ("Mary", "G", "Oregon", "WI")),
    ("initial", "Mary G.", ("Mary", "G", "", "")),
    ("first", "Mary", ("Mary", "", "", "")),
    ("display", "Mary the Gardener", ("", "", "", "")),
    ("anonymous", "A member of Circle", ("", "", "", "")),
])
def test_each_signature_style_is_stored_exactly_and_keeps_only_what_it_shows(
        app, client, make, login_as, style, expected, kept):
    login_as(make.user("alice", display_name="Mary the Gardener"))
    assert client.post("/stories/new", data=story_form(signature=style)).status_code == 302
    (story,) = _stories(app)
    assert story.signature == expected
    assert (story.sig_first_name, story.sig_last_initial, story.sig_city, story.sig_region) == kept


def test_form_prefills_town_from_profile_and_renders_the_signature_preview(client, make, login_as):
    login_as(make.user("alice", display_name="Alice W", city="Madison", region="WI"))
    page = client.get("/stories/new").text
    assert 'value="Madison"' in page and 'value="WI"' in page
    assert "data-signature-preview" in page and 'data-display-name="Alice W"' in page
    for name in ("title", "body", "themes", "prompt", "signature", "sig_first_name", "sig_last_initial",
                 "city", "region", "consent", "save_draft"):
        assert f'name="{name}"' in page
    assert "<fieldset" in page and "<legend>Themes" in page and "<legend>How should your story be signed?" in page


def test_preview_is_rendered_by_the_server_after_a_failed_submission(client, make, login_as):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(consent=None, signature="initial", sig_first_name="June",
                                                   sig_last_initial="b"))
    assert r.status_code == 400
    assert ">June B.</strong>" in r.text


def test_draft_saves_without_consent_or_themes_and_stays_private(app, client, make, login_as):
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(consent=None, themes=[], body="Just a start", submit=None,
                                                   save_draft="Save as draft"))
    assert r.status_code == 302
    (story,) = _stories(app)
    assert story.status == "draft" and story.consent_at is None
    assert client.get("/stories").text.count("The notebook by my bed") == 0
    assert "Draft" in client.get("/stories/mine").text
    # later finished and sent for review
    r = client.post(f"/stories/{story.id}/edit", data=story_form())
    assert r.status_code == 302
    assert _stories(app)[0].status == "pending"


def test_every_story_goes_to_the_moderators_queue_even_if_rules_would_publish(
        app, client, make, login_as, monkeypatch):
    from board.moderation import intake as moderation

    calls = []
    monkeypatch.setattr(moderation, "after_write", lambda **kw: calls.append(kw))
    login_as(make.user("alice"))
    assert client.post("/stories/new", data=story_form()).status_code == 302
    assert len(calls) == 1
    assert calls[0]["target"].id == _stories(app)[0].id
    assert calls[0]["verdict"].action == "review"


@dataclass(frozen=True)
class FakeVerdict:
    action: str = "review"
    priority: int = 2
    reasons: tuple = ("crisis wording",)
    crisis: bool = False
    message: str = ""


def test_crisis_wording_shows_the_author_the_crisis_notice_at_once(app, client, make, login_as, monkeypatch):
    from board.moderation import intake as moderation

    calls = []
    monkeypatch.setattr(moderation, "screen", lambda *a, **k: FakeVerdict(crisis=True))
    monkeypatch.setattr(moderation, "after_write", lambda **kw: calls.append(kw))
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form(), follow_redirects=True)
    assert "notice-crisis" in r.text
    assert app.config["BOARD_CRISIS_TEXT"][:40] in r.text
    assert calls[0]["verdict"].crisis is True and calls[0]["verdict"].priority == 2


def test_blocked_wording_is_a_form_error_and_keeps_the_text(app, client, make, login_as, monkeypatch):
    from board.moderation import intake as moderation

    monkeypatch.setattr(moderation, "screen",
                        lambda *a, **k: FakeVerdict(action="block", message="Please remove the phone number."))
    login_as(make.user("alice"))
    r = client.post("/stories/new", data=story_form())
    assert r.status_code == 400
    assert "Please remove the phone number." in r.text and "notebook by my bed" in r.text
    assert _stories(app) == []


def test_silenced_member_cannot_submit_and_is_told_why(app, client, make, login_as):
    from datetime import timedelta

    from board.models import utcnow

    login_as(make.user("alice", silenced_until=utcnow() + timedelta(days=1)))
    r = client.post("/stories/new", data=story_form())
    assert r.status_code == 403 and "paused your posting" in r.text
    assert "notebook by my bed" in r.text
    assert _stories(app) == []


def test_story_markdown_is_sanitized(app, client, make, login_as):
    login_as(make.user("alice"))
    body = BODY + "\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    assert client.post("/stories/new", data=story_form(body=body)).status_code == 302
    (story,) = _stories(app)
    assert "<script" not in story.body_html and 'href="javascript' not in story.body_html


def test_crisis_wording_in_a_private_draft_still_shows_the_crisis_notice(app, client, make, login_as):
    login_as(make.user("alice"))
    body = "Some nights I feel there is no way out. I just don't want to wake up tomorrow."
    r = client.post("/stories/new", data=story_form(body=body, submit=None,
                                                   save_draft="Save as draft", consent=None), follow_redirects=True)
    assert "notice-crisis" in r.text and app.config["BOARD_CRISIS_TEXT"][:40] in r.text
