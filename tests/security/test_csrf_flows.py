"""The new account forms with CSRF protection on: they work with the page's token and
refuse without it (the full CSRF sweep over every route lives in the attack suite)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import User
from tests.conftest import PASSWORD
from tests.security.conftest import path_of

NEW_PASSWORD = "purple otters swim at dawn"


def _token_any(page_html: str) -> str:
    m = re.search(r'name="(?:[a-z]+-)?csrf_token"[^>]*value="([^"]+)"', page_html)
    return m.group(1)


@pytest.mark.csrf
def test_register_verify_and_change_password_with_real_tokens(app, client, smtp, deliver):
    page = client.get("/auth/register").get_data(as_text=True)
    r = client.post("/auth/register", data={"csrf_token": _token_any(page), "username": "maryg",
                                            "email": "mary@example.org", "password": PASSWORD,
                                            "accept_guidelines": "y"})
    assert r.status_code == 302
    deliver()
    link = [path_of(l) for l in smtp.links(smtp.to("mary@example.org")[0]) if "/auth/verify/" in l][0]
    confirm = client.get(link).get_data(as_text=True)
    assert client.post(link).status_code == 400  # no token: refused, nothing changed
    with app.app_context():
        assert db.session.scalar(select(User.email_verified_at).where(User.username == "maryg")) is None
    assert client.post(link, data={"csrf_token": _token_any(confirm)}).status_code == 302

    account = client.get("/settings/account").get_data(as_text=True)
    data = {"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD}
    assert client.post("/settings/account/password", data=data).status_code == 400
    token = re.search(r'name="password-csrf_token"[^>]*value="([^"]+)"', account).group(1)
    assert client.post("/settings/account/password", data={**data, "password-csrf_token": token}).status_code == 302


@pytest.mark.csrf
@pytest.mark.parametrize("path", ["/auth/reset", "/auth/verify/resend", "/settings/account/email",
                                  "/settings/account/password", "/settings/account/logout-everywhere"])
def test_account_posts_without_a_token_are_refused(client, make, login_as, path):
    make.user("maryg")
    if path.startswith("/settings"):
        page = client.get("/auth/login").get_data(as_text=True)
        client.post("/auth/login", data={"csrf_token": _token_any(page), "username": "maryg", "password": PASSWORD})
        assert client.get("/settings/account").status_code == 200
    r = client.post(path, data={"email": "mary@example.org"})
    assert r.status_code == 400
    if path.endswith("logout-everywhere"):
        assert client.get("/settings/account").status_code == 200  # still logged in: nothing happened
