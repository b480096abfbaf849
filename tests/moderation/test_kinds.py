"""Decision tests shared by every registered kind of moderated content.

The tests are parametrised over the registry (`board.moderation.kinds`), so a new
kind runs them as soon as it is registered: add a `Maker` for it in MAKERS (how
to write one waiting for review and one published) and they apply. Bad input
(an item of a kind no longer registered, an item whose content row is gone)
shows a clear card and can be dismissed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import select, text

from board import create_app
from board.extensions import db
from board.models import ModerationAction, ModerationItem, Notification, Topic, User, utcnow
from board.moderation import claims, decisions, intake
from board.moderation.kinds import content_of, kind_named, registered_kinds
from tests.moderation.conftest import user


EDITED = "An edited version without the phone number, long enough to be a story on its own. " * 2

# ---------------------------------------------------------------- how to write each kind

def _first_post(thread):
    from board.models import Post

    return db.session.get(Post, thread.first_post_id)


def _post(author: User):
    from board.forum.services import create_thread

    topic = db.session.scalar(select(Topic).order_by(Topic.id).limit(1))
    return _first_post(create_thread(author, topic, "A thread for the kinds tests", "Words of the opening post"))


def _story(author: User):
    from board.stories.services import StoryInput, create_story

    data = StoryInput(title="A story for the kinds tests", body="When I was first told, I stopped sleeping. " * 3,
                      themes=["hope"], signature="first", sig_first_name="Mary", consent=True)
    return create_story(author, data).story


def _published_story(author: User):
    from board.stories.services import publish_story

    story = _story(author)
    publish_story(story, None)
    for item in db.session.scalars(select(ModerationItem).where(ModerationItem.content_kind == "story",
                                                                ModerationItem.target_id == story.id)):
        item.state = "resolved"
    return story


def _staff(username: str) -> User:
    """A moderator made inside the current app context (a message needs someone to go to)."""
    from board.auth.services import register_user

    found = db.session.scalar(select(User).where(User.username == username))
    if found is not None:
        return found
    staff = register_user(username, f"{username}@example.org", "a long test password 123", verified=True)
    staff.role, staff.trust_level = "moderator", 1
    db.session.flush()
    return staff


def _held_message(author: User):
    """A new member (who may write only to moderators) sends a link: held until a moderator looks."""
    from board.messages.services import start_conversation

    return start_conversation(author, _staff("kindsmod").username,
                              "Please look at https://example.org/ward-leaflet before my appointment")


def _delivered_message(author: User):
    """Delivered to a moderator, who can report it (only the conversation's other members may)."""
    from board.messages.services import start_conversation

    return start_conversation(author, _staff("kindsmod").username, "Thank you for the welcome, it helped a lot")


def _image(author: User):
    """A picture in a post by a member below trust level 2: it waits for review (the post may not)."""
    from board.media import services as media
    from tests.media.pictures import jpeg

    post = _post(author)
    image = media.accept_file(author, jpeg(), alt="A knitted scarf on a bench")
    media.attach(author, [image], "post", post.id)
    return image


def _published_image(author: User):
    from board.media.services import set_status

    image = _image(author)
    set_status(image, "published")
    for item in db.session.scalars(select(ModerationItem).where(ModerationItem.content_kind == "image",
                                                                ModerationItem.target_id == image.id)):
        item.state = "resolved"
    return image


@dataclass
class Maker:
    pending: Callable  # author (trust level 0) -> content waiting for review, with its open pending item
    published: Callable  # author (trust level 1) -> published content, open to reports
    # -> a moderator who may report the published content (None: a new moderator "mod2")
    staff_reporter: Callable | None = None


MAKERS = {
    "post": Maker(pending=_post, published=_post),
    "story": Maker(pending=_story, published=_published_story),
    "message": Maker(pending=_held_message, published=_delivered_message,
                     staff_reporter=lambda: _staff("kindsmod")),
    "image": Maker(pending=_image, published=_published_image),
}


def _registered_names() -> list[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    with app.app_context():
        return list(registered_kinds())


KINDS = _registered_names()


def test_every_registered_kind_has_a_maker_for_these_tests():
    assert set(KINDS) == set(MAKERS), "add a Maker for the new kind to MAKERS"


@pytest.fixture(params=KINDS)
def kind_name(request):
    return request.param


def _pending(app, make, kind_name):
    author = make.user(trust_level=0)
    with app.app_context():
        target = MAKERS[kind_name].pending(user(author))
        db.session.commit()
        item = db.session.scalar(select(ModerationItem).where(
            ModerationItem.content_kind == kind_name, ModerationItem.target_id == target.id,
            ModerationItem.state == "open"))
        assert item is not None and item.kind == f"pending_{kind_name}"
        return author, target.id, item.id


def _published(app, make, kind_name):
    author = make.user(trust_level=1)
    with app.app_context():
        target = MAKERS[kind_name].published(user(author))
        db.session.commit()
        assert target.status == "published"
        return author, target.id


def _target(kind_name, target_id):
    return kind_named(kind_name).load([target_id])[target_id]


def _status(kind_name, target_id):
    return _target(kind_name, target_id).status


def _notified(author, kind_prefix=""):
    return [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == author.id)
                                               .order_by(Notification.id)) if n.kind.startswith(kind_prefix)]


# ---------------------------------------------------------------- the shared decisions

def test_approve_publishes_and_tells_the_author(app, make, moderator, kind_name):
    author, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        decisions.approve(item, user(moderator))
        db.session.commit()
        assert _status(kind_name, target_id) == "published"
        assert (item.state, item.resolution) == ("resolved", "approved")
        (row,) = db.session.scalars(select(ModerationAction).where(ModerationAction.action == "approve"))
        assert row.item_id == item_id and row.target_user_id == author.id
        kind = kind_named(kind_name)
        assert row.data == {"before_status": "pending", "after_status": "published",
                            **kind.audit_data(_target(kind_name, target_id))}
        assert _notified(author)


def test_return_keeps_the_words_and_tells_the_author(app, make, moderator, kind_name):
    author, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        decisions.reject(db.session.get(ModerationItem, item_id), user(moderator), "Please remove the phone number.")
        db.session.commit()
        target = _target(kind_name, target_id)
        assert target.status == "rejected" and target.moderator_note == "Please remove the phone number."
        assert any("phone number" in n.text for n in db.session.scalars(
            select(Notification).where(Notification.user_id == author.id)))


def test_edit_then_approve_publishes_the_edit_and_audits_both_texts(app, make, moderator, kind_name):
    _, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        title, body = content_of(item).kind.edit_fields(content_of(item).target)
        decisions.edit_and_approve(item, user(moderator), EDITED, title)
        db.session.commit()
        target = _target(kind_name, target_id)
        assert target.status == "published" and kind_named(kind_name).edit_fields(target)[1] == EDITED.strip()
        (row,) = db.session.scalars(select(ModerationAction).where(ModerationAction.action == "edit_approve"))
        if kind_named(kind_name).private:
            # Every moderator reads the audit log: a private kind keeps its words out of it.
            assert body not in row.before_text and "An edited version" not in row.after_text
        else:
            assert body in row.before_text and "An edited version" in row.after_text


def test_remove_takes_it_down_and_undo_puts_it_back(app, make, moderator, kind_name):
    _, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        decisions.remove(db.session.get(ModerationItem, item_id), user(moderator), "Not for this board")
        db.session.commit()
        assert _status(kind_name, target_id) == "removed"
        item = db.session.get(ModerationItem, item_id)
        assert decisions.can_undo(item, user(moderator))
        decisions.undo(item, user(moderator))
        db.session.commit()
        assert _status(kind_name, target_id) == "pending"
        assert item.state == "open" and item.claimed_by_id == moderator.id


def test_undo_of_an_approval_waits_for_review_again(app, make, moderator, kind_name):
    _, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        decisions.approve(item, user(moderator))
        db.session.commit()
        decisions.undo(item, user(moderator))
        db.session.commit()
        assert _status(kind_name, target_id) == "pending" and item.state == "open"


def test_pending_content_cannot_be_dismissed(app, make, moderator, kind_name):
    _, target_id, item_id = _pending(app, make, kind_name)
    with app.app_context():
        with pytest.raises(Exception, match="needs a decision"):
            decisions.dismiss(db.session.get(ModerationItem, item_id), user(moderator))


def test_a_moderators_report_hides_and_keep_restores(app, make, moderator, kind_name):
    author, target_id = _published(app, make, kind_name)
    with app.app_context():
        reporter = MAKERS[kind_name].staff_reporter
        reporter = reporter() if reporter else user(make.user("mod2", role="moderator"))
        intake.report_content(reporter, "unkind", "", target=_target(kind_name, target_id))
        db.session.commit()
        assert _status(kind_name, target_id) == "hidden"
        assert "content_hidden" in _notified(author)
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.kind == "report"))
        assert (item.content_kind, item.target_id) == (kind_name, target_id)
        decisions.approve(item, user(moderator))  # keep
        db.session.commit()
        assert _status(kind_name, target_id) == "published" and item.resolution == "kept"
        assert "content_restored" in _notified(author)


def test_reports_are_refused_for_own_and_hidden_content(app, make, kind_name):
    author, target_id = _published(app, make, kind_name)
    with app.app_context():
        with pytest.raises(Exception, match="your own"):
            intake.report_content(user(author), "spam", "", target=_target(kind_name, target_id))


def test_queue_and_item_pages_show_the_kinds_card(app, make, moderator, browser, kind_name):
    _, target_id, item_id = _pending(app, make, kind_name)
    c = browser(moderator)
    queue = c.get(f"/moderation?kind=pending_{kind_name}")
    assert queue.status_code == 200 and f"/moderation/items/{item_id}" in queue.text
    page = c.get(f"/moderation/items/{item_id}")
    assert page.status_code == 200 and "Approve" in page.text and "no longer exists" not in page.text


def test_the_queue_page_runs_a_constant_number_of_queries(app, make, moderator, browser, count_queries):
    for name in KINDS:
        _pending(app, make, name)
    c = browser(moderator)
    with count_queries() as one_each:
        assert c.get("/moderation").status_code == 200
    for name in KINDS:
        for _ in range(3):
            _pending(app, make, name)
    with count_queries() as four_each:
        assert c.get("/moderation").status_code == 200
    assert len(four_each) == len(one_each)


# ---------------------------------------------------------------- bad input

def _raw_item(app, content_kind: str, target_id: int, kind: str) -> int:
    """An item as a kind that is gone would have left it (written without the ORM's help)."""
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO moderation_items (kind, priority, state, created_at, content_kind, target_id, reasons, "
            "report_weight, resolution, note) VALUES (:kind, 0, 'open', :now, :ck, :tid, '[]', 0, '', '')"),
            {"kind": kind, "now": utcnow(), "ck": content_kind, "tid": target_id})
        db.session.commit()
        return db.session.scalar(select(ModerationItem.id).order_by(ModerationItem.id.desc()).limit(1))


@pytest.mark.parametrize("item_kind", ["pending_video", "report"])
def test_an_item_of_an_unknown_kind_shows_a_clear_card_and_can_be_dismissed(app, moderator, browser, item_kind):
    item_id = _raw_item(app, "video", 7, item_kind)  # a kind no package registers
    c = browser(moderator)
    assert c.get("/moderation").status_code == 200
    page = c.get(f"/moderation/items/{item_id}")
    assert page.status_code == 200 and "Unknown kind of content" in page.text and "Dismiss" in page.text
    assert f'action="/moderation/items/{item_id}/approve"' not in page.text
    assert c.post(f"/moderation/items/{item_id}/approve").status_code == 302  # refused with a message, not a 500
    r = c.post(f"/moderation/items/{item_id}/dismiss", data={"note": "image kind was removed"})
    assert r.status_code == 302
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        assert (item.state, item.resolution) == ("dismissed", "gone")


def test_an_item_whose_content_was_deleted_says_so_and_can_be_dismissed(app, moderator, browser, kind_name):
    item_id = _raw_item(app, kind_name, 987654, f"pending_{kind_name}")
    c = browser(moderator)
    page = c.get(f"/moderation/items/{item_id}")
    assert page.status_code == 200 and "This content no longer exists" in page.text
    assert c.get("/moderation").status_code == 200
    assert c.post(f"/moderation/items/{item_id}/dismiss").status_code == 302
    with app.app_context():
        assert db.session.get(ModerationItem, item_id).state == "dismissed"


def test_the_database_refuses_a_half_reference_or_a_pending_item_of_another_kind(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        for content_kind, target_id, kind in (("post", None, "report"), (None, 3, "report"),
                                              ("story", 3, "pending_post")):
            with pytest.raises(IntegrityError):
                db.session.execute(text(
                    "INSERT INTO moderation_items (kind, priority, state, created_at, content_kind, target_id, "
                    "reasons, report_weight, resolution, note) VALUES (:kind, 0, 'open', :now, :ck, :tid, '[]', 0, "
                    "'', '')"), {"kind": kind, "now": utcnow(), "ck": content_kind, "tid": target_id})
            db.session.rollback()


def test_claims_work_on_any_kind(app, make, moderator, kind_name):
    _, _, item_id = _pending(app, make, kind_name)
    with app.app_context():
        item = claims.claim(db.session.get(ModerationItem, item_id), user(moderator))
        assert item.claimed_by_id == moderator.id
