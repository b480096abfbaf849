"""Operator commands for mail, verification and backups.

    flask --app board mail send-pending     send due mail from the outbox (cron / systemd timer)
    flask --app board mail send-digests     queue due daily/weekly digests of followed threads and topics (and the
                                            daily summaries of new private messages), then send
    flask --app board mail status           how many are waiting, sent, failing, given up
    flask --app board mail retry-failed     try again the messages that were given up on
    flask --app board users verify NAME     mark a member's email address as confirmed
    flask --app board backup PATH           SQLite: online backup API; PostgreSQL: pg_dump
    flask --app board restore PATH          put a backup back (asks first; --yes to skip)
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from board.extensions import db


def register(app: Flask, users_group: click.Group) -> None:
    app.cli.add_command(mail_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    users_group.add_command(users_verify)


# ---------------------------------------------------------------- mail

@click.group("mail", cls=AppGroup)
def mail_group() -> None:
    """The mail outbox."""


@mail_group.command("send-pending")
def mail_send_pending() -> None:
    """Send every message that is due (retries failed ones with back-off; never sends one twice)."""
    from board.mail import send_pending

    report = send_pending()
    click.echo(f"Sent {report.sent}, failed {report.failed} (will retry), gave up on {report.gave_up}.")
    for line in report.errors:
        click.echo(f"  {line}", err=True)
    if report.failed and not report.sent:
        raise SystemExit(1)


@mail_group.command("send-digests")
@click.option("--queue-only", is_flag=True, help="Only queue the digests; `send-pending` sends them.")
def mail_send_digests(queue_only: bool) -> None:
    """Build and queue due daily/weekly digests (only new, visible content; never twice), then send them."""
    from board.following.digests import send_digests
    from board.mail import send_pending

    from board.messages.notices import send_daily_summaries

    report = send_digests()
    click.echo(f"Digests queued: {report.sent}; nothing new for {report.empty}; not due yet: {report.not_due}; "
               f"skipped (email paused or not possible): {report.skipped}.")
    summaries = send_daily_summaries()
    db.session.commit()
    click.echo(f"Message summaries queued: {summaries.sent}; nothing new for {summaries.empty}; "
               f"not due yet: {summaries.not_due}.")
    if (report.sent or summaries.sent) and not queue_only:
        sent = send_pending()
        click.echo(f"Sent {sent.sent}, failed {sent.failed} (will retry).")


@mail_group.command("status")
def mail_status() -> None:
    """Count the outbox by state."""
    from board.models import MailMessage

    def count(*where) -> int:
        return db.session.scalar(select(func.count(MailMessage.id)).where(*where)) or 0

    waiting = count(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None))
    retrying = count(MailMessage.sent_at.is_(None), MailMessage.failed_at.is_(None), MailMessage.attempts > 0)
    click.echo(f"Waiting: {waiting} (of which retrying after a failure: {retrying})")
    click.echo(f"Sent: {count(MailMessage.sent_at.is_not(None))}")
    click.echo(f"Given up: {count(MailMessage.failed_at.is_not(None))}")


@mail_group.command("retry-failed")
def mail_retry_failed() -> None:
    """Give messages that were given up on a fresh start (after fixing the mail server)."""
    from board.mail import retry_failed

    click.echo(f"{retry_failed()} message(s) will be tried again at the next send-pending.")


# ---------------------------------------------------------------- users verify

@click.command("verify")
@click.argument("username")
@with_appcontext
def users_verify(username: str) -> None:
    """Mark a member's email address as confirmed (e.g. after checking it by other means)."""
    from board.models import User, utcnow

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No member called {username!r}.")
    if user.email_verified_at is not None:
        click.echo(f"{user.username}'s address was already confirmed.")
        return
    user.email_verified_at = utcnow()
    db.session.commit()
    click.echo(f"{user.username}'s address ({user.email}) is now confirmed.")


# ---------------------------------------------------------------- backup and restore

def _sqlite_path() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise click.ClickException("This database lives in memory only; there is nothing to back up.")
    return Path(url.database)


def _pg_args() -> tuple[list[str], dict]:
    url = db.engine.url
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where `ps` shows it
    return args + ["--dbname", url.database or ""], env


def _check_sqlite_file(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{path} is not a readable SQLite database: {exc}") from exc
    if ok != "ok":
        raise click.ClickException(f"{path} is damaged (SQLite says: {ok}). Nothing was restored.")
    if not {"users", "alembic_version"} <= tables:
        raise click.ClickException(f"{path} doesn't look like a Circle database. Nothing was restored.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Write a consistent copy of the database to PATH, while the site keeps running."""
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists. Choose a new name, or add --force to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    source_path = _sqlite_path()
    if source_path is not None:
        if not source_path.exists():
            raise click.ClickException(f"The database file {source_path} doesn't exist yet.")
        tmp = path.with_name(path.name + ".part")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(source_path)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # SQLite's online backup API: a consistent snapshot, writers keep going
        finally:
            dst.close()
            src.close()
        os.replace(tmp, path)
        click.echo(f"Backed up {source_path} to {path} ({path.stat().st_size:,} bytes).")
        _backup_media(path)
        return
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException(
            "This is a PostgreSQL database and pg_dump isn't installed here, so no backup was made. "
            "Install the PostgreSQL client tools (e.g. `apt-get install postgresql-client`) and run this again."
        )
    args, env = _pg_args()
    result = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", str(path), *args],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
    click.echo(f"Backed up the PostgreSQL database with pg_dump to {path} ({path.stat().st_size:,} bytes).")
    _backup_media(path)


def _backup_media(path: Path) -> None:
    """Pictures on disk go into PATH.media.tar beside the database backup (board/media/backup.py);
    in database mode they are already inside the database backup."""
    from board.media import backup as media_backup
    from board.media import storage

    written = media_backup.write_archive(path, always=storage.mode() == storage.FILESYSTEM)
    if written is not None:
        archive, count = written
        click.echo(f"Backed up {count:,} picture file(s) to {archive}. Keep it with the database backup.")
    else:
        click.echo("Pictures are stored in the database (MEDIA_STORAGE=database): they are in this backup.")


def _restore_media(path: Path) -> None:
    from board.media import backup as media_backup

    count = media_backup.restore_archive(path)
    if count is None:
        click.echo(f"No {media_backup.archive_path(path).name} beside the backup: pictures stored in the "
                   "database came back with it; files on disk were left as they are.")
    else:
        click.echo(f"Restored {count:,} picture file(s) from {media_backup.archive_path(path)}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace ALL current data with the backup in PATH. Stop the web server first."""
    target = _sqlite_path()
    if target is None:
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise click.ClickException(
                "This is a PostgreSQL database and pg_restore isn't installed here. Install the "
                "PostgreSQL client tools and run this again."
            )
        if not yes:
            click.confirm("This replaces ALL data in the PostgreSQL database. Continue?", abort=True)
        args, env = _pg_args()
        db.engine.dispose()
        result = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 *args, str(path)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise click.ClickException(f"pg_restore failed: {result.stderr.strip()}")
        click.echo(f"Restored the PostgreSQL database from {path}.")
        _restore_media(path)
        return
    _check_sqlite_file(path)
    if not yes:
        click.confirm(f"This replaces ALL data in {target} with {path}. Continue?", abort=True)
    db.session.remove()
    db.engine.dispose()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page-by-page copy into the live file, under SQLite's own locking
    finally:
        dst.close()
        src.close()
    click.echo(f"Restored {target} from {path}. Run `flask --app board db upgrade` if the backup is older "
               "than this version of Circle.")
    _restore_media(path)
