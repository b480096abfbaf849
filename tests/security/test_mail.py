"""The mail outbox: written in the event's transaction, sent once, retried with back-off."""
from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.mail import _claim, backoff, notify_by_email, queue_mail, send_pending
from board.models import MailMessage, User, utcnow


def _rows(app):
    with app.app_context():
        rows = list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _queue(app, to="someone@example.org", subject="Hello", body="Body text", kind="test"):
    with app.app_context():
        row = queue_mail(to, subject, body, kind)
        db.session.commit()
        return row.id


def test_mail_is_written_in_the_callers_transaction(app):
    with app.app_context():
        queue_mail("a@example.org", "Kept", "body", "test")
        db.session.rollback()
        queue_mail("b@example.org", "Sent", "body", "test")
        db.session.commit()
    rows = _rows(app)
    assert [r.to_address for r in rows] == ["b@example.org"]
    assert rows[0].sent_at is None and rows[0].attempts == 0


def test_send_pending_delivers_over_smtp_and_never_twice(mail_app, smtp, deliver):
    _queue(mail_app, to="mary@example.org", subject="Your link", body="Hello Mary — a link for you.")
    first = deliver()
    second = deliver()
    assert (first.sent, second.sent) == (1, 0)
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "mary@example.org" and msg["Subject"] == "Your link"
    assert "Hello Mary — a link for you." in msg.get_content()
    assert msg["Message-ID"].startswith("<outbox-")
    row = _rows(mail_app)[0]
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""


def test_cli_send_pending_twice_sends_each_message_once(mail_app, smtp, runner):
    for n in range(3):
        _queue(mail_app, to=f"member{n}@example.org")
    r1 = runner.invoke(args=["mail", "send-pending"])
    r2 = runner.invoke(args=["mail", "send-pending"])
    assert r1.exit_code == 0, r1.output
    assert "Sent 3" in r1.output and "Sent 0" in r2.output
    assert sorted(str(m["To"]) for m in smtp.messages) == [f"member{n}@example.org" for n in range(3)]
    status = runner.invoke(args=["mail", "status"])
    assert "Sent: 3" in status.output and "Waiting: 0" in status.output


def test_a_row_can_be_claimed_by_only_one_sender(mail_app):
    row_id = _queue(mail_app)
    now = utcnow()
    with mail_app.app_context():
        from sqlalchemy.orm import Session

        with Session(db.engine) as one, Session(db.engine) as two:
            assert _claim(one, row_id, 0, now) is True
            assert _claim(two, row_id, 0, now) is False  # the second sender read the same row: loses


def test_a_refusing_server_records_the_failure_and_retries_later_with_backoff(mail_app, smtp, deliver):
    _queue(mail_app, to="mary@example.org")
    smtp.fail_next = 1
    report = deliver()
    assert report.failed == 1 and report.sent == 0
    row = _rows(mail_app)[0]
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert "451" in row.last_error and "attempt 1" in row.last_error
    wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=30) < wait <= backoff(1)

    again = deliver()  # too early: nothing is tried
    assert again.sent == again.failed == 0 and _rows(mail_app)[0].attempts == 1

    later = deliver(now=utcnow() + backoff(1) + timedelta(seconds=1))
    assert later.sent == 1 and len(smtp.messages) == 1
    row = _rows(mail_app)[0]
    assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""


def test_an_unreachable_server_is_a_recorded_failure_not_a_crash(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_TIMEOUT=2)
    _queue(app)
    _queue(app, to="other@example.org")
    with app.app_context():
        report = send_pending()
    assert report.failed == 2 and report.sent == 0
    assert all(r.attempts == 1 and r.last_error and r.sent_at is None for r in _rows(app))


def test_backoff_doubles_and_gives_up_after_the_last_attempt(mail_app, smtp, deliver, runner):
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(50) == timedelta(hours=6)
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 3
    _queue(mail_app)
    smtp.fail_next = 10
    when = utcnow()
    for _ in range(3):
        deliver(now=when)
        when += timedelta(hours=7)
    row = _rows(mail_app)[0]
    assert row.attempts == 3 and row.failed_at is not None and row.sent_at is None
    assert deliver(now=when + timedelta(days=1)).failed == 0  # given up: not tried again
    smtp.fail_next = 0
    r = runner.invoke(args=["mail", "retry-failed"])
    assert "1 message" in r.output
    assert deliver().sent == 1


def test_without_mail_server_the_whole_message_goes_to_the_log(app, caplog):
    app.config["MAIL_SERVER"] = ""
    _queue(app, to="mary@example.org", subject="Printed", body="Line one\nhttp://localhost/auth/verify/abc")
    with caplog.at_level(logging.INFO, logger="board.mail"), app.app_context():
        report = send_pending()
    assert report.sent == 1
    assert "To: mary@example.org" in caplog.text and "Subject: Printed" in caplog.text
    assert "http://localhost/auth/verify/abc" in caplog.text
    assert _rows(app)[0].sent_at is not None


def test_header_injection_is_flattened(mail_app, smtp, deliver):
    _queue(mail_app, to="mary@example.org", subject="Hi\r\nBcc: victim@example.org")
    deliver()
    msg = smtp.messages[0]
    assert msg["Bcc"] is None and "victim" in msg["Subject"]


def test_queue_mail_refuses_a_non_address(app):
    with app.app_context(), pytest.raises(ValueError):
        queue_mail("not an address", "s", "b")


def test_notify_by_email_skips_unverified_memorial_and_deleted_members(app, make):
    ok = make.user("okay")
    unverified = make.user("unverified", verified=False)
    memorial = make.user("remembered", memorial_at=utcnow())
    deleted = make.user("gone", deleted_at=utcnow())
    with app.app_context():
        results = {u.username: notify_by_email(db.session.get(User, u.id), "A decision", "Body", "decision")
                   for u in (ok, unverified, memorial, deleted)}
        db.session.commit()
        assert db.session.scalar(select(func.count(MailMessage.id))) == 1
    assert results["okay"] is not None
    assert results["unverified"] is None and results["remembered"] is None and results["gone"] is None


@pytest.mark.parametrize("app", [{"MAIL_SEND_INLINE": True}], indirect=True)
def test_inline_mode_sends_right_after_the_request_commits(mail_app, smtp, client):
    from tests.conftest import PASSWORD

    r = client.post("/auth/register", data={"username": "maryg", "email": "mary@example.org", "password": PASSWORD, "accept_guidelines": "y"})
    assert r.status_code == 302
    assert len(smtp.to("mary@example.org")) == 1  # no send-pending needed
    assert _rows(mail_app)[0].sent_at is not None


@pytest.mark.parametrize("app", [{"MAIL_SEND_INLINE": True}], indirect=True)
def test_inline_mode_sends_nothing_when_the_request_rolls_back(mail_app, smtp, client, make):
    make.user("maryg")
    from tests.conftest import PASSWORD

    # username taken: the form is sent back, the transaction rolled back, no mail
    r = client.post("/auth/register", data={"username": "maryg", "email": "new@example.org", "password": PASSWORD, "accept_guidelines": "y"})
    assert r.status_code == 400
    assert smtp.messages == [] and _rows(mail_app) == []
