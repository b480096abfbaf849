"""With CSRF protection on, every privacy and profile form works with the page's token and refuses without it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import DiagnosisProfile, User
from tests.conftest import PASSWORD, finish_two_factor


def _tokens(html: str) -> dict[str, str]:
    found = dict(re.findall(r'name="((?:[a-z]+-)?csrf_token)"[^>]*value="([^"]+)"', html))
    return found or {n: v for v, n in re.findall(r'value="([^"]+)"[^>]*name="((?:[a-z]+-)?csrf_token)"', html)}


def _login(client, username):
    page = client.get("/auth/login").get_data(as_text=True)
    r = client.post("/auth/login", data={**_tokens(page), "username": username, "password": PASSWORD})
    r = finish_two_factor(client, r)  # staff type their authenticator code
    assert r.status_code == 302


@pytest.mark.csrf
def test_member_forms_need_their_token(app, client, make):
    make.user("alice")
    _login(client, "alice")

    page = client.get("/settings/diagnosis").get_data(as_text=True)
    assert client.post("/settings/diagnosis", data={"subtype": "her2-positive"}).status_code == 400
    r = client.post("/settings/diagnosis", data={**_tokens(page), "subtype": "her2-positive"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(DiagnosisProfile.subtype)) == "her2-positive"

    page = client.get("/settings/privacy").get_data(as_text=True)
    tokens = _tokens(page)
    assert {"export-csrf_token", "delete-csrf_token"} <= set(tokens)
    assert client.post("/settings/privacy/export").status_code == 400
    r = client.post("/settings/privacy/export", data={"export-csrf_token": tokens["export-csrf_token"]})
    assert r.status_code == 200 and r.mimetype == "application/json"

    delete = {"delete-mode": "keep", "delete-password": PASSWORD}
    assert client.post("/settings/privacy/delete", data=delete).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User.deleted_at).where(User.username == "alice")) is None
    r = client.post("/settings/privacy/delete", data={**delete, "delete-csrf_token": tokens["delete-csrf_token"]})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "alice")) is None


@pytest.mark.csrf
def test_admin_forms_need_their_token(app, client, make):
    make.user("alice")
    make.user("boss", role="admin")
    _login(client, "boss")
    page = client.get("/users/alice/memorial").get_data(as_text=True)
    assert client.post("/users/alice/memorial", data={"note": "Family asked"}).status_code == 400
    assert client.post("/users/alice/memorial", data={**_tokens(page), "note": "Family asked"}).status_code == 302
    page = client.get("/moderation/topics").get_data(as_text=True)
    url = "/moderation/topics/caregivers-and-family/members-only"
    assert client.post(url, data={"members_only": "on"}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"csrf_token": token, "members_only": "on"}).status_code == 302
