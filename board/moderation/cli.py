"""Moderation commands: `users set-trust USERNAME LEVEL` and `moderation seed-words`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from board.extensions import db


def register(app: Flask, users_group: click.Group) -> None:
    users_group.add_command(set_trust_command)
    app.cli.add_command(moderation_group)


@click.command("set-trust")
@click.argument("username")
@click.argument("level", type=click.IntRange(0, 2))
@with_appcontext
def set_trust_command(username: str, level: int) -> None:
    """Set a member's trust level (0 new: posts reviewed; 1 member; 2 established: links in messages)."""
    from board.models import User
    from board.moderation.sanctions import set_trust

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No member called {username!r}.")
    set_trust(None, user, level, reason="Set by an operator at the command line")
    db.session.commit()
    click.echo(f"{user.username} is now at trust level {level}.")


@click.group("moderation")
def moderation_group() -> None:
    """Moderation data."""


@moderation_group.command("seed-words")
@with_appcontext
def seed_words_command() -> None:
    """Add the seeded watched phrases and canned reasons (safe to run again)."""
    from board.moderation.lists import seed_moderation

    words, reasons = seed_moderation()
    db.session.commit()
    click.echo(f"Watched phrases: {words} added. Canned reasons: {reasons} added.")
