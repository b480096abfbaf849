"""Passkeys in Chromium through the DevTools protocol's virtual authenticator: a moderator
without a second factor is sent to set one up, adds a passkey, then logs in with it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import UserSession, WebAuthnCredential
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp


def _password_step(page, base, username):
    page.goto(base + "/auth/login")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_moderator_adds_a_passkey_and_logs_in_with_it(app, make, page, live_server):
    base = live_server.replace("127.0.0.1", "localhost")  # an IP address can't be a WebAuthn RP ID
    app.config["BOARD_WEBAUTHN_ORIGIN"] = base
    mod = make.user("mod", role="moderator", two_factor=False)
    _virtual_authenticator(page)

    _password_step(page, base, "mod")
    assert page.url.endswith("/settings/security")  # sent to set it up: no staff page yet
    page.goto(base + "/moderation")
    assert page.url.endswith("/settings/security")
    page.get_by_label("A name for this passkey").fill("Test key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/settings/security/new-codes")
    assert page.get_by_role("heading", name="Your recovery codes").count() == 1
    assert page.locator(".recovery-codes li").count() == 10
    page.goto(base + "/moderation")
    assert page.url.endswith("/moderation")
    with app.app_context():
        assert [c.name for c in db.session.scalars(select(WebAuthnCredential))] == ["Test key"]

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    _password_step(page, base, "mod")
    assert page.url.endswith("/auth/two-factor")
    assert page.get_by_role("button", name="Log out").count() == 0
    page.get_by_role("button", name="Use my passkey").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("button", name="Log out").count() == 1
    page.goto(base + "/moderation")
    assert page.url.endswith("/moderation")
    with app.app_context():
        methods = [s.second_factor for s in db.session.scalars(
            select(UserSession).where(UserSession.user_id == mod.id).order_by(UserSession.id))]
        assert methods[-1] == "passkey"
        assert db.session.scalar(select(WebAuthnCredential.last_used_at)) is not None
