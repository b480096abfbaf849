"""The audit log: a row for every action, filters, and no code path changes or deletes rows."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from board.extensions import db
from board.models import ModerationAction
from board.moderation import decisions, queue, sanctions
from board.moderation.audit import AuditLogIsAppendOnly
from tests.moderation.conftest import actions, user


@pytest.fixture
def logged(app, make, moderator, member):
    with app.app_context():
        sanctions.warn(user(moderator), user(member), "First warning")
        db.session.commit()


def test_changing_an_audit_row_is_refused(app, logged):
    with app.app_context():
        row = db.session.scalar(select(ModerationAction))
        row.reason = "rewritten history"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(ModerationAction)).reason == "First warning"


def test_deleting_an_audit_row_is_refused(app, logged):
    with app.app_context():
        db.session.delete(db.session.scalar(select(ModerationAction)))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("statement", [
    update(ModerationAction).values(reason="x"),
    delete(ModerationAction),
])
def test_bulk_update_or_delete_of_audit_rows_is_refused(app, logged, statement):
    with app.app_context():
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
        assert len(actions()) == 1


def test_log_page_filters_by_moderator_member_and_action(app, make, moderator, member, browser):
    other = make.user("mod2", role="moderator")
    victim = make.user("victim")
    with app.app_context():
        sanctions.warn(user(moderator), user(member), "Warning for regular")
        sanctions.warn(user(other), user(victim), "Warning for victim")
        sanctions.silence(user(other), user(victim), 1, "Silence for victim")
        db.session.commit()
    c = browser(moderator)
    page = c.get("/moderation/log").get_data(as_text=True)
    assert all(t in page for t in ("Warning for regular", "Warning for victim", "Silence for victim"))
    page = c.get("/moderation/log?moderator=mod2").get_data(as_text=True)
    assert "Warning for regular" not in page and "Warning for victim" in page
    page = c.get("/moderation/log?member=regular").get_data(as_text=True)
    assert "Warning for regular" in page and "Warning for victim" not in page
    page = c.get("/moderation/log?action=silence").get_data(as_text=True)
    assert "Silence for victim" in page and "Warning for victim" not in page
    assert c.get("/moderation/log?action=bogus").status_code == 404


def test_edit_before_and_after_text_is_in_the_log(app, make, newbie, moderator, browser):
    thread = make.thread(newbie, title="Before and after", body="Words before the edit")
    with app.app_context():
        item = queue.queue_items()[0]
        decisions.edit_and_approve(item, user(moderator), "Words after the edit")
        db.session.commit()
    page = browser(moderator).get("/moderation/log").get_data(as_text=True)
    assert "Words before the edit" in page and "Words after the edit" in page
