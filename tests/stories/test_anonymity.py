"""Anonymous means anonymous: no public page, attribute, link or feed connects the story to its author."""
from board.extensions import db
from board.models import Reaction, Story

SECRET_USERNAME = "wrenquill"
SECRET_DISPLAY = "Wren Quillfeather"
ANON_TEXT = "Some mornings I sit by the window and let the day arrive slowly, and that is enough for me."


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    found = []
    for needle in (SECRET_USERNAME, SECRET_DISPLAY.lower(), f"/users/{SECRET_USERNAME}", "quillfeather"):
        if needle in lowered:
            found.append(needle)
    return found


def test_anonymous_story_never_shows_username_display_name_or_profile_link(app, client, make, login_as, make_story):
    author = make.user(SECRET_USERNAME, display_name=SECRET_DISPLAY, city="Quillton", region="QZ")
    other = make.user("bob", display_name="Bob B")
    anon_id = make_story(author, title="Quiet mornings", body=ANON_TEXT, themes=("hope", "coping-and-outlook"),
                         prompt="what-gives-hope", signature="anonymous", first_name="Wren", last_initial="Q",
                         city="Quillton", featured=True)
    neighbour_id = make_story(other, title="Neighbour story", themes=("hope",), signature="display")
    reader = make.user("carol")
    with app.app_context():
        db.session.add(Reaction(story_id=anon_id, user_id=reader.id, kind="helped"))
        db.session.get(Story, anon_id).helped_count = 1
        db.session.commit()
        stored = db.session.get(Story, anon_id)
        # nothing identifying is even stored on the story beyond the author id
        assert (stored.signature, stored.sig_first_name, stored.sig_last_initial, stored.sig_city) == (
            "A member of Circle", "", "", "")

    pages = {
        "list": "/stories",
        "theme": "/stories?theme=hope",
        "other theme": "/stories?theme=coping-and-outlook",
        "prompt": "/stories?prompt=what-gives-hope",
        "theme+prompt": "/stories?theme=hope&prompt=what-gives-hope",
        "story": f"/stories/{anon_id}",
        "more stories": f"/stories/{neighbour_id}",
        "feed": "/stories/feed.atom",
        "home": "/",
    }

    def check(as_whom):
        for name, url in pages.items():
            r = client.get(url)
            assert r.status_code == 200, (as_whom, name)
            text = r.get_data(as_text=True)
            assert "Quiet mornings" in text, (as_whom, name)  # the page really shows the anonymous story
            assert _leaks(text) == [], (as_whom, name, _leaks(text))
            assert "Quillton" not in text and "Wren" not in text, (as_whom, name)
        profile = client.get(f"/users/{SECRET_USERNAME}").get_data(as_text=True)
        assert "Quiet mornings" not in profile and ANON_TEXT[:30] not in profile
        assert f"/stories/{anon_id}" not in profile

    check("visitor")
    assert "1 person found this helpful" in client.get(f"/stories/{anon_id}").text
    login_as(make.user("dave"))
    check("another member")
    report_page = client.get(f"/stories/{anon_id}/report").get_data(as_text=True)
    assert _leaks(report_page) == []
