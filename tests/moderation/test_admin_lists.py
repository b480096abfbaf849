"""Admins' lists (canned reasons): a refused edit shows the admin's words again, and saves nothing."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import CannedReason
from board.moderation import lists


def _reason(app) -> int:
    with app.app_context():
        reason = lists.add_reason(None, "Medical claim", "Please share your own experience instead.")
        db.session.commit()
        return reason.id


def _edit(client, reason_id, title, text):
    return client.post(f"/moderation/reasons/{reason_id}", data={"title": title, "text": text})


def test_refused_edit_keeps_the_admins_text_and_changes_nothing(app, browser, admin):
    reason_id = _reason(app)
    client = browser(admin)
    response = _edit(client, reason_id, "   ", "A gentler wording the admin spent time on.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A gentler wording the admin spent time on." in html
    assert "Please fill in both the title and the text." in html
    assert f'aria-describedby="r{reason_id}-error"' in html
    with app.app_context():
        assert db.session.get(CannedReason, reason_id).text == "Please share your own experience instead."


def test_duplicate_title_is_refused_with_the_text_kept(app, browser, admin):
    reason_id = _reason(app)
    with app.app_context():
        lists.add_reason(None, "Off topic", "This belongs in another topic.")
        db.session.commit()
    response = _edit(browser(admin), reason_id, "Off topic", "My new words for this reason.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A reason with that title already exists." in html
    assert "My new words for this reason." in html
    with app.app_context():
        assert db.session.scalar(select(CannedReason.title).where(CannedReason.id == reason_id)) == "Medical claim"


def test_good_edit_is_saved(app, browser, admin):
    reason_id = _reason(app)
    response = _edit(browser(admin), reason_id, "Medical claim", "Share what happened to you, kindly.")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CannedReason, reason_id).text == "Share what happened to you, kindly."
