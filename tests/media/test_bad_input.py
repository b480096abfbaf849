"""Whatever a client sends as pictures: never a 500, and nothing unclean is ever kept."""
from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from board.extensions import db
from board.models import Image
from tests.conftest import login
from tests.media import pictures

SEEDS = [pictures.jpeg(gps=True), pictures.png(alpha=True), pictures.webp(), pictures.heic(), pictures.gif()]


def _mutate(data: bytes, cuts: list[int], flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for at, value in flips:
        out[at % len(out)] = value
    for cut in cuts:
        out = out[: max(1, cut % len(out))] if cut % 2 else out + out[: cut % 64]
    return bytes(out)


FILES = st.one_of(
    st.binary(max_size=2000),
    st.builds(_mutate, st.sampled_from(SEEDS), st.lists(st.integers(0, 10**6), max_size=2),
              st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8)),
)
NAMES = st.sampled_from(["photo.jpg", "x.svg", "", "../../etc/passwd", "a\x00b.png", "😀.heic", "a" * 300])
TEXT = st.text(max_size=30) | st.sampled_from(["", "\x00", "\ud800", "x" * 600])


def test_fuzzed_picture_uploads_never_fail(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(files=st.lists(st.tuples(FILES, NAMES), min_size=1, max_size=5), alts=st.lists(TEXT, max_size=5),
           kept=st.lists(TEXT, max_size=2))
    def run(files, alts, kept):
        data = {"title": "A title for fuzzing", "body": "Words"}
        for n, (content, name) in enumerate(files, start=1):
            data[f"image_{n}"] = (io.BytesIO(content), name)
        for n, alt in enumerate(alts, start=1):
            data[f"alt_{n}"] = alt.replace("\ud800", "?")
        for n, token in enumerate(kept, start=1):
            data[f"kept_{n}"] = token.replace("\ud800", "?")
        response = client.post("/topics/newly-diagnosed/new", data=data, content_type="multipart/form-data")
        assert response.status_code in (302, 400), response.status_code

    run()
    with app.app_context():
        for image in db.session.scalars(select(Image)):
            assert image.width <= 2048 and image.height <= 2048 and image.name.endswith((".jpg", ".png"))


def test_a_body_over_the_upload_limit_is_refused_with_413(app, client, make):
    app.config["BOARD_MAX_IMAGE_REQUEST_BYTES"] = 50_000
    member = make.user(trust_level=2)
    login(client, member)
    response = client.post("/topics/newly-diagnosed/new", content_type="multipart/form-data",
                           data={"title": "Too big a body", "body": "x",
                                 "image_1": (io.BytesIO(b"\xff" * 60_000), "big.jpg"), "alt_1": "Big"})
    assert response.status_code == 413


def test_a_text_value_where_a_file_belongs_is_ignored(app, client, make):
    member = make.user(trust_level=2)
    login(client, member)
    response = client.post("/topics/newly-diagnosed/new",
                           data={"title": "No file at all", "body": "x", "image_1": "not a file", "alt_1": "x"})
    assert response.status_code == 302
