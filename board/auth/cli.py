"""Account-security commands: `users reset-2fa USERNAME` and `users sessions USERNAME`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from board.extensions import db


def register(app: Flask, users_group: click.Group) -> None:
    users_group.add_command(reset_second_factor_command)


@click.command("reset-2fa")
@click.argument("username")
@click.option("--reason", required=True, help="Why (for the audit log), e.g. 'lost phone, identity checked by video call'.")
@click.option("--admin", "admin_name", default="", help="The admin doing this (their username), for the audit log.")
@with_appcontext
def reset_second_factor_command(username: str, reason: str, admin_name: str) -> None:
    """Remove a member's second factors (app, passkeys, recovery codes) and end their sessions.

    For a member who lost their phone and their recovery codes: check who they are first.
    Writes an audit-log row and emails the member."""
    from board.auth import sessions, twofactor
    from board.auth.services import log_out_everywhere
    from board.models import User
    from board.moderation.audit import audit

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No member called {username!r}.")
    admin = None
    if admin_name:
        admin = db.session.scalar(select(User).where(User.username == admin_name.strip().lower()))
        if admin is None or admin.role != "admin":
            raise click.ClickException(f"{admin_name!r} is not an admin.")
    before = twofactor.status(user)
    twofactor.disable_all(user)
    log_out_everywhere(user)
    sessions.end_all(user)
    audit(admin, "second_factor_reset", target_user=user, reason=reason,
          data={"totp": before.totp, "passkeys": before.passkeys, "recovery_codes": before.recovery_left,
                "by": "command line"})
    sessions.security_mail(user, "two_factor_reset", "Two-factor authentication was reset on your Circle account",
                           staff=user.is_staff)
    db.session.commit()
    note = " They must set it up again when they next log in." if user.is_staff else ""
    click.echo(f"Two-factor authentication reset for {user.username}; every session ended.{note}")
