"""`flask --app board drafts purge`: drafts untouched for 90 days go (run daily from cron;
saving a draft also purges that member's old ones)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from board.extensions import db

drafts_group = AppGroup("drafts", help="Members' server-side drafts.")


@drafts_group.command("purge")
def purge_command():
    """Delete drafts nobody has touched for 90 days."""
    from board.gestures.services import DRAFT_DAYS, purge_old_drafts

    count = purge_old_drafts()
    db.session.commit()
    click.echo(f"Deleted {count} draft(s) older than {DRAFT_DAYS} days.")


def register(app: Flask, users_group) -> None:  # noqa: ARG001 - the common signature of area CLIs
    app.cli.add_command(drafts_group)
