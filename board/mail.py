"""The mail outbox: mail is written in the same transaction as the event that causes it,
and sent afterwards by `send_pending()` (`flask --app board mail send-pending`).

- `queue_mail(to, subject, body, kind)` adds a `mail_outbox` row to the current session
  (the caller's transaction). If that transaction rolls back, no mail exists.
- `send_pending()` claims each due row with a conditional UPDATE (only one worker can win
  it: the UPDATE matches only while `attempts` is what it read and the row is still due),
  commits the claim, sends, then records the result. The claim also moves
  `next_attempt_at` forward by the back-off delay, so it doubles as a lease: a crashed
  sender's row is retried later, and a row that failed waits 1, 2, 4, 8 … minutes.
  After `MAIL_MAX_ATTEMPTS` failures the row is marked failed and no longer tried.
- Transport: SMTP from MAIL_SERVER / MAIL_PORT / MAIL_USERNAME / MAIL_PASSWORD /
  MAIL_USE_TLS. Without MAIL_SERVER the whole message is written to the app log.
- MAIL_SEND_INLINE (development): rows committed during a request are sent right after
  the response is built, in their own session, so `make run` shows mail at once.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import Flask, current_app, g, has_request_context, url_for
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from board.extensions import db
from board.models import MailMessage, User, utcnow

log = logging.getLogger("board.mail")

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
BATCH = 200
_INLINE_KEY = "circle_mail_inline_ids"


def backoff(attempt: int) -> timedelta:
    """Delay before attempt number `attempt + 1`: 1, 2, 4, 8 … minutes, at most 6 hours."""
    return min(BASE_DELAY * (2 ** min(max(attempt - 1, 0), 20)), MAX_DELAY)


def _one_line(value: str, limit: int) -> str:
    return " ".join((value or "").replace("\r", " ").replace("\n", " ").split())[:limit]


# ---------------------------------------------------------------- writing mail

def queue_mail(to: str, subject: str, body: str, kind: str = "", *, list_unsubscribe: str = "") -> MailMessage:
    """Add a message to the outbox in the current transaction (flushes, never commits).

    `list_unsubscribe`: a one-click unsubscribe URL (sent as List-Unsubscribe headers).
    """
    to = _one_line(to, 254)
    if not to or "@" not in parseaddr(to)[1]:
        raise ValueError(f"not an email address: {to!r}")
    message = MailMessage(
        to_address=to, subject=_one_line(subject, 200), body_text=body, kind=_one_line(kind, 32),
        list_unsubscribe=_one_line(list_unsubscribe, 500), next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def render_mail(template: str, **context) -> str:
    """A plain-text body from templates/mail/<template>.txt (no HTML escaping: it is text)."""
    context.setdefault("site_name", current_app.config.get("BOARD_SITE_NAME", "Circle"))
    context.setdefault("base_url", base_url())
    context.setdefault("contact_email", current_app.config.get("BOARD_CONTACT_EMAIL", ""))
    # From the given context only: the page context processors look at the logged-in member and
    # the request, which a mail must not depend on (digests render one mail per member).
    return current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context).strip() + "\n"


def base_url() -> str:
    return current_app.config.get("BOARD_BASE_URL", "").rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """BOARD_BASE_URL + the path of `endpoint`: links in mail never trust the request's Host."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return base_url() + path


def can_email(user: User | None) -> bool:
    """May this member receive mail about the board? (Not deleted, not a memorial, verified.)"""
    return bool(
        user is not None and user.email and user.deleted_at is None and user.memorial_at is None
        and user.email_verified_at is not None
    )


def notify_by_email(user: User | None, subject: str, body: str, kind: str, *,
                    list_unsubscribe: str = "") -> MailMessage | None:
    """Queue a mail to a member, skipping deleted, memorial and unverified accounts.

    For decisions and notices (moderation outcomes, replies); account mails such as the
    verification link itself use `queue_mail` directly.
    """
    if not can_email(user):
        return None
    return queue_mail(user.email, subject, body, kind, list_unsubscribe=list_unsubscribe)


# ---------------------------------------------------------------- sending

@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


class _Transport:
    """One SMTP connection per batch, opened on first use; or the log when MAIL_SERVER is empty."""

    def __init__(self, config):
        self.config = config
        self.server = config.get("MAIL_SERVER") or ""
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if not self.server:
            # Decoded, so links can be read and copied straight from the console.
            headers = "\n".join(f"{k}: {v}" for k, v in message.items()
                                if k.lower() not in ("content-type", "content-transfer-encoding", "mime-version"))
            log.info("Mail (MAIL_SERVER is not set, so it is printed here instead of sent):\n%s\n\n%s",
                     headers, message.get_content())
            return
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        port = int(self.config.get("MAIL_PORT") or 25)
        timeout = float(self.config.get("MAIL_TIMEOUT", 15))
        context = ssl.create_default_context()
        if port == 465:
            smtp = smtplib.SMTP_SSL(self.server, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.server, port, timeout=timeout)
            if self.config.get("MAIL_USE_TLS"):
                smtp.starttls(context=context)
        if self.config.get("MAIL_USERNAME"):
            smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
        return smtp

    def reset(self) -> None:
        """Drop a connection that failed, so the next message opens a new one."""
        if self.smtp is not None:
            try:
                self.smtp.close()
            except Exception:  # noqa: BLE001
                pass
        self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except Exception:  # noqa: BLE001
                pass
            self.smtp = None


def build_email(row: MailMessage, config) -> EmailMessage:
    message = EmailMessage()
    sender = config.get("MAIL_DEFAULT_SENDER") or "Circle <no-reply@circle.invalid>"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "circle.invalid"
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    # A stable Message-ID per outbox row: if a crash ever makes us send a row again,
    # mail clients can recognise the copy.
    stamp = int(row.created_at.timestamp()) if row.created_at else 0
    message["Message-ID"] = f"<outbox-{row.id}-{stamp}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if getattr(row, "list_unsubscribe", ""):
        # RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click" to this URL.
        message["List-Unsubscribe"] = f"<{row.list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body_text, charset="utf-8")
    return message


def _claim(session: Session, row_id: int, attempts: int, now: datetime) -> bool:
    """Take the row for this sender: a conditional UPDATE that only one sender can win."""
    result = session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == row_id, MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None),
            MailMessage.attempts == attempts, MailMessage.next_attempt_at <= now,
        )
        .values(attempts=attempts + 1, next_attempt_at=now + backoff(attempts + 1))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def send_pending(*, ids: list[int] | None = None, now: datetime | None = None, limit: int = BATCH,
                 app: Flask | None = None) -> SendReport:
    """Send every due message once. Safe to run from several processes at the same time."""
    app = app or current_app._get_current_object()
    config = app.config
    now = now or utcnow()
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS))
    report = SendReport()
    transport = _Transport(config)
    with Session(db.engine, expire_on_commit=False) as session:
        query = (
            select(MailMessage.id, MailMessage.attempts)
            .where(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None),
                   MailMessage.next_attempt_at <= now)
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(MailMessage.id.in_(ids))
        due = list(session.execute(query))
        session.commit()
        try:
            for row_id, attempts in due:
                if not _claim(session, row_id, attempts, now):
                    continue  # another sender has it
                row = session.get(MailMessage, row_id)
                try:
                    transport.send(build_email(row, config))
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    transport.reset()
                    row.last_error = f"{utcnow().isoformat(timespec='seconds')} attempt {row.attempts}: {exc}"[:2000]
                    report.failed += 1
                    report.errors.append(f"#{row.id} to {row.to_address}: {exc}")
                    if row.attempts >= max_attempts:
                        row.failed_at = utcnow()
                        report.gave_up += 1
                        log.error("Mail #%s to %s failed %s times; giving up: %s",
                                  row.id, row.to_address, row.attempts, exc)
                    else:
                        log.warning("Mail #%s to %s failed (attempt %s); next try after %s: %s",
                                    row.id, row.to_address, row.attempts,
                                    row.next_attempt_at.isoformat(timespec="seconds"), exc)
                else:
                    row.sent_at = utcnow()
                    row.last_error = ""
                    report.sent += 1
                session.commit()
        finally:
            transport.close()
    return report


def retry_failed(*, app: Flask | None = None) -> int:
    """Give messages that were given up on a fresh start (after fixing the mail server)."""
    with Session(db.engine) as session:
        result = session.execute(
            update(MailMessage).where(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_not(None))
            .values(failed_at=None, attempts=0, next_attempt_at=utcnow())
        )
        session.commit()
        return result.rowcount


# ---------------------------------------------------------------- inline sending (development)

def _after_flush(session, flush_context) -> None:
    new_ids = [obj.id for obj in session.new if isinstance(obj, MailMessage) and obj.id is not None]
    if new_ids:
        session.info.setdefault(_INLINE_KEY, set()).update(new_ids)


def _after_commit(session) -> None:
    ids = session.info.pop(_INLINE_KEY, None)
    if ids and has_request_context():
        g.setdefault(_INLINE_KEY, set()).update(ids)


def _after_rollback(session) -> None:
    session.info.pop(_INLINE_KEY, None)


def init_app(app: Flask) -> None:
    """Send mail right after commit when MAIL_SEND_INLINE is on (development)."""
    # Alembic's logging.config.fileConfig (in migrations/env.py) disables loggers that
    # existed before it ran; mail printed to the log must never silently vanish.
    log.disabled = False
    if not app.config.get("MAIL_SEND_INLINE"):
        return
    if not getattr(init_app, "_listening", False):
        init_app._listening = True
        # Flask-SQLAlchemy's scoped session class: the listeners apply to request sessions.
        session_class = db.session.session_factory.class_ if hasattr(db.session, "session_factory") else Session
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "after_commit", _after_commit)
        event.listen(session_class, "after_rollback", _after_rollback)

    @app.after_request
    def send_inline(response):
        ids = g.pop(_INLINE_KEY, None)
        if ids and app.config.get("MAIL_SEND_INLINE"):
            try:
                send_pending(ids=sorted(ids), app=app)
            except Exception:  # noqa: BLE001 - mail must never break the page; send-pending retries
                log.exception("Sending mail inline failed; `flask --app board mail send-pending` will retry.")
        return response
