"""Registration, login, logout and profiles. Thin: forms check shape, services decide."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from board.auth import bp
from board.auth import services
from board.auth.forms import LoginForm, ProfileForm, RegisterForm
from board.extensions import db
from board.models import Post, Thread, Topic, User
from board.visibility import public_posts, visible_threads, visible_topics


def safe_next(target: str | None) -> str | None:
    """Only local paths: a single leading '/', no '//', no backslash, no scheme."""
    if not target or not isinstance(target, str):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/auth/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.username.data, form.email.data, form.password.data)
        except services.AccountError as exc:
            getattr(form, exc.field or "username").errors.append(exc.message)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash("Welcome to Circle. You're logged in.", "success")
            return redirect(url_for("forum.index"))
    return render_template("auth/register.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("forum.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.form_errors.append("That username or email and password don't match an account. Please try again.")
        else:
            refusal = services.login_refusal(user)
            if refusal:
                form.form_errors.append(refusal)
            else:
                db.session.commit()
                session.clear()  # a fresh session on login
                login_user(user, remember=bool(form.remember.data))
                flash("You're logged in. Welcome back.", "success")
                return redirect(next_url or url_for("forum.index"))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next_url=next_url), code


@bp.post("/auth/logout")
def logout():
    logout_user()
    session.clear()
    flash("You're logged out. Take care.", "info")
    return redirect(url_for("forum.index"))


@bp.get("/users/<username>")
def profile(username: str):
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or user.deleted_at is not None:
        abort(404)
    threads = list(db.session.scalars(
        select(Thread).join(Topic, Thread.topic_id == Topic.id)
        .where(Thread.author_id == user.id, visible_threads(current_user), visible_topics(current_user))
        .order_by(Thread.created_at.desc()).limit(10)
    ))
    posts = list(db.session.scalars(
        select(Post).join(Thread, Post.thread_id == Thread.id).join(Topic, Thread.topic_id == Topic.id)
        .where(Post.author_id == user.id, Post.is_first.is_(False), public_posts(current_user),
               visible_threads(current_user), visible_topics(current_user))
        .options(contains_eager(Post.thread))
        .order_by(Post.created_at.desc()).limit(10)
    ))
    return render_template("auth/profile.html", user=user, threads=threads, posts=posts, noindex=True)


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings_profile():
    form = ProfileForm(obj=None)
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.city.data = current_user.city
        form.region.data = current_user.region
        form.identity.data = current_user.identity
        form.bio.data = current_user.bio_source
    elif form.validate_on_submit():
        try:
            services.update_profile(
                current_user, display_name=form.display_name.data or "", city=form.city.data or "",
                region=form.region.data or "", identity=form.identity.data or "", bio=form.bio.data or "",
            )
        except services.AccountError as exc:
            getattr(form, exc.field or "bio").errors.append(exc.message)
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("auth.profile", username=current_user.username))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/settings_profile.html", form=form, noindex=True), code
