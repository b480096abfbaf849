"""/dev/mail exists only in development, lists the mail Circle would have sent, and its links
are clickable and use the configured base URL (make run sets it from PORT)."""
from __future__ import annotations

import pytest

DEV = {"ENV_NAME": "development", "MAIL_SEND_INLINE": False, "BOARD_BASE_URL": "http://127.0.0.1:8123"}


@pytest.mark.parametrize("app", [DEV], indirect=True)
def test_dev_mail_lists_the_confirmation_mail_with_links_on_the_configured_port(app, client):
    r = client.post("/auth/register", data={"username": "maryg", "email": "mary@example.org",
                                            "password": "correct horse battery staple", "accept_guidelines": "y"})
    assert r.status_code == 302
    check = client.get("/auth/check-email").get_data(as_text=True)
    assert 'href="/dev/mail"' in check
    index = client.get("/dev/mail")
    assert index.status_code == 200
    text = index.get_data(as_text=True)
    assert "mary@example.org" in text
    link = text.split('href="/dev/mail/')[1].split('"')[0]
    message = client.get(f"/dev/mail/{link}").get_data(as_text=True)
    assert '<a href="http://127.0.0.1:8123/auth/verify/' in message


def test_dev_mail_is_404_in_testing(client):
    assert client.get("/dev/mail").status_code == 404
    assert client.get("/dev/mail/1").status_code == 404
    assert 'href="/dev/mail"' not in client.get("/auth/check-email").get_data(as_text=True)


@pytest.mark.parametrize("app", [{"ENV_NAME": "production"}], indirect=True)
def test_dev_mail_is_404_in_production(client):
    assert client.get("/dev/mail").status_code == 404


def test_make_run_sets_the_base_url_from_port():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "BOARD_BASE_URL=$${BOARD_BASE_URL:-http://127.0.0.1:$(PORT)}" in run
    assert run.count("BOARD_BASE_URL=") >= 2  # the seed (demo output) and the server itself


def test_linkify_escapes_and_links():
    from board.dev_mail import linkify

    html = str(linkify("Open http://x.test/a?b=1&c=2. <b>not bold</b>"))
    assert '<a href="http://x.test/a?b=1&amp;c=2">' in html and "&lt;b&gt;" in html and "2</a>." in html
