"""`flask --app board ...` commands: seed, users, content."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from board.extensions import db

DATA_DIR = Path(__file__).resolve().parent / "data"


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_group)
    app.cli.add_command(content_group)
    # Each area adds its own commands here: `<package>/cli.py` with register(app, users_group).
    for module in ("board.moderation.cli", "board.stories.cli", "board.mail_cli", "board.gestures.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app, users_group)


# ---------------------------------------------------------------- seed

def seed_topics() -> int:
    from board.forum.services import slugify
    from board.models import Topic

    created = 0
    data = json.loads((DATA_DIR / "topics.json").read_text(encoding="utf-8"))
    existing = {t.slug: t for t in db.session.scalars(select(Topic))}
    for position, entry in enumerate(data, start=1):
        slug = slugify(entry["title"])
        topic = existing.get(slug)
        if topic is None:
            topic = Topic(slug=slug, title=entry["title"])
            db.session.add(topic)
            created += 1
        topic.description = entry["description"]
        topic.position = position
        topic.tags = entry.get("tags", "")
        if topic.id is None:
            topic.members_only = bool(entry.get("members_only", False))
    db.session.flush()
    return created


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also create demo members, threads and stories (first time only).")
def seed_command(demo: bool) -> None:
    """Create the topics (and, with --demo, demo content). Safe to run again."""
    created = seed_topics()
    db.session.commit()
    click.echo(f"Topics: {created} created.")
    from board.moderation.services import seed_moderation  # watched phrases and canned reasons

    click.echo("Watched phrases: {} added. Canned reasons: {} added.".format(*seed_moderation()))
    from board.site_pages import seed_pages  # the moderators' crisis guide

    click.echo(f"Site pages: {seed_pages()} added.")
    db.session.commit()
    if demo:
        from board.demo import seed_demo

        for line in seed_demo():
            click.echo(line)
        db.session.commit()


# ---------------------------------------------------------------- users

@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Manage member accounts."""


def _get_user(username: str):
    from board.models import User

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No member called {username!r}.")
    return user


@users_group.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["member", "moderator", "admin"]), default="member")
def users_create(username: str, email: str, password: str, role: str) -> None:
    """Create a verified account."""
    from board.auth.services import AccountError, register_user

    try:
        user = register_user(username, email, password, verified=True)
    except AccountError as exc:
        raise click.ClickException(exc.message) from exc
    user.role = role
    if role != "member":
        user.trust_level = 1
    db.session.commit()
    click.echo(f"Created {user.username} ({role}).")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]))
def users_set_role(username: str, role: str) -> None:
    """Change a member's role (ends their current sessions)."""
    user = _get_user(username)
    user.role = role
    user.rotate_session_token()
    db.session.commit()
    click.echo(f"{user.username} is now {role}.")


# ---------------------------------------------------------------- content

@click.group("content", cls=AppGroup)
def content_group() -> None:
    """Maintain stored content."""


@content_group.command("rerender")
def content_rerender() -> None:
    """Rebuild every stored HTML body from its Markdown source (after the allow-list changes)."""
    from board.markup import render_markdown
    from board.models import Post, PostRevision, Story, User

    counts = {}
    for model, pairs in (
        (Post, [("body_source", "body_html")]),
        (PostRevision, [("body_source", "body_html")]),
        (Story, [("body_source", "body_html"), ("pending_body_source", "pending_body_html")]),
        (User, [("bio_source", "bio_html")]),
    ):
        n = 0
        for obj in db.session.scalars(select(model)).yield_per(500):
            for src, dst in pairs:
                source = getattr(obj, src)
                if source is None:
                    continue
                html = render_markdown(source)
                if html != getattr(obj, dst):
                    setattr(obj, dst, html)
                    n += 1
        counts[model.__tablename__] = n
    db.session.commit()
    click.echo("Re-rendered: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
