"""Registration, login, logout and profiles. Thin: forms check shape, services decide."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from board.auth import bp
from board.auth import services, sessions
from board.auth.forms import (
    ChangeEmailForm, ChangePasswordForm, ConfirmForm, EmailForm, LoginForm, NewPasswordForm, ProfileForm,
    RegisterForm,
)
from board.auth.tokens import LinkProblem
from board.extensions import db
from board.security import login_limits, register_limit, reset_mail_limit, verify_mail_limit
from board.models import Post, Thread, Topic, User, utcnow
from board.visibility import public_posts, visible_threads, visible_topics


UNVERIFIED_REMINDER = (
    "Please confirm your email address so you can post: open the link we emailed you. "
    "Can't find it? You can get a new link on your Account settings page."
)


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
@register_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            # A new address gets a verification link; a used one gets a warning mail to its
            # owner. Both answer the same way, so nobody learns who is a member.
            services.sign_up(form.username.data, form.email.data, form.password.data,
                             accepted_guidelines=bool(form.accept_guidelines.data))
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "username").errors.append(exc.message)
        else:
            db.session.commit()
            flash("Thank you for joining Circle. Please check your inbox.", "success")
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form), 400 if request.method == "POST" else 200


@bp.get("/auth/check-email")
def check_email():
    return render_template("auth/check_email.html", noindex=True)


@bp.route("/auth/login", methods=["GET", "POST"])
@login_limits
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
                # A fresh session; with a second factor, only once it is given (board/auth/sessions.py).
                first_login = user.last_login_at is None
                user.last_login_at = utcnow()
                second_step = sessions.begin_login(user, remember=bool(form.remember.data), next_url=next_url)
                db.session.commit()
                if second_step:
                    return redirect(second_step)
                flash("You're logged in. Welcome to Circle." if first_login else "You're logged in. Welcome back.",
                      "success")
                if not user.is_verified:
                    flash(UNVERIFIED_REMINDER, "info")
                return redirect(next_url or url_for("forum.index"))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next_url=next_url), code


@bp.post("/auth/logout")
def logout():
    info = sessions.current()
    if current_user.is_authenticated and info is not None:
        sessions.end_session(current_user, info.id)
        db.session.commit()
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
    stories_loader = current_app.extensions.get("circle.profile_stories")  # published, never anonymous
    stories = stories_loader(user) if stories_loader else []
    return render_template("auth/profile.html", user=user, threads=threads, posts=posts, stories=stories, noindex=True)


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings_profile():
    form = ProfileForm(obj=None)
    form.time_zone.choices = time_zone_choices()
    if request.method == "GET":
        form.display_name.data = current_user.display_name
        form.city.data = current_user.city
        form.region.data = current_user.region
        form.country.data = current_user.country or ""
        form.identity.data = current_user.identity
        form.time_zone.data = current_user.time_zone or ""
        form.bio.data = current_user.bio_source
    elif form.validate_on_submit():
        try:
            services.update_profile(
                current_user, display_name=form.display_name.data or "", city=form.city.data or "",
                region=form.region.data or "", identity=form.identity.data or "", bio=form.bio.data or "",
                country=form.country.data or "", time_zone=form.time_zone.data or "",
            )
        except services.AccountError as exc:
            getattr(form, exc.field or "bio").errors.append(exc.message)
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("auth.profile", username=current_user.username))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/settings_profile.html", form=form, noindex=True), code


def time_zone_choices() -> list[tuple[str, str]]:
    from board.templating import available_zones, viewer_zone

    guess = "" if current_user.time_zone else f" — now {viewer_zone().replace('_', ' ')}"
    return [("", f"Automatic: from your browser, UTC until it tells us{guess}")] + [
        (z, z.replace("_", " ")) for z in sorted(available_zones())]


# ---------------------------------------------------------------- email verification

def _link_problem(exc: LinkProblem, purpose: str):
    """Kind words for a link that can't be used, and a way to get a new one."""
    return render_template("auth/link_problem.html", reason=exc.reason, purpose=purpose,
                           form=EmailForm(), noindex=True), 400


@bp.route("/auth/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    """GET shows one button (so mail scanners that open links don't spend them); POST confirms."""
    form = ConfirmForm()
    try:
        user, address = services.check_verify_link(token)
    except LinkProblem as exc:
        return _link_problem(exc, "verify")
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("auth/verify.html", form=form, token=token, address=address,
                               change=address != user.email, noindex=True)
    first_confirmation = address == user.email and user.email_verified_at is None
    try:
        user = services.confirm_email(token)
    except LinkProblem as exc:
        db.session.rollback()
        return _link_problem(exc, "verify")
    db.session.commit()
    message = "Thank you — your email address is confirmed. You can now post, reply and share stories."
    logged_in_now = False
    if not current_user.is_authenticated and services.login_refusal(user) is None:
        user.last_login_at = user.last_login_at or utcnow()
        second_step = sessions.begin_login(user)  # a fresh session, as on any login
        db.session.commit()
        if second_step:
            flash(message, "success")
            return redirect(second_step)
        logged_in_now = True
    flash(message, "success")
    is_her = logged_in_now or (current_user.is_authenticated and current_user.id == user.id)
    if is_her and first_confirmation and user.welcomed_at is None:
        return redirect(url_for("welcome.welcome"))  # a newcomer: the short welcome, then the home page
    if is_her and not logged_in_now:
        return redirect(url_for("auth.settings_account"))  # confirmed while logged in (e.g. a changed address)
    return redirect(url_for("forum.index"))


@bp.route("/auth/verify/resend", methods=["GET", "POST"])
@verify_mail_limit
def resend_verification():
    form = EmailForm()
    if current_user.is_authenticated:
        if request.method == "POST" and ConfirmForm().validate_on_submit():
            if services.resend_verification(current_user):
                db.session.commit()
                flash(f"We've sent a new link to {current_user.email}. It works for 48 hours.", "success")
            else:
                flash("Your email address is already confirmed. There's nothing more to do.", "info")
            return redirect(url_for("auth.settings_account"))
        return render_template("auth/resend.html", form=ConfirmForm(), noindex=True)
    if form.validate_on_submit():
        services.resend_verification_to(form.email.data)
        db.session.commit()
        flash("If that address belongs to an account that still needs confirming, we've sent a new link. "
              "It works for 48 hours.", "success")
        return redirect(url_for("auth.check_email"))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/resend.html", form=form, noindex=True), code


# ---------------------------------------------------------------- password reset

@bp.route("/auth/reset", methods=["GET", "POST"])
@reset_mail_limit
def reset_request():
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return redirect(url_for("auth.reset_sent"))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form, noindex=True), code


@bp.get("/auth/reset/sent")
def reset_sent():
    return render_template("auth/reset_sent.html", noindex=True)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.check_reset_link(token)
    except LinkProblem as exc:
        return _link_problem(exc, "reset")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except LinkProblem as exc:
            db.session.rollback()
            return _link_problem(exc, "reset")
        except services.AccountError as exc:
            db.session.rollback()
            form.password.errors.append(exc.message)
        else:
            db.session.commit()
            refusal = services.login_refusal(user)
            logout_user()
            session.clear()
            if refusal:
                flash("Your new password is saved.", "success")
                flash(refusal, "info")
                return redirect(url_for("auth.login"))
            second_step = sessions.begin_login(user)
            db.session.commit()
            if second_step:
                flash("Your new password is saved. Any other devices have been logged out. "
                      "Please confirm it's you with your second factor.", "success")
                return redirect(second_step)
            flash("Your new password is saved and you're logged in. Any other devices have been logged out.",
                  "success")
            return redirect(url_for("forum.index"))
    code = 400 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form, token=token, user=user, noindex=True), code


# ---------------------------------------------------------------- account settings

def _account_page(email_form=None, password_form=None, code=200):
    return render_template(
        "auth/settings_account.html",
        email_form=email_form or ChangeEmailForm(prefix="email"),
        password_form=password_form or ChangePasswordForm(prefix="password"),
        confirm_form=ConfirmForm(), noindex=True,
    ), code


@bp.get("/settings/account")
@login_required
def settings_account():
    return _account_page()


@bp.post("/settings/account/email")
@login_required
def change_email():
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            address = services.request_email_change(current_user, form.current_password.data, form.email.data)
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"We've sent a link to {address}. Open it to start using that address. "
                  f"Until then we keep using {current_user.email}.", "success")
            return redirect(url_for("auth.settings_account"))
    return _account_page(email_form=form, code=400)


@bp.post("/settings/account/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "new_password").errors.append(exc.message)
        else:
            # The session token rotated: other devices are logged out; keep this one.
            sessions.restart_after_rotation(current_user._get_current_object())
            db.session.commit()
            flash("Your password is changed. Any other devices where you were logged in have been logged out.",
                  "success")
            return redirect(url_for("auth.settings_account"))
    return _account_page(password_form=form, code=400)


@bp.post("/settings/account/logout-everywhere")
@login_required
def logout_everywhere():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.log_out_everywhere(current_user)
    sessions.end_all(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You're logged out everywhere, on every device — this one too. Log in again whenever you like.", "info")
    return redirect(url_for("auth.login"))
