"""Sessions (cookie flags, fresh session on login, production refusals) and response headers."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from board import create_app
from config import ProductionConfig
from tests.conftest import PASSWORD, _base_config, login

CSP = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


# ---------------------------------------------------------------- sessions

def _cookie(response, name):
    return next((c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")), None)


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, make):
    make.user("maryg")
    r = login(client, "maryg", remember="y")
    for name in ("session", "remember_token"):
        cookie = _cookie(r, name)
        assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, name


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY and ProductionConfig.REMEMBER_COOKIE_HTTPONLY
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_secure_flag_is_sent_when_configured(app, client, make):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    make.user("maryg")
    r = login(client, "maryg", remember="y")
    assert "Secure" in _cookie(r, "session") and "Secure" in _cookie(r, "remember_token")


def test_login_starts_a_fresh_session(client, make):
    make.user("maryg")
    with client.session_transaction() as s:
        s["planted"] = "by someone else"
    login(client, "maryg")
    with client.session_transaction() as s:
        assert "planted" not in s and s.get("_user_id", "").startswith(tuple("0123456789"))


def test_session_holds_the_rotating_token_not_just_the_id(app, client, make):
    user = make.user("maryg")
    login(client, "maryg")
    with client.session_transaction() as s:
        assert s["_user_id"].startswith(f"{user.id}:{user.session_token}:")


def test_unverified_login_is_reminded_to_confirm(client, make):
    make.user("newbie", verified=False)
    r = client.post("/auth/login", data={"username": "newbie", "password": PASSWORD}, follow_redirects=True)
    assert "Please confirm your email address" in r.get_data(as_text=True)


class _Prod(ProductionConfig):
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(_Prod)


def test_production_refuses_memory_limits_with_several_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    class Prod(_Prod):
        SECRET_KEY = "x" * 40
        RATELIMIT_STORAGE_URI = "memory://"

    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(Prod)


# ---------------------------------------------------------------- headers

@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/no-such-page", "/static/css/site.css",
                                  "/auth/verify/not-a-token", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    assert r.headers["Content-Security-Policy"].startswith(CSP)
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # only in production


def test_error_and_post_responses_carry_them_too(client):
    r = client.post("/auth/login", data={"username": "", "password": ""})
    assert r.status_code == 400 and r.headers["Content-Security-Policy"].startswith(CSP)


def test_hsts_for_a_year_in_production(app, client):
    app.config["ENV_NAME"] = "production"
    r = client.get("/")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_anonymous_public_pages_may_be_cached_but_members_pages_may_not(client, make, login_as):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login_as(make.user("maryg"))
    for path in ("/", "/topics/newly-diagnosed", "/users/maryg", "/settings/profile"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")


def test_every_moderation_page_is_no_store_even_for_visitors(app, client):
    paths = sorted({re.sub(r"<[^>]+>", "1", rule.rule) for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/moderation") and "GET" in rule.methods})
    for path in paths or ["/moderation"]:
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_profiles_and_account_pages_say_noindex(client, make, login_as):
    make.user("maryg")
    r = client.get("/users/maryg")
    assert '<meta name="robots" content="noindex">' in r.get_data(as_text=True)
    assert "noindex" in r.headers["X-Robots-Tag"]
    login_as("maryg")
    assert '<meta name="robots" content="noindex">' in client.get("/settings/account").get_data(as_text=True)


def test_templates_have_no_inline_script_style_or_event_handlers():
    """The CSP forbids them, so they would silently break; keep them out of every template."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text, re.I):
            problems.append(f"{path.name}: inline <script>")
        if re.search(r"\sstyle\s*=", text, re.I) or re.search(r"<style[\s>]", text, re.I):
            problems.append(f"{path.name}: style attribute or element")
        if re.search(r"\son[a-z]+\s*=", text, re.I):
            problems.append(f"{path.name}: on* event handler")
        if re.search(r"javascript:", text, re.I):
            problems.append(f"{path.name}: javascript: URL")
    assert problems == []


def test_token_pages_are_not_cached(app, client, make):
    user = make.user("maryg", verified=False)
    from board.auth.tokens import make_verify_token
    from board.extensions import db
    from board.models import User

    with app.test_request_context():
        token = make_verify_token(db.session.get(User, user.id))
    assert client.get(f"/auth/verify/{token}").headers["Cache-Control"] == "no-store"
