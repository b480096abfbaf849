import pytest

from tests.stories.conftest import StoryMaker


@pytest.fixture
def make_story(app):
    return StoryMaker(app)
