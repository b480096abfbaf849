"""Memorial accounts: marked by an admin at the family's request, audited, quiet, closed to login and mail."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import MailMessage, ModerationAction, Notification, Post, Story, User
from tests.conftest import PASSWORD, login


def _mark(client, username, note="Her son asked by email on 3 May.", remove=False):
    data = {"note": note}
    if remove:
        data["remove_content"] = "y"
    return client.post(f"/users/{username}/memorial", data=data)


def test_only_admins_can_mark(client, make, world):
    moderator = make.user("mod", role="moderator")
    assert _mark(client, "alice").status_code == 302  # visitors go to log in
    login(client, moderator)
    assert _mark(client, "alice").status_code == 403
    assert client.get("/users/alice/memorial").status_code == 403
    client.post("/auth/logout")
    login(client, world.bob)
    assert _mark(client, "alice").status_code == 403


def test_memorial_marks_profile_blocks_login_and_keeps_content(app, client, world):
    login(client, world.admin)
    form = client.get("/users/alice/memorial")
    assert form.status_code == 200 and '<meta name="robots" content="noindex">' in form.get_data(as_text=True)
    r = _mark(client, "alice")
    assert r.status_code == 302
    client.post("/auth/logout")
    profile = client.get("/users/alice").get_data(as_text=True)
    assert "In memoriam" in profile and "kept in memory" in profile
    # can't log in, even with the right password
    r = login(client, "alice", PASSWORD)
    assert r.status_code == 400 and "in memory" in r.get_data(as_text=True)
    # posts and stories stay
    assert "Sending you strength from my kitchen." in client.get(f"/threads/{world.bob_thread.id}").get_data(as_text=True)
    assert client.get(f"/stories/{world.alice_story_id}").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "memorial"))
        assert row.moderator_id == world.admin.id and row.target_user_id == world.alice.id
        assert row.reason == "Her son asked by email on 3 May."
        assert row.data == {"posts_removed": 0, "stories_removed": 0}


def test_memorial_ends_existing_sessions(app, world):
    member, admin = app.test_client(), app.test_client()
    login(member, world.alice)
    assert member.get("/settings/privacy").status_code == 200
    login(admin, world.admin)
    _mark(admin, "alice")
    assert member.get("/settings/privacy").status_code == 302


def test_memorial_accounts_get_no_notifications_or_mail(app, client, world, make):
    from board.mail import notify_by_email
    from board.notifications.services import notify

    login(client, world.admin)
    _mark(client, "alice")
    with app.app_context():
        before_notes = db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
        # a reply in her thread (she follows it as its author) and a direct call
        alice = db.session.get(User, world.alice.id)
        assert notify(alice, "reply", "Someone replied.") is None
        assert notify_by_email(alice, "Hello", "Body", "test") is None
        db.session.commit()
    make.reply(world.bob, world.alice_thread, body="Another reply after she died @alice")
    with app.app_context():
        assert not db.session.scalars(select(Notification).where(
            Notification.user_id == world.alice.id, Notification.id > before_notes)).all()
        assert not db.session.scalars(select(MailMessage).where(
            MailMessage.to_address == "alice.private@example.org", MailMessage.sent_at.is_(None))).all()


def test_memorial_with_removal_takes_content_down_and_keeps_counters(app, client, world):
    from tests.privacy.conftest import counters_are_right

    login(client, world.admin)
    _mark(client, "alice", remove=True)
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.author_id == world.alice.id)).all()
        assert posts and all(p.status == "removed" for p in posts)
        published = [s for s in db.session.scalars(select(Story).where(Story.author_id == world.alice.id))
                     if s.status == "published"]
        assert published == []
        assert db.session.get(Post, world.bob_reply_id).status == "published"
        assert counters_are_right() == []
        row = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "memorial"))
        assert row.data == {"posts_removed": 3, "stories_removed": 2}


def test_a_note_is_required_and_no_double_marking(app, client, world):
    login(client, world.admin)
    r = _mark(client, "alice", note="")
    assert r.status_code == 400 and "Please add a note" in r.get_data(as_text=True)
    assert _mark(client, "alice").status_code == 302
    r = _mark(client, "alice")
    assert r.status_code == 400 and "already in memoriam" in r.get_data(as_text=True)
    assert _mark(client, world.admin.username).status_code == 403
    assert _mark(client, "nobody-here").status_code == 404
