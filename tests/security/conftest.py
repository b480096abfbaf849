"""Fixtures for the security tests: a real SMTP server on loopback, mail helpers, and a
private rate-limit key space per test (so runs against a shared Redis never collide)."""
from __future__ import annotations

import json
import re
import socket
import uuid
from email import message_from_bytes, policy

import pytest

from tests.conftest import REDIS_URL


@pytest.fixture(autouse=True)
def _private_ratelimit_keys(monkeypatch):
    """With Redis, give each test its own key prefix (picked up by create_app through
    FLASK_RATELIMIT_STORAGE_OPTIONS), so other suites sharing the server can't disturb it."""
    if REDIS_URL:
        prefix = f"circle-test-{uuid.uuid4().hex[:12]}"
        monkeypatch.setenv("FLASK_RATELIMIT_STORAGE_OPTIONS", json.dumps({"key_prefix": prefix}))
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the loopback SMTP server received. `fail_next` makes it refuse messages."""

    def __init__(self):
        self.messages = []
        self.fail_next = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 4.3.0 Please try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def body(self, msg) -> str:
        return msg.get_content()

    def links(self, msg) -> list[str]:
        return re.findall(r"https?://\S+", self.body(msg))

    def clear(self):
        self.messages.clear()


@pytest.fixture
def smtp():
    """An aiosmtpd server on 127.0.0.1 (a free port) collecting what arrives."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app, smtp):
    """The app, sending through the loopback SMTP server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_USE_TLS=False,
                      MAIL_USERNAME="", MAIL_PASSWORD="")
    return app


@pytest.fixture
def deliver(mail_app, smtp):
    """deliver() runs send_pending and returns the report."""
    from board.mail import send_pending

    def run(**kwargs):
        with mail_app.app_context():
            return send_pending(**kwargs)

    return run


def path_of(link: str) -> str:
    """The path (and query) of a link from an email, for the test client."""
    return re.sub(r"^https?://[^/]+", "", link)


def same_page(text: str) -> str:
    """A page's HTML without its per-session CSRF tokens, for "answers the same" checks."""
    return re.sub(r'value="[A-Za-z0-9_\-.]{40,}"', 'value=""', text)
