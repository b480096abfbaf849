"""Helpers for diagnosis-profile and "for you" tests."""
from __future__ import annotations

import pytest

from board.extensions import db
from tests.stories.conftest import StoryMaker


def set_diagnosis(app, user, **answers):
    """Store answers through the real service (audiences: `<field>_audience=`)."""
    from board.models import User
    from board.models.profile import DIAGNOSIS_FIELDS
    from board.profile import services

    audiences = {f: answers.pop(f"{f}_audience", "me") for f in DIAGNOSIS_FIELDS}
    with app.app_context():
        services.save_diagnosis(db.session.get(User, user.id), services.DiagnosisInput(audiences=audiences, **answers))
        db.session.commit()


@pytest.fixture
def diagnose(app):
    return lambda user, **answers: set_diagnosis(app, user, **answers)


@pytest.fixture
def make_story(app):
    return StoryMaker(app)
