"""Reporting a story, and the demo stories."""
from sqlalchemy import func, select

from board.extensions import db
from board.models import Story
from board.models.moderation import REPORT_REASONS


def test_report_form_offers_the_same_reasons_as_posts(client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    login_as(make.user("bob"))
    page = client.get(f"/stories/{story_id}/report").text
    for label in REPORT_REASONS.values():
        assert label.replace("'", "&#39;") in page
    assert "<legend>What is wrong with this story?</legend>" in page


def test_report_is_passed_to_the_moderation_service(app, client, make, login_as, make_story, monkeypatch):
    from board.moderation import intake as moderation

    calls = []
    monkeypatch.setattr(moderation, "report_content",
                        lambda reporter, reason, note, target=None: calls.append((reporter.id, reason, note, target.id)))
    story_id = make_story(make.user("alice"))
    bob = make.user("bob")
    login_as(bob)
    r = client.post(f"/stories/{story_id}/report", data={"reason": "private_info", "note": "Has a phone number"})
    assert r.status_code == 302
    assert calls == [(bob.id, "private_info", "Has a phone number", story_id)]


def test_report_needs_a_reason_and_login(client, make, login_as, make_story):
    story_id = make_story(make.user("alice"))
    assert client.get(f"/stories/{story_id}/report").status_code == 302
    login_as(make.user("bob"))
    r = client.post(f"/stories/{story_id}/report", data={"note": "hmm"})
    assert r.status_code == 400 and "Please choose the reason that fits best." in r.text


def test_pending_story_cannot_be_reported(client, make, login_as, make_story):
    story_id = make_story(make.user("alice"), status="pending")
    login_as(make.user("bob"))
    assert client.get(f"/stories/{story_id}/report").status_code == 404


def test_demo_stories_are_published_varied_and_idempotent(app):
    from board.auth.services import register_user
    from board.stories.demo import seed_demo_stories

    with app.app_context():
        users = {name: register_user(name, f"{name}@example.org", "correct horse battery staple", verified=True)
                 for name in ("june_b", "rosa_m", "dan_caregiver", "priya_k", "helen_w")}
        db.session.flush()
        lines = seed_demo_stories(users)
        db.session.commit()
        assert lines
        stories = list(db.session.scalars(select(Story)))
        assert len(stories) >= 5
        assert all(s.status == "published" and s.consent_at and s.published_at for s in stories)
        assert {s.signature_style for s in stories} >= {"full", "initial", "first", "anonymous"}
        assert sum(s.featured for s in stories) == 3  # fills the home page
        assert len({t for s in stories for t in s.theme_slugs}) >= 5
        assert all(50 <= len(s.body_source) <= 10_000 for s in stories)
        seed_demo_stories(users)
        db.session.commit()
        assert db.session.scalar(select(func.count(Story.id))) == len(stories)
