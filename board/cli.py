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
    app.cli.add_command(setup_command)
    app.cli.add_command(users_group)
    app.cli.add_command(content_group)
    # Each area adds its own commands here: `<package>/cli.py` with register(app, users_group).
    for module in ("board.moderation.cli", "board.stories.cli", "board.mail_cli", "board.auth.cli",
                   "board.moderation.health_cli", "board.gestures.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app, users_group)


# ---------------------------------------------------------------- seed

def seed_topics() -> int:
    from board.titles import slugify
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


FIRST_ADMIN_HINT = ("No admin yet. Create the first one with: flask --app board users create NAME "
                    "--email EMAIL --password PASSWORD --role admin")


def seed_base() -> list[str]:
    """What every Circle needs, never demo content: topics, watched phrases, canned reasons, the
    community pages and the moderators' guide. Idempotent (never overwrites an admin's edits)."""
    from board.moderation.lists import seed_moderation
    from board.site_pages import seed_pages

    lines = [f"Topics: {seed_topics()} created."]
    lines.append("Watched phrases: {} added. Canned reasons: {} added.".format(*seed_moderation()))
    lines.append(f"Site pages (community pages, moderators' guide): {seed_pages()} added.")
    db.session.commit()
    return lines


def admin_hint() -> str | None:
    """One clear line when no admin exists yet, saying how to create the first one."""
    from board.models import User

    if db.session.scalar(select(User.id).where(User.role == "admin").limit(1)) is None:
        return FIRST_ADMIN_HINT
    return None


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help="Also create demo members, threads and stories (first time only).")
@click.option("--reset-passwords", is_flag=True,
              help="With --demo: give the demo moderator and members fresh passwords and print them.")
def seed_command(demo: bool, reset_passwords: bool) -> None:
    """Create the topics, watched phrases, canned reasons and pages (and, with --demo, demo content). Safe to run again."""
    for line in seed_base():
        click.echo(line)
    if demo:
        from board.demo import reset_demo_passwords, seed_demo

        for line in seed_demo():
            click.echo(line)
        db.session.commit()
        if reset_passwords:
            for line in reset_demo_passwords():
                click.echo(line)
            db.session.commit()
    elif reset_passwords:
        raise click.UsageError("--reset-passwords goes with --demo (it only changes the demo accounts).")
    hint = admin_hint()
    if hint and not demo:
        click.echo(hint)


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """First run and every deployment: apply the migrations, then the base seed (never demo content).
    `make serve` runs this before gunicorn; safe to run again."""
    from flask_migrate import upgrade

    upgrade()
    for line in seed_base():
        click.echo(line)
    hint = admin_hint()
    if hint:
        click.echo(hint)


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
    if role != "member":
        click.echo("Moderators and admins set up two-factor authentication when they first log in.")


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
    if role in ("moderator", "admin"):
        from board.auth.twofactor import has_second_factor

        if not has_second_factor(user):
            click.echo("They have no second factor yet: when they next log in they are sent to set up two-factor "
                       "authentication, and reach no page until it is done.")


# ---------------------------------------------------------------- content

@click.group("content", cls=AppGroup)
def content_group() -> None:
    """Maintain stored content."""


@content_group.command("rerender")
def content_rerender() -> None:
    """Rebuild every stored HTML body from its Markdown source (after the allow-list changes)."""
    from board.markup import render_markdown
    from board.media.gallery import keep_gallery
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
                html = keep_gallery(getattr(obj, dst) or "", render_markdown(source))  # pictures stay
                if html != getattr(obj, dst):
                    setattr(obj, dst, html)
                    n += 1
        counts[model.__tablename__] = n
    from board.models import SitePage

    n = 0
    for page in db.session.scalars(select(SitePage)):  # whole pages: their headings start at h2
        html = render_markdown(page.body_source, page=True)
        if html != page.body_html:
            page.body_html = html
            n += 1
    counts[SitePage.__tablename__] = n
    db.session.commit()
    click.echo("Re-rendered: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
