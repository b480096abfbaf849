"""Private message pages. Thin: load, call one service, commit once, redirect.

A conversation is shown only to its own active members: anyone else (moderators included)
gets a 404. Moderators see a message only through a moderation item about it.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from board.auth.views import safe_next
from board.domain import RuleViolation
from board.errors import render_error
from board.extensions import db
from board.ids import parse_id
from board.messages import bp, services
from board.messages.forms import BODY_HINT, MessageForm, MessageSettingsForm, NewConversationForm, OutreachForm
from board.models import Conversation, ModerationItem, User
from board.moderation.care import flash_crisis_notice, needs_crisis_notice, notice_if_crisis, refused_with_crisis
from board.moderation.report_flow import report_page
from board.permissions import PermissionDenied, moderator_required
from board.limits import larger_body
from board.media import services as media
from board.security import upload_limit, message_limit, report_limit


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def _sent(message) -> None:
    """After a commit: what the sender sees about the message she just sent."""
    if needs_crisis_notice(message.body_source):
        flash_crisis_notice()
    if message.status == "pending":
        flash("Thank you. Your message will be delivered once a moderator has looked at it — usually within a "
              "few hours. Until then only you can see it.", "info")


# ================================================================ the inbox

@bp.get("/messages")
@login_required
def inbox():
    archived = request.args.get("archived") == "1"
    try:
        page = services.inbox(current_user, request.args.get("cursor") or None, archived=archived)
    except services.BadCursor:
        abort(404)
    return render_template("messages/inbox.html", page=page, viewer_id=current_user.id,
                           shown_name=services.shown_name, noindex=True)


@bp.get("/messages/requests")
@login_required
def requests():
    return render_template("messages/requests.html", requests=services.requests_for(current_user), noindex=True)


@bp.post("/messages/requests/<int:id>/accept")
@login_required
def accept(id: int):
    try:
        services.accept_request(current_user, id)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    flash("Accepted. You can write back now.", "success")
    return redirect(url_for(".conversation", id=id))


@bp.post("/messages/requests/<int:id>/decline")
@login_required
def decline(id: int):
    try:
        services.decline_request(current_user, id)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    flash("Declined. They won't be able to write to you in that conversation, and they are not told why.", "info")
    return redirect(url_for(".requests"))


# ================================================================ writing

def _pictures():
    """The pictures a message form carries; accepted ones are kept at once (by token) so a refused
    form can offer them again."""
    batch = media.collect(current_user, request.form, request.files)
    db.session.commit()
    return batch


@bp.route("/messages/new", methods=["GET", "POST"])
@message_limit
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A message with pictures")
def new():
    form = NewConversationForm()
    if request.method == "GET":
        form.to.data = (request.args.get("to") or "")[:200]
        return render_template("messages/new.html", form=form, body_hint=BODY_HINT, noindex=True)
    batch = _pictures()
    if form.validate_on_submit() and media.pictures_ok(batch, form):
        try:
            message = services.start_conversation(current_user, form.to.data, form.body.data, images=batch.images)
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field if exc.field in ("to", "body") else "body").errors.append(exc.message)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            refused_with_crisis(current_user, form.body.data, why=exc.message)
            return render_template("messages/new.html", form=form, body_hint=BODY_HINT, noindex=True,
                                   media_batch=batch), 403
        else:
            db.session.commit()
            _sent(message)
            return redirect(url_for(".conversation", id=message.conversation_id))
    notice_if_crisis(form.body.data)
    return render_template("messages/new.html", form=form, body_hint=BODY_HINT, noindex=True, media_batch=batch), 400


def _render_conversation(view, form=None, code: int = 200, reply_error: str | None = None, batch=None):
    if view is None:
        abort(404)
    g.unread_notifications, g.unread_messages, g.message_requests = view.header
    reason = services.why_cannot_reply(view.me, [m for m, _ in view.members], current_user)
    form = form or MessageForm(formdata=None)
    return render_template(
        "messages/conversation.html", view=view, form=form, body_hint=BODY_HINT, cannot_reply=reason,
        reply_error=reply_error, author_name=services.author_name, shown_name=services.shown_name, noindex=True,
        media_batch=batch,
    ), code


@bp.get("/messages/<int:id>")
@login_required
def conversation(id: int):
    view = services.conversation_view(current_user, id, before=_int_arg("before"), after=_int_arg("after"))
    response = _render_conversation(view)
    db.session.commit()  # the read marker
    return response


@bp.post("/messages/<int:id>/reply")
@message_limit
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A message with pictures")
def reply(id: int):
    conversation = db.session.get(Conversation, id)
    if conversation is None or services.membership(current_user, id) is None:
        abort(404)
    form = MessageForm()
    batch = _pictures()
    if form.validate_on_submit() and media.pictures_ok(batch, form):
        try:
            message = services.reply(current_user, conversation, form.body.data, images=batch.images)
        except RuleViolation as exc:
            db.session.rollback()
            form.body.errors.append(exc.message)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            refused_with_crisis(current_user, form.body.data, why=exc.message)
            return _render_conversation(services.conversation_view(current_user, id), form, 403, batch=batch)
        else:
            db.session.commit()
            _sent(message)
            return redirect(url_for(".conversation", id=id) + f"#message-{message.id}")
    notice_if_crisis(form.body.data)
    return _render_conversation(services.conversation_view(current_user, id), form, 400, batch=batch)


@bp.post("/messages/<int:id>/leave")
@login_required
def leave(id: int):
    try:
        services.leave(current_user, id)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    flash("You've left the conversation. You won't receive its messages any more.", "info")
    return redirect(url_for(".inbox"))


@bp.post("/messages/<int:id>/archive")
@login_required
def archive(id: int):
    try:
        archived = services.toggle_archive(current_user, id)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    if archived:
        flash("Archived. It comes back to your inbox when someone writes.", "info")
        return redirect(url_for(".inbox"))
    flash("Moved back to your inbox.", "info")
    return redirect(url_for(".conversation", id=id))


# ================================================================ reporting and blocking

@bp.route("/messages/<int:message_id>/report", methods=["GET", "POST"])
@report_limit
@login_required
def report(message_id: int):
    message = services.message_for_report(current_user, message_id)
    if message is None:
        abort(404)
    return report_page(
        lambda reason, note: services.report_message(current_user, message, reason, note),
        template="messages/report.html", message=message,
        sender=services.author_name(message, message.author, current_user.id),
        back=url_for(".conversation", id=message.conversation_id),
        thanks="Thank you for telling us. A moderator will look at this message (and only the two before it) soon. "
               "You can also block the sender.")


@bp.post("/users/<username>/block")
@login_required
def block(username: str):
    other = db.session.scalar(select(User).where(User.username == username.lower()))
    if other is None or other.deleted_at is not None:
        abort(404)
    try:
        blocked = services.toggle_block(current_user, other)
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if blocked:
            flash(f"You've blocked {other.public_name}. Their messages, mentions and notifications won't reach "
                  "you. They are not told.", "success")
        else:
            flash(f"You've unblocked {other.public_name}.", "info")
    return redirect(safe_next(request.form.get("next")) or url_for("auth.profile", username=other.username))


# ================================================================ settings

@bp.route("/settings/messages", methods=["GET", "POST"])
@login_required
def settings():
    form = MessageSettingsForm()
    code = 200
    if request.method == "GET":
        form.who_may_write.data = services.who_may_write(current_user)
        form.mail_mode.data = services.mail_mode(current_user)
    elif form.validate_on_submit():
        try:
            services.set_preferences(current_user, form.who_may_write.data, form.mail_mode.data)
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field or "who_may_write").errors.append(exc.message)
            code = 400
        else:
            db.session.commit()
            flash("Your message settings are saved.", "success")
            return redirect(url_for(".settings"))
    else:
        code = 400
    return render_template("messages/settings.html", form=form, blocks=services.blocks_of(current_user),
                           noindex=True), code


# ================================================================ moderators reach out

@bp.route("/moderation/items/<int:item_id>/message", methods=["GET", "POST"])
@moderator_required
def outreach(item_id: int):
    item = db.get_or_404(ModerationItem, item_id)
    member = services.outreach_member(item)
    if member is None:
        abort(404)
    form = OutreachForm()
    code = 200
    if request.method == "POST":
        code = 400
        if form.validate_on_submit():
            try:
                message = services.moderator_outreach(current_user, item, form.body.data)
            except RuleViolation as exc:
                db.session.rollback()
                form.body.errors.append(exc.message)
            except PermissionDenied as exc:
                db.session.rollback()
                return render_error(403, exc.message)
            else:
                db.session.commit()
                flash(f"Sent to {member.public_name} from “Circle moderators”. Their answers come to your "
                      "messages.", "success")
                return redirect(url_for(".conversation", id=message.conversation_id))
    return render_template("messages/outreach.html", item=item, member=member, form=form, noindex=True), code
