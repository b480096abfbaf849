"""Pictures in posts: cleaned on arrival, reviewed for new members, served only to those who may see them."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from board.extensions import db
from board.models import Image, ModerationItem, Post, Thread
from tests.conftest import login
from tests.media import pictures

BOTH_MODES = pytest.mark.parametrize("app", [{"MEDIA_STORAGE": "filesystem"}, {"MEDIA_STORAGE": "database"}],
                                     indirect=True, ids=["filesystem", "database"])


def new_thread(client, *, title="Our garden this spring", body="The tulips came up!", files=None, alts=None,
               extra=None, topic="newly-diagnosed"):
    data = {"title": title, "body": body}
    for n, content in (files or {}).items():
        data[f"image_{n}"] = (io.BytesIO(content), f"photo{n}.jpg")
    for n, alt in (alts or {}).items():
        data[f"alt_{n}"] = alt
    data.update(extra or {})
    return client.post(f"/topics/{topic}/new", data=data, content_type="multipart/form-data")


def media_urls(html: str) -> list[str]:
    return re.findall(r'src="(/media/[0-9a-f]{64}\.(?:jpg|png))"', html)


def only_image(app) -> Image:
    with app.app_context():
        image = db.session.scalar(select(Image).where(Image.content_kind == "post"))
        db.session.expunge(image)
        return image


def thread_page(client, app):
    with app.app_context():
        thread = db.session.scalar(select(Thread).order_by(Thread.id.desc()))
        return client.get(f"/threads/{thread.id}").get_data(as_text=True)


@BOTH_MODES
def test_gps_and_camera_details_are_stripped_and_the_photo_is_turned_upright(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    original = pictures.jpeg(width=60, height=40, gps=True, orientation=6)
    assert b"PhoneMaker" in original and PILImage.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    response = new_thread(client, files={1: original}, alts={1: "Red tulips by the fence"})
    assert response.status_code == 302
    html = thread_page(client, app)
    assert 'alt="Red tulips by the fence"' in html and 'loading="lazy"' in html
    image = only_image(app)
    assert image.status == "published" and (image.width, image.height) == (40, 60)  # rotated by Orientation=6
    from board.media import storage

    for name in (image.name, image.thumb_name):
        with app.app_context():
            stored = storage.get(name)
        served = client.get(f"/media/{name}")
        assert served.status_code == 200 and served.data == stored
        for data in (stored, served.data):
            assert b"PhoneMaker" not in data and b"Exif" not in data and b"GPS" not in data
            opened = PILImage.open(io.BytesIO(data))
            assert not opened.getexif() and "exif" not in opened.info
            assert opened.size == (40, 60)
            # Orientation 6 means "turn 90° clockwise to view": the red left half ends up on top.
            rgb = opened.convert("RGB")
            assert rgb.getpixel((20, 5))[0] > 150 and rgb.getpixel((20, 5))[1] < 100
            assert rgb.getpixel((20, 55)) > (200, 200, 200)
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "default-src 'self'" in served.headers["Content-Security-Policy"]


def test_same_picture_twice_is_stored_once(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    photo = pictures.jpeg(width=800, height=600, gps=True)  # larger than a thumbnail
    new_thread(client, files={1: photo}, alts={1: "A scarf"})
    new_thread(client, title="Another thread here", files={1: photo, 2: photo}, alts={1: "A scarf", 2: "Again"})
    with app.app_context():
        images = db.session.scalars(select(Image)).all()
        assert len(images) == 3 and len({i.name for i in images}) == 1
    from pathlib import Path

    files = [p for p in Path(app.config["MEDIA_DIR"]).glob("*/*")]
    assert len(files) == 2  # the picture and its thumbnail


@pytest.mark.parametrize("content, message", [
    (pictures.gif(), "(GIF) isn't accepted"),
    (pictures.SVG, "SVG"),
    (b"just some text, not a picture", "isn't a picture we can read"),
    (pictures.jpeg()[:200], "isn't a picture we can read"),
    (pictures.bomb_png(), "too many pixels"),
    (pictures.jpeg() + b"PK\x03\x04hidden.zip", "something else hidden"),
], ids=["gif", "svg", "not-an-image", "truncated", "bomb", "polyglot"])
def test_refused_pictures_say_why_and_keep_the_form(app, client, make, content, message):
    member = make.user(trust_level=2)
    login(client, member)
    good = pictures.png()
    response = new_thread(client, title="Keep my title please", body="Keep my words too",
                          files={1: good, 2: content}, alts={1: "A green square", 2: "Something"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in unescape(html)
    assert "Keep my title please" in html and "Keep my words too" in html
    assert 'value="A green square"' in html and 'value="Something"' in html
    # The good picture is kept: sending the form again without choosing it posts it.
    token = re.search(r'name="kept_1" value="([^"]+)"', html).group(1)
    response = new_thread(client, title="Keep my title please", body="Keep my words too",
                          alts={1: "A green square"}, extra={"kept_1": token})
    assert response.status_code == 302
    with app.app_context():
        image = db.session.scalar(select(Image).where(Image.content_kind == "post"))
        assert image.alt == "A green square" and image.status == "published" and image.token is None
        assert db.session.scalar(select(Thread).where(Thread.title == "Keep my title please")) is not None


def test_too_large_is_refused_with_the_limit(app, client, make):
    app.config["BOARD_IMAGE_MAX_BYTES"] = 2000
    member = make.user(trust_level=2)
    login(client, member)
    response = new_thread(client, files={1: pictures.jpeg(width=400, height=400)}, alts={1: "Big"})
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)


def test_too_many_pixels_is_refused(app, client, make):
    app.config["BOARD_IMAGE_MAX_PIXELS"] = 100 * 100
    member = make.user(trust_level=2)
    login(client, member)
    response = new_thread(client, files={1: pictures.png(200, 200)}, alts={1: "Big"})
    assert response.status_code == 400
    assert "too many pixels" in response.get_data(as_text=True)


def test_alt_text_is_required_and_the_picture_is_kept(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    response = new_thread(client, files={1: pictures.jpeg()}, alts={1: "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "describe it for someone who can't see it" in unescape(html)
    assert "Describe the picture for someone who can't see it" in unescape(html)  # the hint
    assert re.search(r'name="kept_1" value="[^"]+"', html)
    with app.app_context():
        assert db.session.scalar(select(Thread)) is None


def test_heic_webp_and_animations_are_converted(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    response = new_thread(client, files={1: pictures.heic(), 2: pictures.webp(), 3: pictures.animated_webp(),
                                         4: pictures.png(alpha=True)},
                          alts={1: "Phone photo", 2: "Blue", 3: "Moving", 4: "See-through"})
    assert response.status_code == 302
    with app.app_context():
        images = db.session.scalars(select(Image).order_by(Image.position)).all()
        assert [i.name.rsplit(".", 1)[1] for i in images] == ["jpg", "jpg", "jpg", "png"]
        assert (images[2].width, images[2].height) == (30, 20)
    frame = PILImage.open(io.BytesIO(client.get(f"/media/{images[2].name}").data))
    assert getattr(frame, "n_frames", 1) == 1


def test_large_photos_are_resized_with_a_thumbnail(app, client, make):
    app.config["BOARD_IMAGE_MAX_SIDE"] = 300
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg(width=900, height=600)}, alts={1: "Wide"})
    image = only_image(app)
    assert (image.width, image.height) == (300, 200)
    assert max(image.thumb_width, image.thumb_height) <= 480


def test_silenced_member_gets_the_posting_refusal_and_nothing_is_kept(app, client, make):
    from datetime import timedelta

    from board.models import utcnow

    member = make.user(trust_level=2, silenced_until=utcnow() + timedelta(days=2))
    login(client, member)
    response = new_thread(client, files={1: pictures.jpeg()}, alts={1: "A photo"})
    assert response.status_code == 403
    assert "paused" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Image)) is None


def test_reply_with_a_picture(app, client, make):
    member = make.user(trust_level=2)
    thread = make.thread(member)
    login(client, member)
    response = client.post(f"/threads/{thread.id}/reply", content_type="multipart/form-data",
                           data={"body": "Here it is", "image_1": (io.BytesIO(pictures.png()), "x.png"),
                                 "alt_1": "A green square"})
    assert response.status_code == 302
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert 'alt="A green square"' in html and 'width="50" height="50"' in html


# ---------------------------------------------------------------- review

@BOTH_MODES
def test_new_members_picture_waits_for_review_while_the_post_appears(app, client, make):
    member = make.user(trust_level=1)
    moderator = make.user(role="moderator")
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "My scarf"})
    image = only_image(app)
    assert image.status == "pending"
    html = thread_page(client, app)
    assert "The tulips came up!" in html and "Image waiting for review" in html and media_urls(html) == []
    visitor = app.test_client()
    assert "Image waiting for review" in thread_page(visitor, app)
    assert visitor.get(f"/media/{image.name}").status_code == 404
    other = make.user()
    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(f"/media/{image.thumb_name}").status_code == 404
    own = client.get(f"/media/{image.thumb_name}")  # the author sees her own picture
    assert own.status_code == 200 and "no-store" in own.headers["Cache-Control"]
    with app.app_context():
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.content_kind == "image"))
        assert item.kind == "pending_image" and item.target_id == image.id
    mod_client = app.test_client()
    login(mod_client, moderator)
    card = mod_client.get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert 'class="media-blurred"' in card and "Show the picture" in card and "My scarf" in card
    assert mod_client.get(f"/media/{image.thumb_name}").status_code == 200
    response = mod_client.post(f"/moderation/items/{item.id}/approve", data={"note": ""})
    assert response.status_code in (302, 303)
    html = thread_page(visitor, app)
    assert "Image waiting for review" not in html and f"/media/{image.thumb_name}" in html
    public = visitor.get(f"/media/{image.thumb_name}")
    assert public.status_code == 200 and "immutable" in public.headers["Cache-Control"]


@BOTH_MODES
def test_moderator_removes_a_picture_and_the_post_stays(app, client, make):
    member = make.user(trust_level=2)
    reporter = make.user()
    moderator = make.user(role="moderator")
    login(client, member)
    new_thread(client, body="Words that stay", files={1: pictures.jpeg()}, alts={1: "A photo"})
    image = only_image(app)
    reporter_client = app.test_client()
    login(reporter_client, reporter)
    html = thread_page(reporter_client, app)
    assert f'href="/images/{image.id}/report"' in html
    assert reporter_client.get(f"/images/{image.id}/report").status_code == 200
    response = reporter_client.post(f"/images/{image.id}/report", data={"reason": "other", "note": "A document"})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.content_kind == "image"))
        assert item.kind == "report"
    mod_client = app.test_client()
    login(mod_client, moderator)
    response = mod_client.post(f"/moderation/items/{item.id}/remove", data={"note": "It shows a hospital letter"})
    assert response.status_code in (302, 303)
    html = thread_page(app.test_client(), app)
    assert "Words that stay" in html and "A moderator removed this picture" in html
    assert app.test_client().get(f"/media/{image.name}").status_code == 404
    assert client.get(f"/media/{image.name}").status_code == 404  # its author can't fetch it either
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert post.status == "published"
        from board.models import ModerationAction

        actions = [a.action for a in db.session.scalars(select(ModerationAction))]
        assert "remove" in actions


def test_own_picture_cannot_be_reported(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "A photo"})
    image = only_image(app)
    client.post(f"/images/{image.id}/report", data={"reason": "spam"})
    with app.app_context():
        assert db.session.scalar(select(ModerationItem)) is None


# ---------------------------------------------------------------- serving rules

@BOTH_MODES
def test_members_only_topic_pictures_are_not_served_to_visitors_and_never_cached(app, client, make):
    from board.models import Topic

    with app.app_context():
        topic = db.session.scalar(select(Topic).where(Topic.members_only.is_(True)))
        slug = topic.slug if topic is not None else None
        if slug is None:
            topic = db.session.scalar(select(Topic).order_by(Topic.id))
            topic.members_only = True
            slug = topic.slug
            db.session.commit()
    member = make.user(trust_level=2)
    login(client, member)
    assert new_thread(client, topic=slug, files={1: pictures.jpeg()}, alts={1: "Private"}).status_code == 302
    image = only_image(app)
    assert app.test_client().get(f"/media/{image.name}").status_code == 404
    other = app.test_client()
    login(other, make.user())
    response = other.get(f"/media/{image.name}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]


@BOTH_MODES
def test_deleted_post_and_unknown_names_are_404(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "A photo"})
    image = only_image(app)
    assert app.test_client().get(f"/media/{'0' * 64}.jpg").status_code == 404
    assert app.test_client().get("/media/../../config.py").status_code == 404
    assert app.test_client().get(f"/media/{image.name[:-3]}svg").status_code == 404
    with app.app_context():
        post = db.session.get(Post, image.content_id)
        from board.forum.services import delete_post
        from board.models import User

        delete_post(db.session.get(User, member.id), post)
        db.session.commit()
    assert app.test_client().get(f"/media/{image.name}").status_code == 404


def test_database_mode_picture_is_served_by_a_filesystem_mode_app(app, client, make):
    """Two application processes on different storage modes, one database."""
    from board import create_app

    app.config["MEDIA_STORAGE"] = "database"
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "Shared"})
    image = only_image(app)
    from pathlib import Path

    assert not list(Path(app.config["MEDIA_DIR"]).glob("*/*"))  # nothing on this machine's disk
    other_config = {k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
                                               "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI")}
    other = create_app({**other_config, "MEDIA_STORAGE": "filesystem",
                        "MEDIA_DIR": app.config["MEDIA_DIR"] + "-other-machine"})
    response = other.test_client().get(f"/media/{image.name}")
    assert response.status_code == 200 and response.data == client.get(f"/media/{image.name}").data
    with other.app_context():
        db.engine.dispose()


def test_editing_the_text_keeps_the_pictures(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "Still here"})
    image = only_image(app)
    response = client.post(f"/posts/{image.content_id}/edit", data={"title": "Our garden this spring",
                                                                     "body": "Edited words"})
    assert response.status_code == 302
    html = thread_page(client, app)
    assert "Edited words" in html and 'alt="Still here"' in html


def test_thread_page_offers_pictures_in_a_reply(app, client, make):
    member = make.user(trust_level=2)
    thread = make.thread(member)
    login(client, member)
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/threads/{thread.id}/reply">Reply with pictures' in html
    page = client.get(f"/threads/{thread.id}/reply").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="image_1"' in page and 'for="alt_1"' in page


@pytest.mark.ratelimit
def test_uploads_are_rate_limited_per_member(app, client, make):
    app.config["BOARD_IMAGE_UPLOADS_PER_HOUR"] = 2
    member = make.user(trust_level=2)
    login(client, member)
    codes = [client.post("/settings/picture", content_type="multipart/form-data",
                         data={"picture": (io.BytesIO(pictures.png()), "me.png")}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    # A form post without a picture doesn't count.
    assert client.post("/settings/picture", data={"action": "remove"}).status_code == 302


@BOTH_MODES
def test_the_media_route_is_cheap(app, client, make, count_queries):
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "A photo"})
    image = only_image(app)
    visitor = app.test_client()
    visitor.get(f"/media/{image.thumb_name}")
    with count_queries() as queries:
        assert visitor.get(f"/media/{image.thumb_name}").status_code == 200
    assert len(queries) <= 5, [str(q)[:80] for q in queries]


def test_reporting_a_picture_because_someone_may_be_at_risk_shows_where_to_get_help(app, client, make):
    member = make.user(trust_level=2)
    reporter = make.user()
    login(client, member)
    new_thread(client, body="This week", files={1: pictures.jpeg()}, alts={1: "A photo"})
    image = only_image(app)
    reporter_client = app.test_client()
    login(reporter_client, reporter)
    form_page = reporter_client.get(f"/images/{image.id}/report").get_data(as_text=True)
    assert f'href="/posts/{image.content_id}">Cancel</a>' in form_page  # back to the post, not nowhere
    response = reporter_client.post(f"/images/{image.id}/report", data={"reason": "at_risk", "note": ""},
                                    follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "A moderator will look at the picture soon" in page and "988" in page
