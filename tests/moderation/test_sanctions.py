"""Warn, silence, suspend, lift; trust levels by hand; who may act on whom."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.models import Notification, Sanction, utcnow
from board.moderation import lists, sanctions
from board.permissions import PermissionDenied
from tests.moderation.conftest import actions, user


def _act(client, username, **data):
    return client.post(f"/users/{username}/moderate", data=data)


def test_moderate_page_is_for_moderators(app, member, moderator, browser):
    assert browser(moderator).get("/users/regular/moderate").status_code == 200
    assert browser(member).get("/users/regular/moderate").status_code == 403


def test_warning_reaches_the_member_privately(app, member, moderator, browser):
    assert _act(browser(moderator), "regular", action="warn", reason="Please be gentle with others.").status_code == 302
    page = browser(member).get("/notifications").get_data(as_text=True)
    assert "Please be gentle with others." in page
    with app.app_context():
        assert [a.action for a in actions()] == ["warn"]
        assert db.session.scalar(select(Sanction)).kind == "warn"


def test_warning_needs_a_reason(app, member, moderator, browser):
    r = _act(browser(moderator), "regular", action="warn", reason="")
    assert r.status_code == 400 and "the member will read it" in r.get_data(as_text=True)


@pytest.mark.parametrize("days", [1, 3, 7, 30])
def test_silence_stops_posting_and_reporting_but_not_reading(app, make, member, moderator, browser, days):
    thread = make.thread(make.user("host"), title="A thread to read")
    author = browser(member)
    assert _act(browser(moderator), "regular", action="silence", days=str(days), reason="Cooling off").status_code == 302
    with app.app_context():
        until = user(member).silenced_until
        assert timedelta(days=days) - timedelta(minutes=1) < until - utcnow() <= timedelta(days=days)
    assert author.get(f"/threads/{thread.id}").status_code == 200
    r = author.post(f"/threads/{thread.id}/reply", data={"body": "My words I want to keep"})
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "paused your posting" in page and "My words I want to keep" in page
    assert author.post(f"/posts/{thread.first_post_id}/report", data={"reason": "spam"}).status_code == 403


def test_silence_only_for_listed_periods(app, member, moderator):
    with app.app_context(), pytest.raises(RuleViolation):
        sanctions.silence(user(moderator), user(member), 2, "no")


def test_suspension_ends_sessions_at_once_and_login_says_why_and_until_when(app, member, moderator, browser):
    victim = browser(member)
    assert victim.get("/settings/profile").status_code == 200
    _act(browser(moderator), "regular", action="suspend", days="7", reason="Repeated scams")
    r = victim.get("/settings/profile")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    from tests.conftest import login

    page = login(app.test_client(), member).get_data(as_text=True)
    assert "suspended until" in page and "Repeated scams" in page


def test_indefinite_suspension(app, member, moderator):
    with app.app_context():
        sanctions.suspend(user(moderator), user(member), None, "Threats")
        db.session.commit()
        assert user(member).suspended_until.year == 9999
        assert user(member).is_suspended()
    from tests.conftest import login

    assert "until further notice" in login(app.test_client(), member).get_data(as_text=True)


def test_lift_silence_and_suspension_early(app, member, moderator, browser):
    c = browser(moderator)
    _act(c, "regular", action="silence", days="3", reason="Heat of the moment")
    _act(c, "regular", action="lift_silence")
    _act(c, "regular", action="suspend", days="1", reason="Spam")
    _act(c, "regular", action="lift_suspension")
    with app.app_context():
        u = user(member)
        assert not u.is_silenced() and not u.is_suspended()
        assert [a.action for a in actions()] == ["silence", "lift_silence", "suspend", "lift_suspension"]
        assert all(s.lifted_at for s in db.session.scalars(select(Sanction)))
        kinds = {n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == member.id))}
        assert {"silenced", "suspended", "sanction_lifted"} <= kinds


@pytest.mark.parametrize("target_role", ["moderator", "admin"])
def test_moderators_cannot_act_on_moderators_or_admins(app, make, moderator, browser, target_role):
    make.user("staffer", role=target_role)
    c = browser(moderator)
    assert "can't take these actions" in c.get("/users/staffer/moderate").get_data(as_text=True)
    for action in ("warn", "silence", "suspend"):
        assert _act(c, "staffer", action=action, days="1", reason="x").status_code == 403
    with app.app_context():
        assert actions() == []


def test_admins_can_act_on_moderators_but_not_admins(app, make, admin, moderator):
    other_admin = make.user("admin2", role="admin")
    with app.app_context():
        sanctions.warn(user(admin), user(moderator), "Please use the canned reasons")
        with pytest.raises(PermissionDenied):
            sanctions.warn(user(admin), user(other_admin), "no")


def test_nobody_acts_on_themselves(app, moderator, browser):
    c = browser(moderator)
    assert "on yourself" in c.get("/users/mod/moderate").get_data(as_text=True)
    assert _act(c, "mod", action="warn", reason="x").status_code == 403


def test_moderator_sets_trust_level_by_hand(app, newbie, moderator, browser):
    assert _act(browser(moderator), "newbie", action="set_trust", level="1").status_code == 302
    with app.app_context():
        assert user(newbie).trust_level == 1
        (a,) = actions("set_trust")
        assert a.data == {"before": 0, "after": 1, "via": "web"}


def test_cli_set_trust(app, runner, newbie):
    result = runner.invoke(args=["users", "set-trust", "newbie", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert user(newbie).trust_level == 1
        assert actions("set_trust")[0].data["via"] == "cli"
    assert runner.invoke(args=["users", "set-trust", "nobody", "1"]).exit_code != 0
    assert runner.invoke(args=["users", "set-trust", "newbie", "7"]).exit_code != 0


def test_seed_command_seeds_words_and_reasons(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "Watched phrases:" in result.output
    again = runner.invoke(args=["moderation", "seed-words"])
    assert "Watched phrases: 0 added. Canned reasons: 0 added." in again.output
    with app.app_context():
        assert any(w.phrase == "miracle cure" for w in lists.watched_words())
