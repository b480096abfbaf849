"""Moderation polish: removing needs a reason the author reads; reporters hear the outcome;
times in the member's own zone; no double dash in signatures; spaced mail excerpts; demo
members get no mail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.models import MailMessage, Notification
from board.moderation import decisions, intake
from tests.moderation.conftest import items, post_of, user


@pytest.fixture
def target(make):
    return make.thread(make.user("writer"), title="A thread that gets reported", body="Some words")


def _reported_by(app, make, target, *names):
    reporters = [make.user(n) for n in names]
    with app.app_context():
        for r in reporters:
            intake.report_content(user(r), "spam", "", target=post_of(target))
        db.session.commit()
        return items()[0].id, reporters


def _notes(app, someone, kind):
    with app.app_context():
        return [n.text for n in db.session.scalars(select(Notification).where(
            Notification.user_id == someone.id, Notification.kind == kind))]


def test_removing_without_a_reason_is_refused_and_nothing_changes(app, make, target, moderator, browser):
    item_id, _ = _reported_by(app, make, target, "reader")
    c = browser(moderator)
    r = c.post(f"/moderation/items/{item_id}/remove", data={"reason": "", "note": "  "})
    assert r.status_code == 400 and "the author is told why" in r.get_data(as_text=True)
    with app.app_context():
        assert post_of(target).status == "published" and items()[0].state == "open"
        with pytest.raises(RuleViolation):
            decisions.remove(db.session.get(type(items()[0]), item_id), user(moderator), None, "")


def test_the_author_reads_the_reason_and_reporters_hear_it_was_removed(app, make, target, moderator, browser):
    item_id, (a, b) = _reported_by(app, make, target, "reader", "reader2")
    c = browser(moderator)
    r = c.post(f"/moderation/items/{item_id}/remove", data={"reason": "", "note": "It sold supplements."})
    assert r.status_code == 302
    writer_notes = _notes(app, make.user("other"), "content_removed")  # nobody else
    assert writer_notes == []
    with app.app_context():
        author_id = post_of(target).author_id
        text = db.session.scalar(select(Notification.text).where(Notification.user_id == author_id,
                                                                 Notification.kind == "content_removed"))
    assert "It sold supplements." in text
    for reporter in (a, b):
        (note,) = _notes(app, reporter, "report_outcome")
        assert note.startswith("A moderator reviewed the post you reported and removed it")


def test_reporters_hear_when_a_post_is_kept(app, make, target, moderator, browser):
    item_id, (a,) = _reported_by(app, make, target, "reader")
    browser(moderator).post(f"/moderation/items/{item_id}/approve", data={"note": ""})
    (note,) = _notes(app, a, "report_outcome")
    assert "reviewed the post you reported and kept it" in note


def test_times_show_in_the_members_zone_named_and_unknown_zones_are_refused(app, client, make, login_as):
    thread = make.thread(make.user("writer"))
    login_as(make.user("maryg"))
    r = client.post("/settings/profile", data={"identity": "", "time_zone": "Mars/Olympus", "country": ""})
    assert r.status_code == 400 and "choose a time zone from the list" in r.get_data(as_text=True)
    r = client.post("/settings/profile", data={"identity": "", "time_zone": "Australia/Sydney", "country": ""})
    assert r.status_code == 302
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Australia/Sydney)" in page
    assert 'datetime="' in page and "." not in page.split('datetime="')[1].split('"')[0]  # no microseconds


def test_visitors_get_their_browsers_zone_from_the_cookie_else_utc(app, client, make):
    thread = make.thread(make.user("writer"))
    assert "(UTC)" in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    client.set_cookie("tz", "Europe%2FLondon")
    assert "Europe/London)" in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    client.set_cookie("tz", "Nowhere/Else")
    assert "(UTC)" in client.get(f"/threads/{thread.id}").get_data(as_text=True)


def _csrf_token(app, client) -> str:
    import hashlib
    import os

    from itsdangerous import URLSafeTimedSerializer

    with client.session_transaction() as s:
        raw = s.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_theme_and_text_size_values_not_offered_are_ignored(app, client, make, login_as):
    r = client.post("/settings/display", data={"theme": "neon", "text_size": "huge", "next": "/"})
    assert r.status_code == 302 and "Set-Cookie" not in r.headers
    client.post("/settings/display", data={"theme": "dark", "next": "/"})
    assert 'class="text-normal theme-dark"' in client.get("/").get_data(as_text=True)
    member = make.user("maryg")
    login_as(member)
    token = _csrf_token(app, client)  # a member's choice is saved on her profile: it needs the token
    client.post("/settings/display", data={"theme": "light", "next": "/", "csrf_token": token})
    client.post("/settings/display", data={"theme": "purple", "next": "/", "csrf_token": token})
    assert "theme-light" in client.get("/").get_data(as_text=True)


def test_moderation_card_signature_has_one_dash():
    from pathlib import Path

    card = (Path(__file__).resolve().parents[2] / "templates" / "stories" / "_moderation_card.html").read_text()
    assert "— {{ s.signature }}" not in card  # the dash comes from site.css (.signature::before)


def test_demo_seed_queues_no_mail_for_invented_members(app, runner):
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(MailMessage.to_address)).all() == []
