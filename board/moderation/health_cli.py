"""`flask --app board moderation nudge-newcomers`: tell welcomers about newcomers' first
threads nobody has answered (run from cron every 15 minutes; safe to run as often as you like)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from board.extensions import db


def register(app: Flask, users_group: click.Group) -> None:
    from board.moderation.cli import moderation_group

    moderation_group.add_command(nudge_newcomers_command)


@click.command("nudge-newcomers")
@with_appcontext
def nudge_newcomers_command() -> None:
    """Announce newcomers' unanswered first threads to welcomers (if an admin turned it on)."""
    from board.moderation.health import announce_newcomers_waiting, settings

    if not settings().announce_to_welcomers:
        click.echo("The newcomer nudge is off (an admin can turn it on at /moderation/health).")
        return
    n = announce_newcomers_waiting()
    db.session.commit()
    click.echo(f"Newcomers' threads announced to welcomers: {n}.")
