"""Deleting an account: in both modes no personal data is left anywhere, others' words stay,
counters stay right, sessions end, and the audit log says what happened without naming anyone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import (
    DiagnosisProfile,
    MailMessage,
    ModerationAction,
    Notification,
    Post,
    Report,
    Story,
    Reaction,
    Thread,
    User,
)
from tests.conftest import PASSWORD, login
from tests.privacy.conftest import ALICE, counters_are_right, text_hits

PERSONAL = [ALICE["username"], ALICE["email"], ALICE["display_name"], ALICE["city"], ALICE["region"],
            ALICE["bio"], "quokkas", ALICE["sig_first_name"], "Alice's report note"]
DIAGNOSIS_WORDS = ["her2-positive", "HER2-positive", "brain", "liver", "targeted", "de-novo", "2021"]


def _delete(client, mode, password=PASSWORD):
    return client.post("/settings/privacy/delete", data={"delete-mode": mode, "delete-password": password})


def _assert_no_personal_data(app, alice_id):
    with app.app_context():
        assert text_hits(PERSONAL) == []
        # Diagnosis answers: gone from their table; the words live on only in the topics' own data
        assert db.session.get(DiagnosisProfile, alice_id) is None
        assert {t for t, _, _ in text_hits(DIAGNOSIS_WORDS)} <= {"topics", "threads", "posts", "stories",
                                                                  "story_themes"}
        assert not [h for h in text_hits(["her2-positive", "de-novo"]) if h[0] not in ("topics",)]
        user = db.session.get(User, alice_id)
        assert user.deleted_at is not None
        assert user.email is None and user.password_hash == "" and user.display_name == ""
        assert user.city == user.region == user.bio_source == user.bio_html == user.identity == ""
        assert not db.session.scalars(select(Notification).where(Notification.user_id == alice_id)).all()
        assert not db.session.scalars(select(Reaction).where(Reaction.user_id == alice_id)).all()
        assert counters_are_right() == []


def _others_intact(app, world):
    with app.app_context():
        bob_reply = db.session.get(Post, world.bob_reply_id)
        carol_reply = db.session.get(Post, world.carol_reply_id)
        assert bob_reply.status == "published" and bob_reply.body_source == "Thinking of you, it went fine for me."
        assert carol_reply.status == "published" and carol_reply.body_source == "Same here, hang in there."
        bob_story = db.session.get(Story, world.bob_story_id)
        assert bob_story.status == "published" and bob_story.helped_count == 0  # alice's "helped" went
        bob_report = db.session.scalar(select(Report).where(Report.reporter_id == world.bob.id))
        assert bob_report.note == "Bob's confidential report note"
        assert db.session.get(DiagnosisProfile, world.bob.id).subtype == "triple-negative"


def _audit_row(app):
    with app.app_context():
        rows = db.session.scalars(select(ModerationAction).where(ModerationAction.action == "account_deleted")).all()
        assert len(rows) == 1
        row = rows[0]
        return row.moderator_id, row.reason, row.before_text, row.after_text, row.data


@pytest.mark.parametrize("mode", ["remove", "keep"])
def test_deletion_leaves_no_personal_data(app, client, world, mode):
    login(client, world.alice)
    with app.app_context():  # precondition: the scan sees alice everywhere
        assert {h[0] for h in text_hits(PERSONAL)} >= {"users", "stories", "notifications", "reports"}
    r = _delete(client, mode)
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    _assert_no_personal_data(app, world.alice.id)
    _others_intact(app, world)
    moderator_id, reason, before, after, data = _audit_row(app)
    assert moderator_id is None and reason == before == after == ""
    assert data["mode"] == mode and set(data) == {"mode", "posts_removed", "stories_removed", "pictures_removed"}
    # The session ended and the account can't be used again
    assert client.get("/settings/privacy").status_code == 302
    assert "match an account" in login(client, ALICE["username"]).get_data(as_text=True)
    assert client.get("/users/alice").status_code == 404


def test_remove_mode_takes_posts_and_stories_down(app, client, world):
    login(client, world.alice)
    _delete(client, "remove")
    with app.app_context():
        alice_posts = db.session.scalars(select(Post).where(Post.author_id == world.alice.id)).all()
        assert alice_posts and all(p.status == "deleted" and p.body_source == "" for p in alice_posts)
        # Her thread with bob's reply stays (bob's words need it); the lonely one is gone
        assert db.session.get(Thread, world.alice_thread.id).status == "published"
        lonely = db.session.get(Thread, world.alice_lonely_thread.id)
        assert lonely.status == "deleted" and "capecitabine" not in lonely.title
        stories = db.session.scalars(select(Story).where(Story.author_id == world.alice.id)).all()
        assert all(s.status == "withdrawn" and s.body_source == "" and s.title == "" for s in stories)
        _, _, _, _, data = _audit_row(app)
        assert data == {"mode": "remove", "posts_removed": 3, "stories_removed": 2, "pictures_removed": 0}
    page = client.get(f"/threads/{world.alice_thread.id}").get_data(as_text=True)
    assert "Thinking of you, it went fine for me." in page and "Nervous about the gamma knife" not in page
    assert client.get(f"/stories/{world.alice_story_id}").status_code == 404


def test_keep_mode_keeps_posts_signed_a_former_member(app, client, world):
    login(client, world.alice)
    _delete(client, "keep")
    page = client.get(f"/threads/{world.bob_thread.id}").get_data(as_text=True)
    assert "Sending you strength from my kitchen." in page
    assert "a former member" in page and ALICE["display_name"] not in page
    story = client.get(f"/stories/{world.alice_story_id}").get_data(as_text=True)
    assert "Knitting through chemo" in story and "A former member" in story
    assert ALICE["sig_first_name"] not in story
    anon = client.get(f"/stories/{world.alice_anon_story_id}").get_data(as_text=True)
    assert "A member of Circle" in anon  # anonymous stays anonymous
    with app.app_context():
        assert db.session.get(Story, world.alice_draft_id).body_source == ""  # a draft only she could see
        assert db.session.get(Thread, world.alice_lonely_thread.id).status == "published"


def test_others_notifications_and_mail_no_longer_name_the_member(app, client, world):
    with app.app_context():
        mentions = [n.text for n in db.session.scalars(select(Notification).where(
            Notification.user_id == world.bob.id, Notification.actor_id == world.alice.id))]
        assert mentions and all(ALICE["display_name"] in t for t in mentions)
    login(client, world.alice)
    _delete(client, "keep")
    with app.app_context():
        texts = [n.text for n in db.session.scalars(select(Notification).where(Notification.user_id == world.bob.id))]
        assert texts and not any(ALICE["display_name"] in t for t in texts)
        assert any(t.startswith("A former member") for t in texts)
        assert not db.session.scalars(select(MailMessage).where(MailMessage.to_address == ALICE["email"])).all()


@pytest.mark.parametrize("password", ["wrong password here", ""])
def test_wrong_password_deletes_nothing(app, client, world, password):
    login(client, world.alice)
    r = _delete(client, "remove", password)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Please check the form" in html
    with app.app_context():
        user = db.session.get(User, world.alice.id)
        assert user.deleted_at is None and user.email == ALICE["email"]
        assert db.session.get(DiagnosisProfile, world.alice.id) is not None
        assert not db.session.scalars(select(ModerationAction).where(ModerationAction.action == "account_deleted")).all()
    assert client.get("/settings/privacy").status_code == 200  # still logged in


def test_a_mode_must_be_chosen(app, client, world):
    login(client, world.alice)
    r = client.post("/settings/privacy/delete", data={"delete-password": PASSWORD})
    assert r.status_code == 400
    r = _delete(client, "everything")
    assert r.status_code == 400
    with app.app_context():
        assert db.session.get(User, world.alice.id).deleted_at is None


def test_other_sessions_end_too(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, world.alice)
    login(second, world.alice)
    assert second.get("/settings/privacy").status_code == 200
    _delete(first, "keep")
    assert second.get("/settings/privacy").status_code == 302


def test_service_refuses_unknown_mode(app, world):
    from board.domain import RuleViolation
    from board.privacy.services import delete_account

    with app.app_context(), pytest.raises(RuleViolation):
        delete_account(db.session.get(User, world.alice.id), "shred")
