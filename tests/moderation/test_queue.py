"""The moderators' queue: order, counts, filters, claiming, decisions, undo, bulk actions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.models import CannedReason, ModerationItem, PostRevision, Topic, utcnow
from board.moderation import claims, decisions, intake, lists
from board.permissions import PermissionDenied
from tests.moderation.conftest import actions, items, post_of, user


def _pending_thread(make, author, title, topic="newly-diagnosed", body="Please help"):
    return make.thread(author, title=title, topic=topic, body=body)


def _item_for(thread) -> ModerationItem:
    return db.session.scalar(select(ModerationItem).where(ModerationItem.content_kind == "post",
                                                             ModerationItem.target_id == thread.first_post_id))


def test_queue_lists_urgent_first_then_oldest_with_counts(app, make, newbie, member, moderator, browser):
    first = _pending_thread(make, newbie, "The oldest pending one")
    second = _pending_thread(make, newbie, "A newer pending one")
    crisis = make.thread(member, title="Crisis thread here", body="I want to die")
    with app.app_context():
        _item_for(first).created_at = utcnow() - timedelta(hours=30)
        db.session.commit()
    page = browser(moderator).get("/moderation").get_data(as_text=True)
    i_crisis, i_first, i_second = (page.index(t) for t in ("Crisis thread here", "The oldest pending one",
                                                            "A newer pending one"))
    assert i_crisis < i_first < i_second
    assert "Pending posts (2)" in page and "Crisis (1)" in page and "3 items waiting" in page
    assert "over 24 hours" in page and "old-item" in page
    assert "oldest waiting since" in page


def test_queue_filters_by_kind_and_topic(app, make, newbie, member, moderator, browser):
    _pending_thread(make, newbie, "In newly diagnosed", topic="newly-diagnosed")
    _pending_thread(make, newbie, "In bone metastases", topic="bone-metastases")
    make.thread(member, title="Crisis words thread", body="I feel suicidal")
    c = browser(moderator)
    page = c.get("/moderation?kind=crisis").get_data(as_text=True)
    assert "Crisis words thread" in page and "In newly diagnosed" not in page
    page = c.get("/moderation?topic=bone-metastases").get_data(as_text=True)
    assert "In bone metastases" in page and "In newly diagnosed" not in page
    assert c.get("/moderation?kind=nonsense").status_code == 404


def test_queue_runs_a_constant_number_of_queries(app, make, newbie, moderator, browser, count_queries):
    c = browser(moderator)
    _pending_thread(make, newbie, "Only one pending")
    with app.app_context():
        intake.report_content(user(make.user("firstreporter")), "spam", "", target=post_of(
            make.thread(make.user("firsttrusted"), title="Reported first")))
        db.session.commit()
    with count_queries() as q:
        assert c.get("/moderation").status_code == 200
    few = len(q)
    for n in range(8):
        author = make.user(f"author{n}", trust_level=0)
        t = _pending_thread(make, author, f"Pending number {n}")
        with app.app_context():
            intake.report_content(user(make.user(f"reporter{n}")), "spam", "", target=post_of(
                make.thread(make.user(f"trusted{n}"), title=f"Reported {n}")))
            db.session.commit()
    with count_queries() as q:
        assert c.get("/moderation").status_code == 200
    assert len(q) == few


def test_item_page_shows_content_author_history_and_reports(app, make, member, moderator, browser):
    thread = make.thread(member, title="Reported thread", body="Call me on 555-0100")
    with app.app_context():
        intake.report_content(user(make.user("reader")), "private_info", "Phone number", target=post_of(thread))
        db.session.commit()
        item_id = items()[0].id
    page = browser(moderator).get(f"/moderation/items/{item_id}").get_data(as_text=True)
    for text in ("Call me on 555-0100", "Private information", "Phone number", "joined", "level 1",
                 "Reported: Private information"):
        assert text in page


def test_claim_is_shown_to_others_and_blocks_their_action(app, make, newbie, moderator, browser):
    other = make.user("mod2", role="moderator")
    thread = _pending_thread(make, newbie, "Claimed pending post")
    with app.app_context():
        item_id = _item_for(thread).id
    c1, c2 = browser(moderator), browser(other)
    assert c1.post(f"/moderation/items/{item_id}/claim").status_code == 302
    page = c2.get(f"/moderation/items/{item_id}").get_data(as_text=True)
    assert "mod is working on this item" in page
    r = c2.post(f"/moderation/items/{item_id}/approve", follow_redirects=True)
    assert "is working on this item" in r.get_data(as_text=True)
    with app.app_context():
        assert post_of(thread).status == "pending" and actions("approve") == []


def test_claim_expires_after_fifteen_minutes(app, make, newbie, moderator):
    other = make.user("mod2", role="moderator")
    thread = _pending_thread(make, newbie, "Claimed then forgotten")
    with app.app_context():
        item = _item_for(thread)
        claims.claim(item, user(moderator))
        db.session.commit()
        with pytest.raises(Conflict):
            claims.claim(item, user(other))
        db.session.rollback()
        item = _item_for(thread)
        item.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        claims.claim(item, user(other))
        db.session.commit()
        assert _item_for(thread).claimed_by_id == other.id


def test_acting_on_a_resolved_item_says_already_handled_by_name(app, make, newbie, moderator, browser):
    other = make.user("mod2", role="moderator", display_name="Sam")
    thread = _pending_thread(make, newbie, "Handled twice?")
    with app.app_context():
        item_id = _item_for(thread).id
    c1, c2 = browser(other), browser(moderator)
    assert c1.post(f"/moderation/items/{item_id}/approve").status_code == 302
    for action in ("approve", "reject", "remove", "dismiss"):
        r = c2.post(f"/moderation/items/{item_id}/{action}", data={"note": "x"}, follow_redirects=True)
        assert "already handled by Sam" in r.get_data(as_text=True), action
    with app.app_context():
        assert len(actions()) == 1 and post_of(thread).status == "published"


def test_sqlite_conditional_update_gives_one_winner(app, make, newbie, moderator):
    """Two moderators' sessions on the same item: the second finds it handled (any engine)."""
    other = make.user("mod2", role="moderator")
    thread = _pending_thread(make, newbie, "Two sessions one item")
    with app.app_context():
        item = _item_for(thread)
        decisions.approve(item, user(moderator))
        db.session.commit()
        stale = db.session.get(ModerationItem, item.id)
        db.session.expire_all()
        with pytest.raises(Conflict, match="already handled by mod"):
            decisions.reject(stale, user(other), "no")
        db.session.rollback()
        assert len(actions()) == 1


def test_next_item_claims_most_urgent_and_skips_own_content(app, make, newbie, moderator):
    _pending_thread(make, newbie, "Plain pending")
    make.thread(moderator, title="Moderator in crisis too", body="I want to die")
    crisis_member = make.thread(make.user("sadone"), title="Member crisis", body="I can't go on")
    with app.app_context():
        got = claims.next_item(user(moderator))
        db.session.commit()
        assert got.target_id == crisis_member.first_post_id and got.claimed_by_id == moderator.id
        second = claims.next_item(user(moderator))
        db.session.commit()
        assert second.kind == "pending_post"  # own crisis item is skipped
        assert claims.next_item(user(moderator)) is None


def test_reject_with_canned_reason_and_note_tells_author_privately(app, make, newbie, moderator, browser):
    with app.app_context():
        lists.seed_moderation()
        db.session.commit()
        reason = db.session.scalar(select(CannedReason).where(CannedReason.title == "Private information"))
        reason_id = reason.id
    thread = _pending_thread(make, newbie, "Has my phone number", body="Ring me on 555-0100")
    with app.app_context():
        item_id = _item_for(thread).id
    r = browser(moderator).post(f"/moderation/items/{item_id}/reject",
                                data={"reason": str(reason_id), "note": "Happy to approve once it's gone."})
    assert r.status_code == 302
    author = browser(newbie)
    page = author.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Ring me on 555-0100" in page and "private details" in page and "Happy to approve" in page
    assert app.test_client().get(f"/threads/{thread.id}").status_code == 404
    assert "returned your post" in author.get("/notifications").get_data(as_text=True)
    with app.app_context():
        (a,) = actions("reject")
        assert "private details" in a.reason and a.target_user_id == newbie.id


def test_reject_with_unknown_reason_is_a_form_error(app, make, newbie, moderator, browser):
    thread = _pending_thread(make, newbie, "Unknown reason test")
    with app.app_context():
        item_id = _item_for(thread).id
    r = browser(moderator).post(f"/moderation/items/{item_id}/reject", data={"reason": "9999", "note": ""})
    assert r.status_code == 400
    with app.app_context():
        assert post_of(thread).status == "pending"


def test_edit_then_approve_never_publishes_the_original(app, make, newbie, moderator, browser):
    thread = _pending_thread(make, newbie, "Edit me please", body="My doctor Dr Smith at 12 Oak Street")
    with app.app_context():
        item_id = _item_for(thread).id
    r = browser(moderator).post(f"/moderation/items/{item_id}/edit",
                                data={"title": "Edit me please", "body": "My doctor [name removed]",
                                      "note": "removed a name"})
    assert r.status_code == 302
    anon = app.test_client()
    page = anon.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "[name removed]" in page and "Dr Smith" not in page
    history = anon.get(f"/posts/{thread.first_post_id}/history").get_data(as_text=True)
    assert "Dr Smith" not in history
    notes = browser(newbie).get("/notifications").get_data(as_text=True)
    assert "Dr Smith" not in notes and "small edit" in notes
    with app.app_context():
        rev = db.session.scalar(select(PostRevision).where(PostRevision.post_id == thread.first_post_id))
        assert rev.private and "Dr Smith" in rev.body_source
        (a,) = actions("edit_approve")
        assert "Dr Smith" in a.before_text and "[name removed]" in a.after_text


def test_remove_and_dismiss(app, make, member, moderator):
    t1 = make.thread(member, title="To be removed", body="I feel suicidal")
    t2 = make.thread(member, title="To be dismissed", body="I want to die")
    with app.app_context():
        decisions.remove(_item_for(t1), user(moderator), "Moved to a private conversation")
        decisions.dismiss(_item_for(t2), user(moderator), "Talked with her, she is safe")
        db.session.commit()
        assert post_of(t1).status == "removed" and post_of(t2).status == "published"
        assert [a.action for a in actions()] == ["remove", "dismiss"]
        assert _item_for(t2).state == "dismissed"


def test_pending_items_cannot_be_dismissed_without_a_decision(app, make, newbie, moderator):
    thread = _pending_thread(make, newbie, "Needs a decision")
    with app.app_context(), pytest.raises(RuleViolation):
        decisions.dismiss(_item_for(thread), user(moderator))


def test_undo_within_ten_minutes_restores_state(app, make, newbie, moderator, browser):
    thread = _pending_thread(make, newbie, "Undo my approval")
    with app.app_context():
        item_id = _item_for(thread).id
    c = browser(moderator)
    c.post(f"/moderation/items/{item_id}/approve")
    assert "Undo this decision" in c.get(f"/moderation/items/{item_id}").get_data(as_text=True)
    assert c.post(f"/moderation/items/{item_id}/undo").status_code == 302
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        assert item.state == "open" and post_of(thread).status == "pending"
        assert db.session.get(Topic, item.topic_id).thread_count == 0
        assert user(newbie).approved_post_count == 0
        assert [a.action for a in actions()] == ["approve", "undo"]


def test_undo_of_edit_restores_the_original_privately(app, make, newbie, moderator):
    thread = _pending_thread(make, newbie, "Undo an edit", body="Original words")
    with app.app_context():
        item = _item_for(thread)
        decisions.edit_and_approve(item, user(moderator), "Edited words")
        db.session.commit()
        decisions.undo(_item_for(thread), user(moderator))
        db.session.commit()
        post = post_of(thread)
        assert post.body_source == "Original words" and post.status == "pending"


def test_undo_after_ten_minutes_is_refused(app, make, newbie, moderator):
    thread = _pending_thread(make, newbie, "Too late to undo")
    with app.app_context():
        item = _item_for(thread)
        decisions.approve(item, user(moderator))
        db.session.commit()
        item = _item_for(thread)
        item.resolved_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
        with pytest.raises(Conflict):
            decisions.undo(_item_for(thread), user(moderator))


def test_bulk_approve_and_reject(app, make, newbie, moderator, browser):
    threads = [_pending_thread(make, newbie, f"Bulk pending {n}") for n in range(3)]
    with app.app_context():
        ids = [_item_for(t).id for t in threads]
    c = browser(moderator)
    r = c.post("/moderation/bulk", data={"action": "approve", "item_ids": [str(i) for i in ids[:2]]})
    assert r.status_code == 302
    r = c.post("/moderation/bulk", data={"action": "reject", "note": "Please add a title that says more.",
                                         "item_ids": [str(ids[0]), str(ids[2])]}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "1 item returned" in page and "already handled" in page
    with app.app_context():
        assert [post_of(t).status for t in threads] == ["published", "published", "rejected"]


def test_moderators_cannot_act_on_their_own_content(app, make, moderator, browser):
    thread = make.thread(moderator, title="My own crisis", body="I want to die")
    with app.app_context():
        item_id = _item_for(thread).id
    c = browser(moderator)
    for action in ("claim", "approve", "dismiss", "remove"):
        assert c.post(f"/moderation/items/{item_id}/{action}").status_code == 403, action
    with app.app_context():
        assert actions() == []


def test_moderators_cannot_act_on_reports_against_themselves(app, make, moderator):
    thread = make.thread(moderator, title="Reported moderator post")
    with app.app_context():
        intake.report_content(user(make.user("unhappy")), "unkind", "", target=post_of(thread))
        db.session.commit()
        with pytest.raises(PermissionDenied):
            decisions.dismiss(items()[0], user(moderator))


def test_approval_is_not_blocked_by_rate_limits(app, make, newbie, moderator):
    thread = _pending_thread(make, newbie, "Rate limited author")
    app.config["RATELIMIT_ENABLED"] = True
    with app.app_context():
        decisions.approve(_item_for(thread), user(moderator))
        db.session.commit()
        assert post_of(thread).status == "published"
