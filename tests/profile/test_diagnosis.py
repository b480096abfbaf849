"""The optional diagnosis profile: form, validation and per-field audience on the public profile."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import DiagnosisProfile
from tests.conftest import login


def _form(**overrides):
    data = {
        "subtype": "her2-positive", "subtype_audience": "public",
        "spread": ["brain", "bone"], "spread_audience": "members",
        "treatment": "targeted", "treatment_audience": "me",
        "origin": "recurrence", "origin_audience": "members",
        "year": "2023", "year_audience": "public",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _profile(app, user):
    with app.app_context():
        return db.session.get(DiagnosisProfile, user.id)


def test_settings_page_needs_login_and_is_noindex(client, make, login_as):
    assert client.get("/settings/diagnosis").status_code == 302
    login_as(make.user("alice"))
    page = client.get("/settings/diagnosis")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
    assert "<legend>" in html and "Only me" in html


def test_saving_answers_with_audiences(app, client, make, login_as):
    alice = make.user("alice")
    login_as(alice)
    r = client.post("/settings/diagnosis", data=_form())
    assert r.status_code == 302
    p = _profile(app, alice)
    assert (p.subtype, p.spread, p.treatment, p.origin, p.year) == (
        "her2-positive", ["bone", "brain"], "targeted", "recurrence", 2023)
    assert (p.subtype_audience, p.spread_audience, p.treatment_audience) == ("public", "members", "me")


def test_audience_defaults_to_only_me(app, client, make, login_as):
    alice = make.user("alice")
    login_as(alice)
    client.post("/settings/diagnosis", data={"subtype": "triple-negative"})
    p = _profile(app, alice)
    assert p.subtype == "triple-negative" and p.subtype_audience == "me"
    import re

    html = client.get("/settings/diagnosis").get_data(as_text=True)
    checked_me = re.findall(r'<input checked id="\w+_audience-0" name="(\w+)_audience" type="radio" value="me">', html)
    assert sorted(checked_me) == ["origin", "spread", "subtype", "treatment", "year"]
    client.post("/auth/logout")
    assert "Triple-negative" not in client.get("/users/alice").get_data(as_text=True)


def test_unknown_values_are_form_errors_never_500(app, client, make, login_as):
    alice = make.user("alice")
    login_as(alice)
    for bad in ({"subtype": "stage-5"}, {"spread": ["brain", "heart"]}, {"treatment": "magic"},
                {"origin": "x"}, {"year": "20x4"}, {"year": "1200"}, {"year": "3000"},
                {"subtype_audience": "friends"}, {"year_audience": ""}, {"spread": ["<script>"]}):
        r = client.post("/settings/diagnosis", data=_form(**bad))
        assert r.status_code == 400, bad
        assert "Please check the form" in r.get_data(as_text=True)
    assert _profile(app, alice) is None


def test_clearing_every_answer_deletes_the_row(app, client, make, login_as):
    alice = make.user("alice")
    login_as(alice)
    client.post("/settings/diagnosis", data=_form())
    assert _profile(app, alice) is not None
    r = client.post("/settings/diagnosis", data={"subtype": "", "treatment": "", "origin": "", "year": ""})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(DiagnosisProfile)).all() == []


def test_each_field_shows_to_its_own_audience(app, client, make, login_as):
    alice = make.user("alice")
    bob = make.user("bob")
    login_as(alice)
    client.post("/settings/diagnosis", data=_form())
    # Self: everything, with who sees it
    own = client.get("/users/alice").get_data(as_text=True)
    for text in ("HER2-positive", "Bone, Brain", "Targeted therapy", "A recurrence", "2023"):
        assert text in own
    assert "seen by: only me" in own
    client.post("/auth/logout")
    # Anonymous: public fields only
    anon = client.get("/users/alice").get_data(as_text=True)
    assert "HER2-positive" in anon and "2023" in anon
    assert "Bone, Brain" not in anon and "Targeted therapy" not in anon and "A recurrence" not in anon
    assert "seen by" not in anon
    # Another member: public and members fields, never "only me"
    login(client, bob)
    member = client.get("/users/alice").get_data(as_text=True)
    assert "HER2-positive" in member and "Bone, Brain" in member and "A recurrence" in member and "2023" in member
    assert "Targeted therapy" not in member


def test_visible_diagnosis_fields_is_pure(app, make):
    from types import SimpleNamespace

    from board.profile.services import visible_diagnosis_fields

    owner = SimpleNamespace(id=1, deleted_at=None)
    profile = DiagnosisProfile(user_id=1, subtype="not-sure", spread=["liver"], treatment="", origin="", year=None,
                               subtype_audience="members", spread_audience="public", treatment_audience="me",
                               origin_audience="me", year_audience="me")
    anon = SimpleNamespace(is_authenticated=False)
    member = SimpleNamespace(is_authenticated=True, id=2, deleted_at=None)
    me = SimpleNamespace(is_authenticated=True, id=1, deleted_at=None)
    assert [f.field for f in visible_diagnosis_fields(owner, anon, profile)] == ["spread"]
    assert [f.field for f in visible_diagnosis_fields(owner, member, profile)] == ["subtype", "spread"]
    assert [f.field for f in visible_diagnosis_fields(owner, me, profile)] == ["subtype", "spread"]
    assert visible_diagnosis_fields(owner, None, None) == []
