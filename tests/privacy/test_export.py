"""Download my data: exactly the member's own data, nothing private of anyone else."""
from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.privacy.conftest import ALICE


def _export(client):
    r = client.post("/settings/privacy/export")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    return r.get_data(as_text=True), json.loads(r.get_data(as_text=True))


def test_privacy_page_is_for_members_and_noindex(client, make, login_as):
    assert client.get("/settings/privacy").status_code == 302
    login_as(make.user("alice"))
    html = client.get("/settings/privacy").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
    assert "Download my data" in html and "Delete my account" in html and "<legend>" in html


def test_export_needs_a_post(client, make, login_as):
    login_as(make.user("alice"))
    assert client.get("/settings/privacy/export").status_code == 405


def test_export_contains_the_members_own_data(client, world):
    login(client, world.alice)
    _raw, data = _export(client)
    assert data["account"]["email"] == ALICE["email"]
    assert data["profile"]["display_name"] == ALICE["display_name"]
    assert data["profile"]["city"] == ALICE["city"] and data["profile"]["bio"] == ALICE["bio"]
    dp = data["diagnosis_profile"]
    assert dp["subtype"] == {"value": "her2-positive", "label": "HER2-positive", "audience": "public"}
    assert dp["spread"]["value"] == ["liver", "brain"] or sorted(dp["spread"]["value"]) == ["brain", "liver"]
    assert dp["year"]["value"] == 2021
    bodies = {p["body"] for p in data["posts"]}
    assert {"Nervous about the gamma knife.", "Wondering how capecitabine went for you.",
            "Sending you strength from my kitchen."} <= bodies
    assert all(p["status"] == "published" for p in data["posts"])
    titles = {s["title"]: s["status"] for s in data["stories"]}
    assert titles == {"Knitting through chemo": "published", "The one nobody knows is mine": "published",
                      "Unfinished thoughts": "draft"}
    assert [r["note"] for r in data["reports_made"]] == ["Alice's report note about tone"]
    assert data["reports_made"][0]["about"] == {"post_id": world.carol_reply_id}
    assert data["stories_that_helped_me"] == [world.bob_story_id]
    settings = data["notification_settings"]
    assert settings["muted_members"] == ["carol"]
    assert [f.get("topic") for f in settings["follows"] if "topic" in f] == ["newly-diagnosed"]


@pytest.mark.parametrize("secret", [
    "bob.secret@example.org", "Bob's confidential report note", "Bob's private draft words", "Bob's secret draft",
    "triple-negative", "immunotherapy", "password_hash", "argon2", "session_token", "Thinking of you",
    "Same here, hang in there",
])
def test_export_has_nothing_of_others(client, world, secret):
    login(client, world.alice)
    raw, _ = _export(client)
    assert secret.lower() not in raw.lower()


def test_export_without_csrf_token_is_refused(app, client, world):
    login(client, world.alice)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/settings/privacy/export").status_code == 400
