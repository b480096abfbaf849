"""/settings/account: change email (current password + re-verification), change password,
log out everywhere."""
from __future__ import annotations

from sqlalchemy import func, select

from board.extensions import db
from board.models import MailMessage, User
from tests.conftest import PASSWORD, login
from tests.security.conftest import path_of

NEW_PASSWORD = "purple otters swim at dawn"


def _user(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def _mail_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(MailMessage.id)))


def test_account_page_needs_login_and_is_not_cached(client, make, login_as):
    assert client.get("/settings/account").status_code == 302
    login_as(make.user("maryg"))
    r = client.get("/settings/account")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    text = r.get_data(as_text=True)
    assert "maryg@example.org" in text and "Log me out everywhere" in text


def test_change_password_needs_the_current_one(app, client, make, login_as):
    login_as(make.user("maryg"))
    r = client.post("/settings/account/password", data={
        "password-current_password": "wrong password here", "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    })
    assert r.status_code == 400 and "That isn&#39;t your current password" in r.get_data(as_text=True)
    assert _mail_count(app) == 0


def test_change_password_keeps_this_session_ends_the_others_and_mails_the_owner(app, client, make, login_as,
                                                                                 smtp, deliver):
    login_as(make.user("maryg"))
    other = app.test_client()
    login(other, "maryg")
    r = client.post("/settings/account/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    })
    assert r.status_code == 302
    assert client.get("/settings/account").status_code == 200
    assert other.get("/settings/account").status_code == 302
    assert login(app.test_client(), "maryg", NEW_PASSWORD).status_code == 302
    deliver()
    subjects = [m["Subject"] for m in smtp.to("maryg@example.org")]
    # (the second test client is a browser the account hadn't used: it also got "was this you?")
    assert [s for s in subjects if "was this you" not in s] == ["Your Circle password was changed"]


def test_change_password_refuses_a_weak_one(client, make, login_as):
    login_as(make.user("maryg"))
    r = client.post("/settings/account/password", data={
        "password-current_password": PASSWORD, "password-new_password": "maryg", "password-confirm": "maryg",
    })
    assert r.status_code == 400 and "at least 10 characters" in r.get_data(as_text=True)


def test_change_email_needs_the_password_and_waits_for_the_new_address_to_be_confirmed(app, client, make,
                                                                                        login_as, smtp, deliver):
    login_as(make.user("maryg", email="old@example.org"))
    wrong = client.post("/settings/account/email", data={"email-email": "new@example.org",
                                                         "email-current_password": "not my password"})
    assert wrong.status_code == 400 and _mail_count(app) == 0

    r = client.post("/settings/account/email", data={"email-email": "New@Example.org",
                                                     "email-current_password": PASSWORD})
    assert r.status_code == 302
    assert _user(app, "maryg").email == "old@example.org"  # unchanged until confirmed
    deliver()
    assert "change of email address" in smtp.to("old@example.org")[0]["Subject"]
    assert "n***@example.org" in smtp.to("old@example.org")[0].get_content()
    link = [path_of(l) for l in smtp.links(smtp.to("new@example.org")[0]) if "/auth/verify/" in l][0]
    assert "new@example.org" in client.get(link).get_data(as_text=True)
    assert client.post(link).status_code == 302
    user = _user(app, "maryg")
    assert user.email == "new@example.org" and user.email_verified_at is not None
    assert client.post(link).status_code == 400  # single use
    deliver()
    assert any("was changed" in m["Subject"] for m in smtp.to("old@example.org"))


def test_changing_to_someone_elses_address_answers_the_same_and_sends_nothing_to_it(app, client, make, login_as,
                                                                                     smtp, deliver):
    make.user("owner", email="taken@example.org")
    login_as(make.user("maryg", email="mary@example.org"))
    taken = client.post("/settings/account/email", data={"email-email": "taken@example.org",
                                                         "email-current_password": PASSWORD})
    free = client.post("/settings/account/email", data={"email-email": "free@example.org",
                                                        "email-current_password": PASSWORD})
    assert taken.status_code == free.status_code == 302 and taken.location == free.location
    deliver()
    assert smtp.to("taken@example.org") == [] and len(smtp.to("free@example.org")) == 1


def test_an_unverified_member_can_fix_a_mistyped_address(app, client, make, login_as, smtp, deliver):
    login_as(make.user("maryg", email="mary@exmaple.org", verified=False))
    client.post("/settings/account/email", data={"email-email": "mary@example.org", "email-current_password": PASSWORD})
    deliver()
    assert smtp.to("mary@exmaple.org") == []  # nothing to the unconfirmed (wrong) address
    link = [path_of(l) for l in smtp.links(smtp.to("mary@example.org")[0]) if "/auth/verify/" in l][0]
    client.post(link)
    user = _user(app, "maryg")
    assert user.email == "mary@example.org" and user.email_verified_at is not None


def test_an_email_change_link_dies_when_the_password_changes(app, client, make, login_as, smtp, deliver):
    login_as(make.user("maryg", email="old@example.org"))
    client.post("/settings/account/email", data={"email-email": "new@example.org", "email-current_password": PASSWORD})
    client.post("/settings/account/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    })
    deliver()
    link = [path_of(l) for l in smtp.links(smtp.to("new@example.org")[0]) if "/auth/verify/" in l][0]
    assert client.post(link).status_code == 400
    assert _user(app, "maryg").email == "old@example.org"


def test_log_out_everywhere_ends_every_session_and_remember_cookie(app, client, make, login_as):
    make.user("maryg")
    phone = app.test_client()
    login(phone, "maryg", remember="y")
    phone.delete_cookie("session")  # only the remember-me cookie is left on the phone
    assert phone.get("/settings/account").status_code == 200
    login_as("maryg")
    assert client.get("/settings/account/logout-everywhere").status_code == 405
    r = client.post("/settings/account/logout-everywhere")
    assert r.status_code == 302 and r.location == "/auth/login"
    assert client.get("/settings/account").status_code == 302
    phone.delete_cookie("session")
    assert phone.get("/settings/account").status_code == 302
