"""`flask --app board media …`: housekeeping for pictures."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from board.extensions import db
from board.media import bp, services

media_cli = AppGroup("media", help="Pictures: clean-up.")


@media_cli.command("clean-orphans")
def clean_orphans() -> None:
    """Remove pictures of forms never sent (older than a day) and files nothing uses (cron daily)."""
    rows, files = services.clean_orphans()
    db.session.commit()
    click.echo(f"Removed {rows} unsent upload(s) and {files} unused file(s).")


@bp.record_once
def _register_cli(state) -> None:
    state.app.cli.add_command(media_cli)
