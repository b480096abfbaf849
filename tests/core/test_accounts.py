"""Registration, login and profiles (forum core)."""
import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import User

from tests.conftest import PASSWORD, session_login


def register(client, username="maryg", email="mary@example.org", password=PASSWORD):
    return client.post("/auth/register", data={"username": username, "email": email, "password": password,
                                                "accept_guidelines": "y"})


@pytest.mark.parametrize("username, message", [
    ("ab", "3 to 30 characters"),
    ("x" * 31, "3 to 30 characters"),
    ("mary g", "3 to 30 characters"),
    ("mary<script>", "3 to 30 characters"),
    ("märy", "3 to 30 characters"),
])
def test_bad_usernames_are_explained(client, username, message):
    r = register(client, username=username)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


def test_username_is_unique_whatever_the_case(client, make):
    make.user("maryg")
    r = register(client, username="MaryG", email="other@example.org")
    assert r.status_code == 400
    assert "That username is taken" in r.get_data(as_text=True)


@pytest.mark.parametrize("password, message", [
    ("short", "at least 10 characters"),
    ("password123", "very common"),
    ("Password1234", "very common"),
    ("x" * 129, "128 characters or fewer"),
])
def test_weak_passwords_are_refused_and_other_fields_kept(client, password, message):
    r = register(client, password=password)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert message in page
    assert 'value="maryg"' in page and 'value="mary@example.org"' in page


def test_password_is_stored_as_argon2id(app, client):
    register(client)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "maryg"))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_login_by_username_or_email_any_case(client, make):
    make.user("maryg", email="Mary@Example.org")
    for ident in ("maryg", "MARYG", "mary@example.org", "MARY@EXAMPLE.ORG"):
        r = client.post("/auth/login", data={"username": ident, "password": PASSWORD})
        assert r.status_code == 302, ident
        client.post("/auth/logout")


def test_login_failure_says_one_generic_thing(client, make):
    make.user("maryg")
    wrong_password = client.post("/auth/login", data={"username": "maryg", "password": "not the password"})
    no_such_user = client.post("/auth/login", data={"username": "nobody", "password": "not the password"})
    assert wrong_password.status_code == no_such_user.status_code == 400
    msg = "That username or email and password don&#39;t match an account."
    assert msg in wrong_password.get_data(as_text=True) and msg in no_such_user.get_data(as_text=True)


@pytest.mark.parametrize("target, expected", [
    ("/topics/chemotherapy", "/topics/chemotherapy"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example", "/"),
    ("https:evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_accepts_local_paths(client, make, target, expected):
    make.user("maryg")
    r = client.post(f"/auth/login?next={target}", data={"username": "maryg", "password": PASSWORD})
    assert r.status_code == 302
    assert r.location == expected


def test_remember_me_sets_a_cookie(client, make):
    make.user("maryg")
    r = client.post("/auth/login", data={"username": "maryg", "password": PASSWORD, "remember": "y"})
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_logout_is_post_only(client, make, login_as):
    login_as(make.user())
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/settings/profile").status_code == 200


def test_profile_shows_chosen_fields_and_never_the_email(client, make, login_as):
    login_as(make.user("maryg", email="secret-address@example.org"))
    r = client.post("/settings/profile", data={
        "display_name": "Mary G.", "city": "Oregon", "region": "WI", "identity": "living",
        "bio": "Gardener. *Stubborn.* <script>alert(1)</script>",
    })
    assert r.status_code == 302
    page = client.get("/users/maryg").get_data(as_text=True)
    assert "Mary G." in page and "Oregon, WI" in page and "Living with MBC" in page
    assert "<em>Stubborn.</em>" in page
    assert "<script>alert(1)" not in page
    assert "secret-address" not in page


def test_profile_form_refuses_unknown_identity_and_keeps_text(client, make, login_as):
    login_as(make.user())
    r = client.post("/settings/profile", data={"display_name": "Kept name", "identity": "wizard", "bio": ""})
    assert r.status_code == 400
    assert 'value="Kept name"' in r.get_data(as_text=True)


def test_changing_the_session_token_ends_old_sessions(app, client, make, login_as):
    user = make.user("maryg")
    login_as(user)
    assert client.get("/settings/profile").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).rotate_session_token()
        db.session.commit()
    assert client.get("/settings/profile").status_code == 302


def test_reading_anonymously_sets_no_cookie(client, make):
    thread = make.thread(make.user("alice"), replies=2)
    for url in ("/", "/topics/newly-diagnosed", f"/threads/{thread.id}", "/users/alice"):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers.getlist("Set-Cookie") == [], url


@pytest.mark.csrf
def test_text_size_for_visitors_needs_no_token_but_members_do(app, client, make, login_as):
    r = client.post("/settings/display", data={"text_size": "larger", "next": "/"})
    assert r.status_code == 302 and "text_size=larger" in r.headers.get("Set-Cookie", "")
    user = make.user("maryg")
    session_login(app, client, user)
    assert client.post("/settings/display", data={"text_size": "large"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).text_size == "normal"
