"""/settings/privacy (export, delete), memorial accounts and members-only topics. Thin views."""
from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from board.domain import RuleViolation
from board.extensions import db
from board.models import Topic, User
from board.permissions import PermissionDenied, admin_required
from board.privacy import bp, services
from board.privacy.forms import (
    DeleteAccountForm,
    ExportForm,
    MembersOnlyForm,
    MemorialForm,
)


def _privacy_page(delete_form=None, code=200):
    return render_template(
        "privacy/settings.html", export_form=ExportForm(prefix="export"),
        delete_form=delete_form or DeleteAccountForm(prefix="delete"), noindex=True,
    ), code


@bp.get("/settings/privacy")
@login_required
def settings():
    return _privacy_page()


@bp.post("/settings/privacy/export")
@login_required
def export():
    if not ExportForm(prefix="export").validate_on_submit():
        abort(400)
    data = services.export_member_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    filename = f"circle-data-{current_user.username}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.post("/settings/privacy/delete")
@login_required
def delete():
    form = DeleteAccountForm(prefix="delete")
    if not form.validate_on_submit():
        return _privacy_page(form, 400)
    try:
        services.delete_own_account(current_user, form.password.data, form.mode.data)
    except RuleViolation as exc:
        db.session.rollback()
        target = {"password": form.password, "mode": form.mode}.get(exc.field)
        if target is not None:
            target.errors.append(exc.message)
        else:
            form.form_errors.append(exc.message)
        return _privacy_page(form, 400)
    db.session.commit()
    logout_user()
    session.clear()
    flash("Your account is deleted. Thank you for being part of Circle. Take good care of yourself.", "info")
    return redirect(url_for("forum.index"))


# ---------------------------------------------------------------- memorial accounts (admins)

def _member_or_404(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


@bp.route("/users/<username>/memorial", methods=["GET", "POST"])
@admin_required
def memorial(username: str):
    user = _member_or_404(username)
    form = MemorialForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.mark_memorial(current_user, user, form.note.data, bool(form.remove_content.data))
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except RuleViolation as exc:
            db.session.rollback()
            (form.note.errors if exc.field == "note" else form.form_errors).append(exc.message)
        else:
            db.session.commit()
            flash(f"{user.public_name}'s account is now kept in memoriam.", "success")
            return redirect(url_for("auth.profile", username=user.username))
    code = 400 if request.method == "POST" else 200
    return render_template("privacy/memorial.html", user=user, form=form, noindex=True), code


# ---------------------------------------------------------------- members-only topics (admins)

@bp.get("/moderation/topics")
@admin_required
def topics():
    rows = list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))
    return render_template("privacy/topics.html", topics=rows, form=MembersOnlyForm(), noindex=True)


@bp.post("/moderation/topics/<slug>/members-only")
@admin_required
def members_only(slug: str):
    topic = db.one_or_404(select(Topic).where(Topic.slug == slug))
    form = MembersOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = services.set_members_only(current_user, topic, form.members_only.data == "on")
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    db.session.commit()
    if changed:
        who = "logged-in members only" if topic.members_only else "everyone"
        flash(f"“{topic.title}” can now be seen by {who}.", "success")
    return redirect(url_for(".topics"))
