"""A newcomer's first day: told before writing that first posts are reviewed; an unconfirmed
member sees why she can't post and a button for a new email; after confirming, a short
skippable welcome and then the home page; the first login says welcome, not welcome back."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import Follow, User
from tests.conftest import PASSWORD


def _user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def _verify_path(app, username):
    from board.auth.tokens import make_verify_token

    with app.app_context():
        return f"/auth/verify/{make_verify_token(db.session.scalar(select(User).where(User.username == username)))}"


def test_new_thread_and_reply_forms_say_first_posts_are_reviewed_before_writing(client, make, login_as):
    thread = make.thread(make.user("author"))
    login_as(make.user("newbie", trust_level=0))
    for path in ("/topics/newly-diagnosed/new", f"/threads/{thread.id}/reply", f"/threads/{thread.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "A moderator reads your first posts before they appear — usually within a few hours" in page, path


def test_trusted_members_are_not_told_about_review(client, make, login_as):
    login_as(make.user("regular", trust_level=1))
    assert "reads your first posts" not in client.get("/topics/newly-diagnosed/new").get_data(as_text=True)


def test_unconfirmed_member_sees_why_and_a_resend_button_instead_of_the_form(client, make, login_as):
    thread = make.thread(make.user("author"))
    login_as(make.user("newbie", verified=False, trust_level=0))
    for path in ("/topics/newly-diagnosed/new", f"/threads/{thread.id}/reply"):
        r = client.get(path)
        page = r.get_data(as_text=True)
        assert r.status_code == 403
        assert "Please confirm your email address first" in page
        assert 'action="/auth/verify/resend"' in page and "Send me the email again" in page
        assert 'name="body"' not in page and 'name="title"' not in page


def test_after_confirming_a_newcomer_gets_the_welcome_then_the_home_page(app, client, make):
    make.user("maryg", verified=False, trust_level=0)
    r = client.post(_verify_path(app, "maryg"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/welcome")
    page = client.get("/welcome").get_data(as_text=True)
    assert "Display name" in page and "I am…" in page and "diagnosis profile" in page and "Topics to follow" in page
    r = client.post("/welcome", data={"display_name": "Maria", "identity": "living",
                                      "topics": ["newly-diagnosed", "bone-metastases"]})
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    user = _user(app, "maryg")
    assert user.display_name == "Maria" and user.identity == "living" and user.welcomed_at is not None
    with app.app_context():
        assert len(db.session.scalars(select(Follow).where(Follow.user_id == user.id)).all()) == 2
    assert "Welcome to Circle, Maria" in client.get("/").get_data(as_text=True)


def test_the_welcome_can_be_skipped(app, client, make):
    make.user("maryg", verified=False, trust_level=0)
    client.post(_verify_path(app, "maryg"))
    r = client.post("/welcome", data={"skip": "1", "identity": "not-a-choice"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    assert _user(app, "maryg").welcomed_at is not None and _user(app, "maryg").display_name == ""


def test_first_login_says_welcome_and_later_ones_welcome_back(app, client, make):
    make.user("maryg")
    r = client.post("/auth/login", data={"username": "maryg", "password": PASSWORD}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "Welcome to Circle" in text and "Welcome back" not in text
    client.post("/auth/logout")
    r = client.post("/auth/login", data={"username": "maryg", "password": PASSWORD}, follow_redirects=True)
    assert "Welcome back" in r.get_data(as_text=True)
