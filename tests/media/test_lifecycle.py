"""Pictures in stories and messages, and their lifecycle: export, account deletion, withdrawn
stories, orphan clean-up, and backups that carry them (SQLite and PostgreSQL, both storage modes)."""
from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from board.extensions import db
from board.models import Image, MediaBlob, Story, User
from tests.conftest import TEST_DATABASE_URL, login
from tests.media import pictures
from tests.media.test_upload_and_serve import new_thread, only_image
from tests.stories.conftest import story_form

BOTH_MODES = pytest.mark.parametrize("app", [{"MEDIA_STORAGE": "filesystem"}, {"MEDIA_STORAGE": "database"}],
                                     indirect=True, ids=["filesystem", "database"])


def story_image(app) -> Image:
    with app.app_context():
        image = db.session.scalar(select(Image).where(Image.content_kind == "story"))
        db.session.expunge(image)
        return image


@BOTH_MODES
def test_story_pictures_show_only_once_the_story_does_and_stop_when_it_is_withdrawn(app, client, make):
    from board.stories.services import publish_story, withdraw_story

    author = make.user(trust_level=2)
    login(client, author)
    form = story_form(image_1=(io.BytesIO(pictures.jpeg(gps=True)), "garden.jpg"), alt_1="My garden in May")
    response = client.post("/stories/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    image = story_image(app)
    visitor = app.test_client()
    assert visitor.get(f"/media/{image.name}").status_code == 404  # the story waits for review
    assert client.get(f"/media/{image.name}").status_code == 200  # its author sees it
    with app.app_context():
        story = db.session.get(Story, image.content_id)
        publish_story(story, None)
        db.session.commit()
        story_id = story.id
    page = visitor.get(f"/stories/{story_id}").get_data(as_text=True)
    assert 'alt="My garden in May"' in page
    assert visitor.get(f"/media/{image.thumb_name}").status_code == 200
    with app.app_context():
        withdraw_story(db.session.get(User, author.id), db.session.get(Story, story_id))
        db.session.commit()
    assert visitor.get(f"/media/{image.name}").status_code == 404
    assert client.get(f"/media/{image.name}").status_code == 404  # withdrawn: not served at all


@BOTH_MODES
def test_message_pictures_reach_only_the_conversations_members(app, client, make):
    from tests.messages.conftest import friends

    alice, bob, carol = make.user("alice", trust_level=2), make.user("bob"), make.user("carol")
    mod = make.user(role="moderator")
    a, b = app.test_client(), app.test_client()
    login(a, alice)
    login(b, bob)
    friends(app, a, b, bob)
    with app.app_context():
        from board.models import Conversation

        conversation_id = db.session.scalar(select(Conversation.id))
    response = a.post(f"/messages/{conversation_id}/reply", content_type="multipart/form-data",
                      data={"body": "Look at this", "image_1": (io.BytesIO(pictures.png()), "x.png"),
                            "alt_1": "My new wig"})
    assert response.status_code == 302
    with app.app_context():
        image = db.session.scalar(select(Image).where(Image.content_kind == "message"))
        assert image.status == "published"
    assert 'alt="My new wig"' in b.get(f"/messages/{conversation_id}").get_data(as_text=True)
    seen = b.get(f"/media/{image.name}")
    assert seen.status_code == 200 and "no-store" in seen.headers["Cache-Control"]
    c = app.test_client()
    login(c, carol)
    assert c.get(f"/media/{image.name}").status_code == 404
    assert app.test_client().get(f"/media/{image.name}").status_code == 404
    m = app.test_client()
    login(m, mod)
    assert m.get(f"/media/{image.name}").status_code == 404  # moderators don't browse conversations


def test_export_holds_the_pictures_and_deletion_removes_them(app, client, make):
    member = make.user(trust_level=2, password="a long test password 123")
    other = make.user(trust_level=2)
    login(client, member, "a long test password 123")
    new_thread(client, files={1: pictures.jpeg(width=700, height=500)}, alts={1: "The hospice garden"})
    image = only_image(app)
    served = client.get(f"/media/{image.name}").data
    # Another member's identical picture shares the file: it must survive her deletion.
    other_client = app.test_client()
    login(other_client, other)
    new_thread(other_client, title="The same picture here", files={1: pictures.jpeg(width=700, height=500)},
               alts={1: "Same"})
    response = client.post("/settings/privacy/export", data={})
    data = json.loads(response.get_data(as_text=True))
    (picture,) = data["pictures"]
    assert picture["description"] == "The hospice garden" and picture["file"] == image.name
    assert base64.b64decode(picture["data_base64"]) == served
    response = client.post("/settings/privacy/delete", data={"delete-password": "a long test password 123",
                                                             "delete-mode": "remove", "delete-confirm": "y"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    with app.app_context():
        assert db.session.scalars(select(Image).where(Image.owner_id == member.id)).all() == []
        assert db.session.get(User, member.id).avatar_media is None
    assert app.test_client().get(f"/media/{image.name}").status_code == 200  # the other member's copy
    files = {p.name for p in Path(app.config["MEDIA_DIR"]).glob("*/*")}
    assert image.name in files


def test_deleting_the_only_user_of_a_file_removes_the_file(app, client, make):
    member = make.user(trust_level=2, password="a long test password 123")
    login(client, member, "a long test password 123")
    new_thread(client, files={1: pictures.jpeg(width=700, height=500)}, alts={1: "Mine only"})
    image = only_image(app)
    client.post("/settings/privacy/delete", data={"delete-password": "a long test password 123",
                                                  "delete-mode": "keep", "delete-confirm": "y"})
    assert {p.name for p in Path(app.config["MEDIA_DIR"]).glob("*/*")} == set()
    assert app.test_client().get(f"/media/{image.name}").status_code == 404


@BOTH_MODES
def test_clean_orphans_removes_unsent_uploads_and_unused_files(app, client, make, runner):
    from datetime import timedelta

    from board.media import storage
    from board.models import utcnow

    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg()}, alts={1: "Posted"})
    kept = only_image(app)
    new_thread(client, title="x", files={1: pictures.png()}, alts={1: "Never sent"})  # refused: short title
    with app.app_context():
        unsent = db.session.scalar(select(Image).where(Image.status == "upload"))
        unsent.created_at = utcnow() - timedelta(days=2)
        storage.put("f" * 64 + ".jpg", b"stray", "image/jpeg")
        db.session.commit()
        unsent_name = unsent.name
    result = runner.invoke(args=["media", "clean-orphans"])
    assert result.exit_code == 0 and "Removed 1 unsent upload(s)" in result.output, result.output
    with app.app_context():
        assert storage.get(unsent_name) is None and storage.get("f" * 64 + ".jpg") is None
        assert storage.get(kept.name) is not None
        assert db.session.scalar(select(Image).where(Image.status == "upload")) is None


@BOTH_MODES
def test_backup_and_restore_carry_the_pictures(app, client, make, runner, tmp_path):
    if TEST_DATABASE_URL and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    member = make.user(trust_level=2)
    login(client, member)
    new_thread(client, files={1: pictures.jpeg(width=700, height=500)}, alts={1: "Backed up"})
    image = only_image(app)
    original = client.get(f"/media/{image.name}").data
    target = tmp_path / "backups" / ("circle.dump" if TEST_DATABASE_URL else "circle.sqlite")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    archive = target.with_name(target.name + ".media.tar")
    assert archive.exists() == (app.config["MEDIA_STORAGE"] == "filesystem")
    # Disaster: the pictures' rows, blobs and files are gone.
    with app.app_context():
        db.session.execute(delete(Image))
        db.session.execute(delete(MediaBlob))
        db.session.commit()
    shutil.rmtree(app.config["MEDIA_DIR"], ignore_errors=True)
    assert app.test_client().get(f"/media/{image.name}").status_code == 404
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
    response = app.test_client().get(f"/media/{image.name}")
    assert response.status_code == 200 and response.data == original


def test_restore_ignores_archive_members_that_are_not_picture_files(app, tmp_path):
    import tarfile

    from board.media import backup

    target = tmp_path / "b.sqlite"
    with tarfile.open(backup.archive_path(target), "w") as tar:
        for name, data in (("../../evil.sh", b"rm -rf /"), ("ab/" + "a" * 64 + ".jpg", b"not the hash")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with app.app_context():
        assert backup.restore_archive(target) == 0
    assert not (tmp_path.parent / "evil.sh").exists()


def test_storing_bytes_another_request_just_stored_is_harmless(app, monkeypatch):
    """Database mode: two uploads of the same photo at once insert the same blob name."""
    from board.media import storage

    app.config["MEDIA_STORAGE"] = "database"
    name = "e" * 64 + ".jpg"
    with app.app_context():
        db.session.add(MediaBlob(name=name, content_type="image/jpeg", data=b"same"))
        db.session.flush()
        # The existence check misses the other request's row (not yet committed when it looked).
        real_select = storage.select
        monkeypatch.setattr(storage, "select", lambda *a: real_select(*a).where(MediaBlob.name == "not-yet"))
        storage.put(name, b"same", "image/jpeg")
        monkeypatch.undo()
        db.session.commit()
        assert storage.get(name) == b"same"


def test_a_refused_story_keeps_its_picture_and_description(app, client, make):
    author = make.user(trust_level=2)
    login(client, author)
    form = story_form(consent=None, image_1=(io.BytesIO(pictures.png()), "p.png"), alt_1="Our dog Biscuit")
    response = client.post("/stories/new", data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Our dog Biscuit"' in html and 'name="kept_1"' in html and "The notebook by my bed" in html


def test_a_refused_message_keeps_its_picture(app, client, make):
    alice = make.user("alice", trust_level=2)
    login(client, alice)
    response = client.post("/messages/new", content_type="multipart/form-data",
                           data={"to": "nobody-by-that-name", "body": "Hello",
                                 "image_1": (io.BytesIO(pictures.png()), "p.png"), "alt_1": "A sunset"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="A sunset"' in html and 'name="kept_1"' in html
