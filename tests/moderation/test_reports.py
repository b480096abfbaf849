"""Member reports: reasons, weights, one per member, no self reports, auto-hide."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from board.domain import RuleViolation
from board.extensions import db
from board.models import Notification, Post, Report, Thread, utcnow
from board.moderation import decisions, intake
from board.models.moderation import PRIORITY_URGENT
from board.permissions import PermissionDenied
from tests.moderation.conftest import actions, items, post_of, user


@pytest.fixture
def target(make):
    author = make.user("writer")
    return make.thread(author, title="A thread that gets reported", body="Some words")


def _report(app, reporter, thread, reason="spam", note=""):
    with app.app_context():
        r = intake.report_content(user(reporter), reason, note, target=post_of(thread))
        db.session.commit()
        return r.id


def test_report_form_and_submission(app, make, target, browser):
    c = browser(make.user("reader"))
    post_id = target.first_post_id
    page = c.get(f"/posts/{post_id}/report")
    assert page.status_code == 200 and "Someone may be at risk" in page.get_data(as_text=True)
    r = c.post(f"/posts/{post_id}/report", data={"reason": "spam", "note": "Selling pills"})
    assert r.status_code == 302
    with app.app_context():
        (item,) = items()
        assert item.kind == "report" and item.reports[0].note == "Selling pills"


def test_unknown_reason_is_a_form_error(app, make, target, browser):
    c = browser(make.user("reader"))
    r = c.post(f"/posts/{target.first_post_id}/report", data={"reason": "boring", "note": ""})
    assert r.status_code == 400
    with app.app_context():
        assert items() == []


def test_other_needs_a_note(app, make, target, browser):
    r = browser(make.user("reader")).post(f"/posts/{target.first_post_id}/report", data={"reason": "other"})
    assert r.status_code == 400 and "a little about the problem" in r.get_data(as_text=True)


def test_reporting_twice_gives_a_message_and_no_second_report(app, make, target, browser):
    c = browser(make.user("reader"))
    url = f"/posts/{target.first_post_id}/report"
    c.post(url, data={"reason": "spam"})
    r = c.post(url, data={"reason": "unkind"}, follow_redirects=True)
    assert "already reported this" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Report.id))) == 1


def test_you_cannot_report_yourself(app, make):
    author = make.user("selfie")
    thread = make.thread(author)
    with app.app_context(), pytest.raises(RuleViolation, match="your own"):
        intake.report_content(user(author), "spam", "", target=post_of(thread))


def test_silenced_member_cannot_report_and_keeps_their_note(app, make, target, browser):
    reader = make.user("quiet")
    c = browser(reader)
    with app.app_context():
        u = user(reader)
        u.silenced_until = utcnow() + timedelta(days=1)
        db.session.commit()
    r = c.post(f"/posts/{target.first_post_id}/report", data={"reason": "other", "note": "My careful note"})
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "paused your posting" in page and "My careful note" in page


def test_unverified_member_cannot_report(app, make, target):
    reader = make.user("unverified", verified=False)
    with app.app_context(), pytest.raises(PermissionDenied):
        intake.report_content(user(reader), "spam", "", target=post_of(target))


def test_report_weights_and_auto_hide_at_three(app, make, target):
    new1, new2 = make.user("new1", trust_level=0), make.user("new2", trust_level=0)
    m1, m2 = make.user("mem1"), make.user("mem2")
    _report(app, new1, target)
    _report(app, new2, target)
    _report(app, m1, target)
    with app.app_context():
        (item,) = items()
        assert item.report_weight == pytest.approx(2.0)  # 0.5 + 0.5 + 1
        assert post_of(target).status == "published"
    _report(app, m2, target, reason="unkind")
    with app.app_context():
        (item,) = items()
        assert item.report_weight == pytest.approx(3.0)
        post = post_of(target)
        assert post.status == "hidden"
        assert db.session.get(Thread, target.id).status == "hidden"
        assert db.session.scalar(select(Notification).where(Notification.user_id == post.author_id,
                                                            Notification.kind == "content_hidden"))
        assert [a.action for a in actions()] == ["auto_hide"]
    page = app.test_client().get(f"/threads/{target.id}")
    assert page.status_code == 404  # a hidden opening post hides the thread from the public


def test_hidden_reply_shows_placeholder_to_the_public(app, make):
    host = make.user("host")
    thread = make.thread(host)
    reply = make.reply(make.user("replier"), thread, body="Words that were reported")
    with app.app_context():
        intake.report_content(user(make.user("mod2", role="moderator")), "unkind", "",
                                target=db.session.get(Post, reply.id))
        db.session.commit()
        assert db.session.get(Post, reply.id).status == "hidden"
        assert [a.action for a in actions()] == ["hide"]
    page = app.test_client().get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Hidden while moderators review it" in page and "Words that were reported" not in page


def test_configurable_hide_weight(app, make, target):
    app.config["BOARD_REPORT_HIDE_WEIGHT"] = 1
    _report(app, make.user("rep1"), target)
    with app.app_context():
        assert post_of(target).status == "hidden"


def test_someone_at_risk_goes_urgent_but_never_hides(app, make, target):
    for n in range(4):
        _report(app, make.user(f"worried{n}"), target, reason="at_risk")
    with app.app_context():
        (item,) = items()
        assert item.priority == PRIORITY_URGENT
        assert post_of(target).status == "published"


def test_report_attaches_to_an_existing_open_crisis_item(app, make, browser):
    author = make.user("sad")
    c = browser(author)
    c.post("/topics/newly-diagnosed/new", data={"title": "Hard night here", "body": "I want to die"})
    with app.app_context():
        (item,) = items()
        post = db.session.get(Post, item.target_id)
        intake.report_content(user(make.user("friend")), "at_risk", "Please check on her", target=post)
        db.session.commit()
        (item,) = items()
        assert item.kind == "crisis" and len(item.reports) == 1


def test_hidden_post_can_be_restored_by_a_moderator(app, make, target):
    moderator = make.user("mod", role="moderator")
    app.config["BOARD_REPORT_HIDE_WEIGHT"] = 1
    _report(app, make.user("rep1"), target)
    with app.app_context():
        (item,) = items()
        decisions.dismiss(item, user(moderator), "Reports were mistaken")
        db.session.commit()
        assert post_of(target).status == "published"
        assert db.session.scalar(select(Notification).where(Notification.kind == "content_restored"))


def test_thread_page_offers_report_link_to_other_members_only(app, make, target, browser):
    url = f"/posts/{target.first_post_id}/report"
    assert url in browser(make.user("reader")).get(f"/threads/{target.id}").get_data(as_text=True)
    assert url not in app.test_client().get(f"/threads/{target.id}").get_data(as_text=True)


def test_pending_posts_of_others_cannot_be_reported(app, make, browser):
    newbie = make.user("freshface", trust_level=0)
    thread = make.thread(newbie, title="Still pending here")
    assert browser(make.user("reader")).get(f"/posts/{thread.first_post_id}/report").status_code == 404


def test_someone_at_risk_report_shows_crisis_resources_to_the_reporter(app, make, target, browser):
    r = browser(make.user("worried")).post(f"/posts/{target.first_post_id}/report",
                                           data={"reason": "at_risk"}, follow_redirects=True)
    assert "988" in r.get_data(as_text=True) and "notice-crisis" in r.get_data(as_text=True)
