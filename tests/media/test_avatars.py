"""Profile pictures: the member's square, reviewed for low trust; initials otherwise; no SQL to show."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

from PIL import Image as PILImage
from sqlalchemy import select

from board.extensions import db
from board.media.avatars import avatar_html
from board.models import Image, ModerationItem, User
from tests.conftest import login
from tests.media import pictures


def send_picture(client, data, **crop):
    form = {"picture": (io.BytesIO(data), "me.jpg"), **{k: str(v) for k, v in crop.items()}}
    return client.post("/settings/picture", data=form, content_type="multipart/form-data")


def test_initials_avatar_is_stable_decorative_and_has_no_inline_style():
    maria = SimpleNamespace(id=12, username="maria_g", display_name="Maria Garcia", deleted_at=None, avatar_media=None)
    html = str(avatar_html(maria))
    assert html == str(avatar_html(maria))
    assert 'aria-hidden="true"' in html and ">MG<" in html and "avatar-c4" in html and "style=" not in html
    gone = SimpleNamespace(id=3, username="x", display_name="", deleted_at="yesterday", avatar_media="a" * 64 + ".jpg")
    assert "avatar-none" in str(avatar_html(gone)) and "<img" not in str(avatar_html(gone))
    assert "avatar-none" in str(avatar_html(None))
    pictured = SimpleNamespace(id=5, username="p", display_name="", deleted_at=None, avatar_media="b" * 64 + ".jpg")
    img = str(avatar_html(pictured, 40, "/circle"))
    assert f'src="/circle/media/{"b" * 64}.jpg"' in img and 'alt=""' in img and 'width="40" height="40"' in img


def test_established_member_chooses_a_square_and_it_shows_beside_her_posts(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    photo = pictures.jpeg(width=300, height=200, gps=True)  # red left half, white right half
    response = send_picture(client, photo, crop_x=0, crop_y=0, crop_size=1)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, member.id)
        image = db.session.scalar(select(Image).where(Image.content_kind == "avatar"))
        assert user.avatar_media == image.thumb_name and image.status == "published"
    square = PILImage.open(io.BytesIO(client.get(f"/media/{image.name}").data))
    assert square.size == (200, 200) and not square.getexif()
    assert square.convert("RGB").getpixel((10, 100))[1] < 100  # the left (red) part she chose
    thread = make.thread(member)
    html = app.test_client().get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'src="/media/{image.thumb_name}"' in html
    profile = app.test_client().get(f"/users/{member.username}").get_data(as_text=True)
    assert f"/media/{image.thumb_name}" in profile


def test_new_members_picture_waits_and_initials_show_until_approved(app, client, make):
    member = make.user(trust_level=1, display_name="June Park")
    moderator = make.user(role="moderator")
    login(client, member)
    assert send_picture(client, pictures.jpeg(width=100, height=100)).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).avatar_media is None
        image = db.session.scalar(select(Image).where(Image.content_kind == "avatar"))
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.content_kind == "image"))
        assert image.status == "pending" and item.kind == "pending_image"
    page = client.get("/settings/picture").get_data(as_text=True)
    assert "waiting for a moderator" in page, page[page.find("<main"):]
    assert app.test_client().get(f"/media/{image.thumb_name}").status_code == 404
    profile = app.test_client().get(f"/users/{member.username}").get_data(as_text=True)
    assert ">JP<" in profile
    mod = app.test_client()
    login(mod, moderator)
    assert mod.post(f"/moderation/items/{item.id}/approve", data={}).status_code in (302, 303)
    with app.app_context():
        assert db.session.get(User, member.id).avatar_media == image.thumb_name
    assert app.test_client().get(f"/media/{image.thumb_name}").status_code == 200


def test_refused_profile_picture_says_why(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    response = send_picture(client, pictures.SVG)
    assert response.status_code == 400 and "SVG" in response.get_data(as_text=True)


def test_removing_the_picture_brings_back_the_initials(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    send_picture(client, pictures.jpeg())
    assert client.post("/settings/picture", data={"action": "remove"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).avatar_media is None


def test_thread_page_query_count_is_unchanged_with_avatars(app, client, make, count_queries):
    members = [make.user(trust_level=2) for _ in range(3)]
    for m in members:
        c = app.test_client()
        login(c, m)
        send_picture(c, pictures.jpeg(colour=(m.id * 40 % 255, 10, 10)))
    thread = make.thread(members[0], replies=0)
    for m in members[1:]:
        make.reply(m, thread, "Me too")
    login(client, members[0])
    client.get(f"/threads/{thread.id}")
    with count_queries() as queries:
        html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert len(queries) <= 6
    assert len(set(re.findall(r'class="avatar avatar-32" src="(/media/[^"]+)"', html))) == 3


def test_an_approved_picture_shows_at_once_on_a_thread_page_members_already_read(app, make):
    """The members' shared part of the thread page (board/forum/shared_parts.py) is cached: the new
    picture must replace the initials the moment a moderator approves it, not when the cache expires."""
    author = make.user(trust_level=1, display_name="June Park")
    reader = make.user(trust_level=2)
    moderator = make.user(role="moderator")
    thread = make.thread(author, title="Small wins this week")
    others = app.test_client()
    login(others, reader)
    before = others.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert ">JP<" in before
    own = app.test_client()
    login(own, author)
    assert send_picture(own, pictures.jpeg(width=120, height=120)).status_code == 302
    with app.app_context():
        image = db.session.scalar(select(Image).where(Image.content_kind == "avatar"))
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.content_kind == "image"))
    assert f'src="/media/{image.thumb_name}"' not in others.get(f"/threads/{thread.id}").get_data(as_text=True)
    mod = app.test_client()
    login(mod, moderator)
    assert mod.post(f"/moderation/items/{item.id}/approve", data={}).status_code in (302, 303)
    after = others.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'src="/media/{image.thumb_name}"' in after
