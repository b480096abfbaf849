"""Two-factor authentication: the authenticator app, recovery codes, staff enforcement,
the admin's reset, and passkey responses that must be refused (not crash)."""
from __future__ import annotations

import base64
import json
import re

import pyotp
import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import ModerationAction, RecoveryCode, TotpSecret, User
from tests.conftest import PASSWORD, login, session_login, totp_code


def _set_up_app(app, client):
    """Walk through /settings/security/app; returns (secret, recovery codes)."""
    page = client.get("/settings/security/app").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    r = client.post("/settings/security/app", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert r.status_code == 400 and "Check the time on your phone" in r.get_data(as_text=True)
    r = client.post("/settings/security/app", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", r.get_data(as_text=True))
    return secret, codes


def _log_in_password_only(client, name):
    return client.post("/auth/login", data={"username": name, "password": PASSWORD})


def test_member_sets_up_the_app_and_then_needs_a_code_to_log_in(app, client, make):
    user = make.user("maryg")
    login(client, user)
    secret, codes = _set_up_app(app, client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        row = db.session.get(TotpSecret, user.id)
        assert row.confirmed_at is not None and row.secret == secret
        stored = list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
        assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    assert "Two-factor authentication is <strong>on</strong>" in client.get("/settings/security").get_data(as_text=True)

    other = app.test_client()
    r = _log_in_password_only(other, "maryg")
    assert r.status_code == 302 and r.location.endswith("/auth/two-factor")
    assert other.get("/settings/account").status_code == 302  # the password alone opens nothing
    r = other.post("/auth/two-factor", data={"code": "12345"})
    assert r.status_code == 400 and "Codes change every 30 seconds" in r.get_data(as_text=True)
    r = other.post("/auth/two-factor", data={"code": totp_code(app, user.id)})
    assert r.status_code == 302
    assert other.get("/settings/account").status_code == 200


def test_a_used_code_cannot_be_replayed_within_its_window(app, make):
    user = make.user("maryg", two_factor=True)
    first, second = app.test_client(), app.test_client()
    code = totp_code(app, user.id)
    _log_in_password_only(first, "maryg")
    assert first.post("/auth/two-factor", data={"code": code}).status_code == 302
    _log_in_password_only(second, "maryg")
    r = second.post("/auth/two-factor", data={"code": code})
    assert r.status_code == 400
    assert second.get("/settings/account").status_code == 302


def test_recovery_codes_work_once_and_tell_the_owner(app, client, make, smtp, deliver):
    user = make.user("maryg")
    login(client, user)
    _, codes = _set_up_app(app, client)
    deliver()
    smtp.clear()
    for attempt, expected in ((codes[3], 302), (codes[3], 400), (codes[4].upper().replace("-", " "), 302)):
        c = app.test_client()
        _log_in_password_only(c, "maryg")
        r = c.post("/auth/two-factor/recovery", data={"recovery_code": attempt})
        assert r.status_code == expected, attempt
    deliver()
    subjects = [m["Subject"] for m in smtp.to("maryg@example.org")]
    assert subjects.count("A recovery code was used to log in to Circle") == 2
    assert "you have 8 left" in smtp.body(smtp.to("maryg@example.org")[-1]) or \
        any("you have 8 left" in smtp.body(m) for m in smtp.to("maryg@example.org"))


def test_turning_the_app_off_needs_the_password_and_mails_the_owner(app, client, make, smtp, deliver):
    user = make.user("maryg")
    login(client, user)
    _set_up_app(app, client)
    assert client.post("/settings/security/app/off", data={"password": "wrong one"}).status_code == 400
    r = client.post("/settings/security/app/off", data={"password": PASSWORD})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(TotpSecret, user.id) is None
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    deliver()
    assert "Two-factor authentication was turned off on your Circle account" in [
        m["Subject"] for m in smtp.to("maryg@example.org")]
    assert _log_in_password_only(app.test_client(), "maryg").location.endswith("/")


def test_staff_cannot_turn_off_their_last_second_factor(app, client, make):
    mod = make.user("mod", role="moderator")
    login(client, mod)
    client.post("/settings/security/app/off", data={"password": PASSWORD})
    with app.app_context():
        assert db.session.get(TotpSecret, mod.id) is not None


@pytest.mark.ratelimit
def test_wrong_codes_are_counted_against_a_limit(app, make):
    make.user("maryg", two_factor=True)
    c = app.test_client()
    _log_in_password_only(c, "maryg")
    codes = [c.post("/auth/two-factor", data={"code": "000001"}).status_code for _ in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429


# ---------------------------------------------------------------- staff must have it

def _staff_routes(app):
    """Every route a moderator or admin can use that a member can't, from the URL map:
    moderation.*, anything under /moderation, and every view wrapped by require_role."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        wrapped = getattr(view, "__wrapped__", None)
        guarded = wrapped is not None and "require_role" in getattr(view, "__qualname__", "")
        if rule.endpoint.startswith("moderation.") or rule.rule.startswith("/moderation") or guarded:
            found.append(rule)
    return found


def _url(rule):
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", "1", url)
    return url


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_without_a_second_factor_reach_no_staff_page(app, client, make, role):
    make.user("alice")
    staff = make.user("staffer", role=role, two_factor=False)
    r = login(client, staff)
    assert r.status_code == 302
    routes = _staff_routes(app)
    assert len(routes) > 30
    assert {"moderation.queue", "moderation.health_dashboard", "privacy.topics"} <= {r.endpoint for r in routes}
    failures = []
    for rule in routes:
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = client.open(_url(rule), method=method)
            if not (response.status_code in (302, 303) and "/settings/security" in response.location):
                failures.append(f"{method} {rule.rule}: {response.status_code}")
    assert failures == []
    assert client.get("/").location.endswith("/settings/security")  # nor any other page
    assert client.get("/settings/security").status_code == 200
    _set_up_app(app, client)
    assert client.get("/moderation").status_code == 200
    assert client.get("/moderation/health").status_code == 200


def test_a_staff_session_never_confirmed_with_a_second_factor_is_ended(app, client, make):
    mod = make.user("mod", role="moderator")
    session_login(app, client, mod, second_factor="")
    r = client.get("/moderation")
    assert r.status_code == 302 and "/auth/login" in r.location
    assert client.get("/settings/account").status_code == 302


def test_set_role_to_moderator_sends_them_to_set_up_two_factor(app, client, make, runner):
    make.user("maryg")
    result = runner.invoke(args=["users", "set-role", "maryg", "moderator"])
    assert result.exit_code == 0 and "set up two-factor" in result.output
    r = login(client, "maryg")
    assert r.status_code == 302
    r = client.get("/moderation")
    assert r.status_code == 303 and r.location.endswith("/settings/security")


def test_admin_resets_a_lost_second_factor_with_an_audit_row(app, client, make, runner, smtp, deliver):
    boss = make.user("boss", role="admin")
    user = make.user("maryg", two_factor=True)
    login(client, user)
    result = runner.invoke(args=["users", "reset-2fa", "maryg", "--reason", "lost phone, checked by video call",
                                 "--admin", "boss"])
    assert result.exit_code == 0, result.output
    assert client.get("/settings/account").status_code == 302  # every session ended
    with app.app_context():
        assert db.session.get(TotpSecret, user.id) is None
        row = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "second_factor_reset"))
        assert row.target_user_id == user.id and row.moderator_id == boss.id and "video call" in row.reason
    deliver()
    assert "Two-factor authentication was reset on your Circle account" in [
        m["Subject"] for m in smtp.to("maryg@example.org")]
    assert runner.invoke(args=["users", "reset-2fa", "ghost", "--reason", "x"]).exit_code != 0


# ---------------------------------------------------------------- passkey responses that must be refused

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'{"credential": "x"}', b'{"credential": {"id": 5, "response": []}}',
    b'{"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "!!", "attestationObject": "??"}}}',
    json.dumps({"credential": {"id": "A" * 5000}}).encode(),
])
def test_malformed_passkey_registrations_are_refused_not_500(app, client, make, body):
    login(client, make.user("maryg"))
    assert client.post("/settings/security/passkeys/options").status_code == 200
    r = client.post("/settings/security/passkeys", data=body, content_type="application/json")
    assert r.status_code == 400 and r.get_json()["ok"] is False


def test_a_passkey_made_for_another_origin_is_refused(app, client, make):
    login(client, make.user("maryg"))
    options = client.post("/settings/security/passkeys/options").get_json()
    client_data = json.dumps({"type": "webauthn.create", "challenge": options["challenge"],
                              "origin": "https://circle.evil.example"}).encode()
    credential = {"id": _b64(b"key"), "rawId": _b64(b"key"), "type": "public-key",
                  "response": {"clientDataJSON": _b64(client_data), "attestationObject": _b64(b"\xa0")}}
    r = client.post("/settings/security/passkeys", json={"credential": credential, "name": "Evil"})
    assert r.status_code == 400 and "couldn't be added" in r.get_json()["error"]


@pytest.mark.parametrize("body", [b"nonsense", b"{}", b'{"rawId": "@@@"}', b'{"id": "AAAA", "response": {}}'])
def test_malformed_passkey_logins_are_refused_not_500(app, make, body):
    make.user("maryg", two_factor=True)
    c = app.test_client()
    _log_in_password_only(c, "maryg")
    r = c.post("/auth/two-factor/passkey", data=body, content_type="application/json")
    assert r.status_code == 400
    assert c.get("/settings/account").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "maryg")) is not None
