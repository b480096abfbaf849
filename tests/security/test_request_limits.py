"""Request-size limits in the app (Flask test client): a body over the limit is refused
with a kind 413 before anything reads it, and no error page shows back more of a
posted form than its fields may hold. The same against gunicorn, with raw sockets, is
in tests/security/test_request_limits_server.py.
"""
from __future__ import annotations

import io

import flask
import pytest
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from board import create_app, limits
from board.limits import NOTE_MAX, POST_BODY_MAX, POST_TITLE_MAX, describe_size, larger_body

LIMIT = 2 * 1024 * 1024
# A normal page is well under 20 KB; an error page may add the three kept fields (at most 4
# bytes a character as UTF-8, and escaping only grows "&<>'\"", not used below).
PAGE_BUDGET = 20_000 + POST_TITLE_MAX + POST_BODY_MAX + NOTE_MAX + 1_000


def _oversized_form() -> dict:
    return {"title": "t" * 50_000, "body": "b" * (LIMIT + 10), "note": "n" * 50_000}


def _big_but_allowed_form() -> dict:
    """A form just under the limit, each field far over what it may hold."""
    return {"title": "T" * 100_000, "body": "B" * (LIMIT - 300_000), "note": "N" * 100_000}


def _assert_kind_413(r):
    page = r.get_data(as_text=True)
    assert r.status_code == 413
    assert "That was more than Circle can take in one go" in page
    assert "Back button" in page
    assert f"up to {POST_BODY_MAX:,} characters" in page and "up to 2 MB" in page
    assert "Your text, so it isn't lost" not in page  # nothing was read, so nothing is shown back
    assert len(r.data) < 20_000


def test_default_limit_is_two_megabytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT
    assert app.config["MAX_FORM_MEMORY_SIZE"] > 4 * POST_BODY_MAX  # a post in 4-byte characters fits
    assert 50 <= app.config["MAX_FORM_PARTS"] <= 1000


def test_board_max_request_bytes_sets_the_limit(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("BOARD_MAX_REQUEST_BYTES", "123456")
    try:
        importlib.reload(config)
        assert config.Config.MAX_CONTENT_LENGTH == 123456
    finally:
        monkeypatch.delenv("BOARD_MAX_REQUEST_BYTES")
        importlib.reload(config)
    assert config.Config.MAX_CONTENT_LENGTH == LIMIT


@pytest.mark.parametrize("bad", [0, -1, None, "lots"])
def test_circle_refuses_to_start_without_a_body_limit(bad):
    with pytest.raises(RuntimeError, match="MAX_CONTENT_LENGTH"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "MAX_CONTENT_LENGTH": bad})


def test_anonymous_oversized_login_is_refused_kindly(client):
    _assert_kind_413(client.post("/auth/login", data=_oversized_form()))


@pytest.mark.csrf
def test_oversized_post_is_refused_before_csrf_reads_it(client):
    _assert_kind_413(client.post("/auth/login", data=_oversized_form()))


@pytest.mark.parametrize("method, path", [
    ("POST", "/search"),          # 405 without a limit
    ("POST", "/no/such/page"),    # 404
    ("GET", "/"),                 # a page that never reads a body
    ("PUT", "/auth/login"),
])
def test_oversized_body_is_refused_whatever_the_address_and_method(client, method, path):
    _assert_kind_413(client.open(path, method=method, data=_oversized_form()))


def test_oversized_reply_from_a_member_is_refused_and_nothing_is_posted(app, client, make, login_as):
    from sqlalchemy import func, select

    from board.extensions import db
    from board.models import Post

    thread = make.thread(make.user("alice"))
    login_as(make.user("bob"))
    r = client.post(f"/threads/{thread.id}/reply", data={"body": "x" * (LIMIT + 1)})
    _assert_kind_413(r)
    # The reply form takes pictures, so an 11 MB file is read, then refused as a picture too
    # large (10 MB each), with her words kept; nothing is posted.
    r = client.post(f"/threads/{thread.id}/reply", content_type="multipart/form-data", data={
        "body": "A short reply", "image_1": (io.BytesIO(b"\0" * 11_000_000), "big.jpg"), "alt_1": "A photo",
    })
    assert r.status_code == 400
    assert "too large" in r.get_data(as_text=True) and "A short reply" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post).where(Post.thread_id == thread.id)) == 1


def test_a_multipart_text_part_over_the_form_memory_limit_is_refused(app, client, make, login_as):
    thread = make.thread(make.user("alice"))
    login_as(make.user("bob"))
    r = client.post(f"/threads/{thread.id}/reply", content_type="multipart/form-data",
                    data={"body": "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)})
    assert r.status_code == 413


def test_too_many_multipart_parts_are_refused(app, client):
    parts = {f"f{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    r = client.post("/auth/login", content_type="multipart/form-data", data=parts)
    assert r.status_code == 413


def test_a_413_for_json_clients_is_json(client):
    r = client.post("/auth/login", data=_oversized_form(), headers={"Accept": "application/json"})
    assert r.status_code == 413 and r.json["status"] == 413


# ---------------------------------------------------------------- error pages show back at most a form's worth

def _assert_small_with_kept_text(r, status):
    page = r.get_data(as_text=True)
    assert r.status_code == status, page[:500]
    assert "Your text, so it isn't lost" in page
    assert "T" * POST_TITLE_MAX in page and "T" * (POST_TITLE_MAX + 1) not in page
    assert "B" * POST_BODY_MAX in page and "B" * (POST_BODY_MAX + 1) not in page
    assert "N" * NOTE_MAX in page and "N" * (NOTE_MAX + 1) not in page
    assert len(r.data) < PAGE_BUDGET


def test_404_page_for_a_body_just_under_the_limit_is_small(client):
    _assert_small_with_kept_text(client.post("/no/such/page", data=_big_but_allowed_form()), 404)


def test_405_page_for_a_body_just_under_the_limit_is_small(client):
    _assert_small_with_kept_text(client.post("/search", data=_big_but_allowed_form()), 405)


@pytest.mark.csrf
def test_csrf_400_page_for_a_body_just_under_the_limit_is_small(client):
    _assert_small_with_kept_text(client.post("/auth/login", data=_big_but_allowed_form()), 400)


def test_403_page_for_a_body_just_under_the_limit_is_small(client, make, login_as):
    login_as(make.user("bob"))
    _assert_small_with_kept_text(client.post("/moderation/next", data=_big_but_allowed_form()), 403)


@pytest.mark.ratelimit
def test_429_page_for_a_body_just_under_the_limit_is_small(client, make, login_as):
    thread = make.thread(make.user("alice"))
    login_as(make.user("newbie", trust_level=0))
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "first"}).status_code == 302
    _assert_small_with_kept_text(client.post(f"/threads/{thread.id}/reply", data=_big_but_allowed_form()), 429)


def test_503_page_for_a_body_just_under_the_limit_is_small():
    app = create_app({
        "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1",
    })
    form = _big_but_allowed_form() | {"username": "someone", "password": "whatever it is"}
    _assert_small_with_kept_text(app.test_client().post("/auth/login", data=form), 503)


def test_an_error_page_never_reads_a_body_without_a_length(client):
    """A chunked body on an address that doesn't take one is not read to draw the page."""
    r = client.post("/no/such/page", input_stream=io.BytesIO(b"body=" + b"x" * 1000),
                    headers={"Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 404 and "Your text, so it isn't lost" not in r.get_data(as_text=True)


# ---------------------------------------------------------------- a larger limit for one view (the image uploads)

def _app_with_upload_view(setting_value):
    """An app with one extra view that takes more than the site limit, as the image upload will."""
    bp = flask.Blueprint("bigtest", __name__)

    @bp.post("/big-upload")
    @larger_body("BOARD_TEST_UPLOAD_BYTES", "A test upload")
    def upload():
        return f"read {len(request.get_data())} bytes of at most {request.max_content_length}"

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
                      "MAX_CONTENT_LENGTH": 1000, "BOARD_TEST_UPLOAD_BYTES": setting_value})
    app.register_blueprint(bp)
    return app


def test_a_marked_view_takes_more_than_the_site_limit_and_no_more_than_its_own():
    app = _app_with_upload_view(5000)
    client = app.test_client()
    r = client.post("/big-upload", data=b"x" * 4000, content_type="application/octet-stream")
    assert r.status_code == 200 and r.get_data(as_text=True) == "read 4000 bytes of at most 5000"
    assert client.post("/big-upload", data=b"x" * 5001, content_type="application/octet-stream").status_code == 413
    r = client.post("/auth/login", data={"body": "x" * 1001})
    assert r.status_code == 413  # everywhere else: the site limit
    assert "A test upload: up to 4 KB." in r.get_data(as_text=True)  # listed on the 413 page


@pytest.mark.parametrize("bad", [None, 0, -5, "5 MB"])
def test_a_marked_view_without_a_positive_limit_stops_the_app_starting(bad):
    app = _app_with_upload_view(bad)
    with pytest.raises(RuntimeError, match="BOARD_TEST_UPLOAD_BYTES"):
        limits.init_app(app)  # what create_app runs once the blueprints are registered


def test_the_mark_survives_decorators_that_use_wraps(app):
    from flask_login import login_required

    @login_required
    @larger_body("BOARD_TEST_UPLOAD_BYTES", "An image")
    def upload():
        return ""

    app.config["BOARD_TEST_UPLOAD_BYTES"] = 9999
    app.view_functions["upload_test"] = upload
    assert limits.body_limit(app, "upload_test") == 9999
    assert limits.body_limit(app, "forum.index") == limits.body_limit(app, None) == LIMIT


def test_the_body_check_runs_before_every_other_hook(app):
    assert app.before_request_funcs[None][0] is limits.refuse_oversized_body


def test_request_max_content_length_can_still_be_set_per_request(app):
    with app.test_request_context("/auth/login", method="POST", data={"a": "b"}):
        assert request.max_content_length == LIMIT
        request.max_content_length = 10
        assert request.max_content_length == 10
    with app.test_request_context("/auth/login", method="POST", data={"a": "x" * 20}):
        request.max_content_length = 10
        with pytest.raises(RequestEntityTooLarge):
            request.form  # noqa: B018


@pytest.mark.parametrize("size, words", [
    (2 * 1024 * 1024, "2 MB"), (10 * 1024 * 1024, "10 MB"), (1_500_000, "1.4 MB"), (512 * 1024, "512 KB"), (100, "1 KB"),
])
def test_sizes_are_described_in_words(size, words):
    assert describe_size(size) == words


# ---------------------------------------------------------------- bodies without a length (chunked)

def _chunked(client, path, body: bytes, **kwargs):
    """What a server that decodes chunked bodies (gunicorn, werkzeug) hands the app: no length."""
    return client.post(path, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={"Transfer-Encoding": "chunked"},
                       content_type=kwargs.pop("content_type", "application/x-www-form-urlencoded"), **kwargs)


def test_a_chunked_body_over_the_limit_is_413_not_a_truncated_form(client):
    # Werkzeug alone would parse the first 2 MB as the form (here: a CSRF 400 or a post cut short)
    _assert_kind_413(_chunked(client, "/auth/login", b"body=" + b"x" * LIMIT))


def test_a_chunked_multipart_body_over_the_limit_is_413(client):
    body = b"--xx\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" + b"x" * (LIMIT + 10)
    r = _chunked(client, "/auth/login", body, content_type="multipart/form-data; boundary=xx")
    assert r.status_code == 413


def test_a_chunked_body_at_the_limit_is_read(app):
    with app.test_request_context("/auth/login", method="POST", input_stream=io.BytesIO(b"x" * LIMIT),
                                  environ_overrides={"wsgi.input_terminated": True},
                                  content_type="application/octet-stream"):
        assert len(request.get_data()) == LIMIT


class _BrokenFraming:
    """A server's body stream that finds a malformed chunk (gunicorn raises its own ParseException)."""

    class InvalidChunkSize(Exception):
        pass

    def read(self, *args):
        raise self.InvalidChunkSize("Invalid chunk size: b'zz'")

    readline = read

    def tell(self):
        return 0

    def seek(self, *args):
        return 0


def test_a_malformed_chunked_body_is_a_400_not_a_500(client):
    r = client.post("/auth/login", input_stream=_BrokenFraming(), content_type="application/x-www-form-urlencoded",
                    environ_overrides={"wsgi.input_terminated": True}, headers={"Transfer-Encoding": "chunked"})
    assert r.status_code == 400
    assert "Something went wrong with that request" in r.get_data(as_text=True)
