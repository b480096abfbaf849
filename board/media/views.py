"""Serving pictures, reporting one, and the member's profile picture."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from board.extensions import db
from board.limits import larger_body
from board.media import bp, pipeline, services, storage
from board.media.avatars import avatar_html
from board.models import ConversationMember, Image
from board.moderation.report_flow import report_page
from board.moderation.intake import report_content
from board.permissions import posting_block_reason
from board.security import report_limit, upload_limit
from board.visibility import can_see_image, image_is_public

PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRIVATE_CACHE = "private, no-store"


def _in_conversation(image: Image, holder) -> bool:
    if image.content_kind != "message" or holder is None or not current_user.is_authenticated:
        return False
    return db.session.scalar(select(ConversationMember.id).where(
        ConversationMember.conversation_id == holder.conversation_id,
        ConversationMember.user_id == current_user.id)) is not None


@bp.get("/media/<name>")
def file(name: str):
    """A cleaned picture by content hash. Sent only to someone who may see at least one place it
    is used; kept by shared caches (immutable) only when a visitor could see it. Else 404, the
    same as a file that doesn't exist (no enumeration)."""
    if not storage.valid_name(name):
        abort(404)
    viewer = current_user._get_current_object()
    allowed = public = False
    for image in services.lookup(name):
        holder = services.holder_of(image)
        if can_see_image(viewer, image, holder, in_conversation=_in_conversation(image, holder)):
            allowed = True
            if image_is_public(image, holder):
                public = True
                break
    if not allowed:
        abort(404)
    data = storage.get(name)
    if data is None:
        abort(404)
    response = _file_response(data, name)
    if public:
        g.circle_public_media = True
        response.headers["Cache-Control"] = PUBLIC_CACHE
    else:
        response.headers["Cache-Control"] = PRIVATE_CACHE
        response.headers["Vary"] = "Cookie"
    return response


def _file_response(data: bytes, name: str):
    response = current_app.response_class(data, mimetype=pipeline.TYPES[name.rsplit(".", 1)[1]])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# ---------------------------------------------------------------- reports

def _image_for_report(image_id: int) -> Image:
    image = db.get_or_404(Image, image_id)
    holder = services.holder_of(image)
    if image.content_kind not in ("post", "story", "avatar") or not can_see_image(current_user, image, holder):
        abort(404)
    return image


@bp.route("/images/<int:image_id>/report", methods=["GET", "POST"])
@report_limit
@login_required
def report(image_id: int):
    image = _image_for_report(image_id)
    return report_page(
        lambda reason, note: report_content(current_user, reason, note, target=image),
        template="media/report.html", image=image, back=_back_url(image),
        thanks="Thank you for telling us. A moderator will look at the picture soon.")


def _back_url(image: Image) -> str:
    if image.content_kind == "post":
        return url_for("forum.post_permalink", post_id=image.content_id)
    if image.content_kind == "story":
        return f"{request.script_root}/stories/{image.content_id}"
    return url_for("forum.index")


# ---------------------------------------------------------------- profile picture

@bp.route("/settings/picture", methods=["GET", "POST"])
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A profile picture")
def picture():
    """Choose a square part of a photo (the crop fields: left, top and side as fractions; with
    JavaScript, a frame to drag) or remove the picture. Low-trust members' pictures wait for a
    moderator; the initials avatar shows until one is approved."""
    waiting = services.waiting_avatar(current_user)
    error = ""
    if request.method == "POST":
        if request.form.get("action") == "remove":
            services.remove_avatar(current_user)
            db.session.commit()
            flash("Your profile picture is removed; your initials show instead.", "success")
            return redirect(url_for(".picture"))
        reason = posting_block_reason(current_user)
        upload = request.files.get("picture")
        if reason is not None:
            error = reason
        elif upload is None or not upload.filename:
            error = "Please choose a picture."
        else:
            data = upload.stream.read(int(current_app.config["BOARD_IMAGE_MAX_BYTES"]) + 1)
            try:
                image = services.set_avatar(current_user, data, _fraction("crop_x", 0.0),
                                            _fraction("crop_y", 0.0), _fraction("crop_size", 1.0))
            except pipeline.Refused as exc:
                error = exc.message
            else:
                db.session.commit()
                if image.status == "pending":
                    flash("Thank you. Your picture will show once a moderator has looked at it; "
                          "until then your initials show.", "info")
                else:
                    flash("Your profile picture is saved.", "success")
                return redirect(url_for(".picture"))
        db.session.rollback()
    return render_template("media/picture.html", waiting_picture=waiting, error=error, noindex=True), (400 if error else 200)


def _fraction(name: str, default: float) -> float:
    raw = (request.form.get(name) or "")[:12]
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if 0.0 <= value <= 1.0 else default


# ---------------------------------------------------------------- template helpers

@bp.app_template_global("media_slots")
def _media_slots():
    return services.Batch([services.Slot(n) for n in range(1, services.max_images() + 1)]).slots


@bp.app_template_global("media_max_mb")
def _media_max_mb() -> int:
    return round(int(current_app.config["BOARD_IMAGE_MAX_BYTES"]) / (1024 * 1024))


@bp.app_template_global("media_reviewed")
def _media_reviewed(user) -> bool:
    return services.needs_review(user)


bp.add_app_template_global(avatar_html, "avatar_html")
