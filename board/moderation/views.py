"""Moderation pages. Thin: load, check the role, call one service, commit once, redirect."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from board.domain import Conflict, RuleViolation
from board.errors import render_error
from board.extensions import db
from board.form_choices import choices
from board.ids import parse_id
from board.models import CannedReason, ModerationItem, Post, Thread, Topic, User, WatchedWord, utcnow
from board.models.moderation import ITEM_KINDS, WORD_ACTIONS
from board.moderation import bp, care, services
from board.moderation.forms import (
    BulkForm, EditApproveForm, MemberActionForm, NoteForm, ReasonForm, RejectForm, ReportForm, ThreadMoveForm,
    ThreadRenameForm, WordActionForm, WordForm,
)
from board.permissions import PermissionDenied, admin_required, can_moderate_user, moderator_required
from board.security import report_limit
from board.visibility import can_see_thread, post_text_visible


@bp.record_once
def _register_hooks(state):
    # After a post is committed, its author sees the crisis notice when needed.
    state.app.extensions["circle.after_post"] = care.show_crisis_notice


@bp.context_processor
def _moderation_context():
    return {"now_utc": utcnow()}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def _item_or_404(item_id: int) -> ModerationItem:
    item = services.load_item(item_id)
    if item is None:
        abort(404)
    return item


def _ids(form, prefix: str):
    """Unique element ids when several forms share a page (field names stay as they are)."""
    for f in form:
        if f.name != "csrf_token":
            f.id = f"{prefix}-{f.name}"
            f.label.field_id = f.id
    return form


def _reason_choices() -> list[SelectChoice]:
    return choices([("", "— Choose a reason —")] + [(str(r.id), r.title) for r in services.canned_reasons()])


def _reason_from(form_value: str | None) -> CannedReason | None:
    if not form_value:
        return None
    reason_id = parse_id(form_value)
    return None if reason_id is None else db.session.get(CannedReason, reason_id)


# ================================================================ the queue

@bp.get("/moderation")
@moderator_required
def queue():
    kind = request.args.get("kind") or None
    if kind not in (None, *ITEM_KINDS):
        abort(404)
    topics = list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))
    topic_slug = request.args.get("topic") or None
    topic = next((t for t in topics if t.slug == topic_slug), None)
    if topic_slug and topic is None:
        abort(404)
    items = services.queue_items(kind=kind, topic_id=topic.id if topic else None)
    histories = services.author_histories(i.subject_user_id for i in items)
    bulk_form = _ids(BulkForm(formdata=None), "bulk")
    bulk_form.reason.choices = _reason_choices()
    return render_template(
        "moderation/queue.html", items=items, summary=services.queue_summary(), histories=histories,
        kind=kind, topic=topic, topics=topics, kind_labels=services.KIND_LABELS, bulk_form=bulk_form,
        is_old=services.is_old, noindex=True,
    )


@bp.post("/moderation/next")
@moderator_required
def next_item():
    kind = request.form.get("kind") or None
    if kind not in (None, *ITEM_KINDS):
        kind = None
    item = services.next_item(current_user, kind)
    db.session.commit()
    if item is None:
        flash("Nothing is waiting that you can take. Thank you.", "success")
        return redirect(url_for(".queue"))
    return redirect(url_for(".item", item_id=item.id))


@bp.post("/moderation/bulk")
@moderator_required
def bulk():
    form = BulkForm()
    form.reason.choices = _reason_choices()
    ids = [i for i in map(parse_id, request.form.getlist("item_ids")) if i is not None][:100]
    if not form.validate_on_submit() or not ids:
        flash("Select at least one item and an action.", "error")
        return redirect(url_for(".queue"))
    reason = _reason_from(form.reason.data)
    if form.action.data == "reject" and reason is None and not (form.note.data or "").strip():
        flash("To return items to their authors, choose a reason they will read.", "error")
        return redirect(url_for(".queue"))
    result = services.bulk(ids, current_user, form.action.data, reason, form.note.data or "")
    db.session.commit()
    verb = "approved" if form.action.data == "approve" else "returned to their authors"
    if result.done:
        flash(f"{len(result.done)} item{'s' if len(result.done) != 1 else ''} {verb}.", "success")
    for item_id, message in result.skipped:
        flash(f"Item {item_id} skipped: {message}", "warning")
    return redirect(url_for(".queue"))


# ================================================================ one item

def _render_item(item: ModerationItem, code: int = 200, **forms):
    reject_form = _ids(forms.get("reject_form") or RejectForm(formdata=None), "reject")
    reject_form.reason.choices = _reason_choices()
    edit_form = forms.get("edit_form")
    target = item.post or item.story or item.message
    content_html = _private_content(item)
    if edit_form is None:
        edit_form = EditApproveForm(formdata=None)
        if item.message is not None:  # MERGE(w14): kind.edit_fields(target)
            edit_form.body.data = item.message.body_source
        elif item.post is not None:
            edit_form.body.data = item.post.body_source
            edit_form.title.data = item.post.thread.title if item.post.is_first else ""
        elif item.story is not None:
            story = item.story  # a pending edit of a published story is what is being reviewed
            edit_form.body.data = story.pending_body_source if story.has_pending_edit else story.body_source
            edit_form.title.data = (story.pending_title if story.has_pending_edit else story.title) or ""
    _ids(edit_form, "edit")
    return render_template(
        "moderation/item.html", item=item, target=target,
        history=services.author_histories([item.subject_user_id]).get(item.subject_user_id),
        recent_posts=services.author_recent_posts(item.subject_user_id),
        previous=services.author_previous_items(item.subject_user_id, item.id),
        actions=services.item_actions(item.id), note_form=NoteForm(formdata=None), reject_form=reject_form,
        edit_form=edit_form, kind_labels=services.KIND_LABELS, action_labels=services.ACTION_LABELS,
        can_undo=services.can_undo(item, current_user), is_old=services.is_old(item),
        own=item.subject_user_id == current_user.id, content_html=content_html,
        can_reach_out="messages.outreach" in current_app.view_functions and (
            item.kind in ("crisis", "report") or item.priority >= 2) and item.subject_user_id not in (
            None, current_user.id),
        noindex=True,
    ), code


def _private_content(item: ModerationItem):
    """MERGE(w14): a private message is shown through its kind's adapter (the message and at most the
    two before it), and each look is written to the audit log — there is no other way to read one."""
    if not item.message_id:
        return None
    kind = current_app.extensions.get(services.KINDS_KEY, {}).get("message")
    if kind is None or item.message is None:
        return None
    services.audit(current_user, "view_private", item=item, target_user=item.subject_user,
                   data=kind.audit_data(item.message))
    db.session.commit()
    return kind.item_html(item.message)


@bp.get("/moderation/items/<int:item_id>")
@moderator_required
def item(item_id: int):
    return _render_item(_item_or_404(item_id))


def _act(item_id: int, fn, success: str):
    item = _item_or_404(item_id)
    try:
        fn(item)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except PermissionDenied as exc:
        db.session.rollback()
        return render_error(403, exc.message)
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for(".item", item_id=item_id))


@bp.post("/moderation/items/<int:item_id>/claim")
@moderator_required
def claim(item_id: int):
    return _act(item_id, lambda i: services.claim(i, current_user),
                f"You have this item for {services.CLAIM_MINUTES} minutes.")


@bp.post("/moderation/items/<int:item_id>/release")
@moderator_required
def release(item_id: int):
    return _act(item_id, lambda i: services.release(i, current_user), "You let go of this item.")


@bp.post("/moderation/items/<int:item_id>/approve")
@moderator_required
def approve(item_id: int):
    form = NoteForm()
    form.validate()
    return _act(item_id, lambda i: services.approve(i, current_user, form.note.data or ""),
                "Done. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/reject")
@moderator_required
def reject(item_id: int):
    item = _item_or_404(item_id)
    form = RejectForm()
    form.reason.choices = _reason_choices()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_item(item, 400, reject_form=form)
    reason = _reason_from(form.reason.data)
    if reason is None and not (form.note.data or "").strip():
        form.reason.errors = ["Please choose a reason or write a note for the author."]
        return _render_item(item, 400, reject_form=form)
    return _act(item_id, lambda i: services.reject(i, current_user, reason, form.note.data or ""),
                "Returned to the author with your reason. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/edit")
@moderator_required
def edit(item_id: int):
    item = _item_or_404(item_id)
    form = EditApproveForm()
    if not form.validate_on_submit():
        return _render_item(item, 400, edit_form=form)
    try:
        services.edit_and_approve(item, current_user, form.body.data, form.title.data or None, form.note.data or "")
    except RuleViolation as exc:
        db.session.rollback()
        item = _item_or_404(item_id)
        if exc.field in ("body", "title"):
            getattr(form, exc.field).errors.append(exc.message)
            return _render_item(item, 400, edit_form=form)
        flash(exc.message, "error")
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    except PermissionDenied as exc:
        db.session.rollback()
        return render_error(403, exc.message)
    else:
        db.session.commit()
        flash("Edited and approved. You can undo this for 10 minutes.", "success")
    return redirect(url_for(".item", item_id=item_id))


@bp.post("/moderation/items/<int:item_id>/dismiss")
@moderator_required
def dismiss(item_id: int):
    form = NoteForm()
    form.validate()
    return _act(item_id, lambda i: services.dismiss(i, current_user, form.note.data or ""),
                "Dismissed. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/remove")
@moderator_required
def remove(item_id: int):
    form = NoteForm()
    form.validate()
    return _act(item_id, lambda i: services.remove(i, current_user, form.note.data or ""),
                "Removed. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/undo")
@moderator_required
def undo(item_id: int):
    return _act(item_id, lambda i: services.undo(i, current_user), "Undone: the item is open again and yours.")


# ================================================================ reports (members)

@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@report_limit
@login_required
def report_post(post_id: int):
    post = db.get_or_404(Post, post_id)
    if not can_see_thread(current_user, post.thread) or not post_text_visible(current_user, post):
        abort(404)
    form = ReportForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.report_content(current_user, form.reason.data, form.note.data or "", post=post)
            except RuleViolation as exc:
                db.session.rollback()
                if exc.field in ("reason", "note"):
                    getattr(form, exc.field).errors.append(exc.message)
                else:
                    flash(exc.message, "info")
                    return redirect(url_for("forum.post_permalink", post_id=post.id))
            except PermissionDenied as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                return render_template("moderation/report.html", post=post, form=form, noindex=True), 403
            else:
                db.session.commit()
                flash("Thank you for telling us. A moderator will look at it soon.", "success")
                if form.reason.data == "at_risk":
                    flash("If someone is in immediate danger, please also contact local emergency services "
                          "(in the US, call or text 988).", "crisis")
                return redirect(url_for("forum.post_permalink", post_id=post.id))
        return render_template("moderation/report.html", post=post, form=form, noindex=True), 400
    return render_template("moderation/report.html", post=post, form=form, noindex=True)


# ================================================================ threads

def _thread_or_404(thread_id: int) -> Thread:
    return db.get_or_404(Thread, thread_id)


def _thread_toggle(thread_id: int, fn, message: str):
    thread = _thread_or_404(thread_id)
    fn(thread)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))


@bp.post("/moderation/stories/<int:story_id>/feature")
@moderator_required
def feature_story(story_id: int):
    """Feature or stop featuring a published story (form field `featured`: 1 or 0)."""
    from board.models import Story

    story = db.get_or_404(Story, story_id)
    featured = request.form.get("featured", "1") != "0"
    try:
        services.feature_story(story, current_user, featured)
    except (PermissionDenied, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("The story is now featured." if featured else "The story is no longer featured.", "success")
    return redirect(url_for("stories.story", story_id=story.id))


@bp.post("/moderation/threads/<int:thread_id>/lock")
@moderator_required
def lock_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: services.set_locked(t, current_user, True), "Thread locked.")


@bp.post("/moderation/threads/<int:thread_id>/unlock")
@moderator_required
def unlock_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: services.set_locked(t, current_user, False), "Thread unlocked.")


@bp.post("/moderation/threads/<int:thread_id>/pin")
@moderator_required
def pin_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: services.set_pinned(t, current_user, True), "Thread pinned.")


@bp.post("/moderation/threads/<int:thread_id>/unpin")
@moderator_required
def unpin_thread(thread_id: int):
    return _thread_toggle(thread_id, lambda t: services.set_pinned(t, current_user, False), "Thread unpinned.")


def _thread_forms(thread: Thread, move_form=None, rename_form=None):
    topics = list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))
    move_form = move_form or ThreadMoveForm(formdata=None, topic=thread.topic_id)
    move_form.topic.choices = choices((t.id, t.title) for t in topics)
    rename_form = rename_form or ThreadRenameForm(formdata=None, title=thread.title)
    return _ids(move_form, "move"), _ids(rename_form, "rename")


@bp.get("/moderation/threads/<int:thread_id>")
@moderator_required
def manage_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread)
    return render_template("moderation/thread.html", thread=thread, move_form=move_form, rename_form=rename_form,
                           noindex=True)


@bp.post("/moderation/threads/<int:thread_id>/move")
@moderator_required
def move_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread, move_form=ThreadMoveForm())
    if not move_form.validate_on_submit():
        return render_template("moderation/thread.html", thread=thread, move_form=move_form,
                               rename_form=rename_form, noindex=True), 400
    topic = db.get_or_404(Topic, move_form.topic.data)
    services.move_thread(thread, current_user, topic, move_form.reason.data or "")
    db.session.commit()
    flash(f"Thread moved to “{topic.title}”.", "success")
    return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))


@bp.post("/moderation/threads/<int:thread_id>/rename")
@moderator_required
def rename_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    move_form, rename_form = _thread_forms(thread, rename_form=ThreadRenameForm())
    if rename_form.validate_on_submit():
        try:
            services.rename_thread(thread, current_user, rename_form.title.data, rename_form.reason.data or "")
        except RuleViolation as exc:
            db.session.rollback()
            rename_form.title.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Thread renamed.", "success")
            return redirect(url_for("forum.thread", thread_id=thread.id, slug=thread.slug))
    return render_template("moderation/thread.html", thread=thread, move_form=move_form, rename_form=rename_form,
                           noindex=True), 400


# ================================================================ members

def _member_or_404(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


def _render_member(user: User, form=None, code: int = 200):
    form = form or MemberActionForm(formdata=None)
    return render_template(
        "moderation/member.html", user=user, form=form, sanctions=services.user_sanctions(user.id),
        recent_posts=services.author_recent_posts(user.id),
        history=services.author_histories([user.id]).get(user.id),
        may_act=can_moderate_user(current_user, user), silence_days=services.SILENCE_DAYS,
        suspend_days=services.SUSPEND_DAYS, noindex=True,
    ), code


@bp.route("/users/<username>/moderate", methods=["GET", "POST"])
@moderator_required
def moderate_user(username: str):
    user = _member_or_404(username)
    if request.method == "GET":
        return _render_member(user)
    form = MemberActionForm()
    if not form.validate_on_submit():
        return _render_member(user, form, 400)
    action = form.action.data
    reason = form.reason.data or ""
    try:
        if action == "warn":
            services.warn(current_user, user, reason)
            message = "Warning sent."
        elif action == "silence":
            days = int(form.days.data) if (form.days.data or "").isdigit() else 0
            services.silence(current_user, user, days, reason)
            message = f"{user.public_name} is silenced for {days} day{'s' if days != 1 else ''}."
        elif action == "suspend":
            days = None if form.days.data == "indefinite" else (
                int(form.days.data) if (form.days.data or "").isdigit() else -1)
            services.suspend(current_user, user, days, reason)
            message = f"{user.public_name} is suspended; their sessions have ended."
        elif action == "lift_silence":
            services.lift(current_user, user, "silence", reason)
            message = "Silence lifted."
        elif action == "lift_suspension":
            services.lift(current_user, user, "suspend", reason)
            message = "Suspension lifted."
        elif action == "set_trust":
            level = int(form.level.data) if (form.level.data or "") in ("0", "1", "2") else -1
            services.set_trust(current_user, user, level, reason)
            message = f"Trust level set to {level}."
        else:
            abort(400)
    except PermissionDenied as exc:
        db.session.rollback()
        return render_error(403, exc.message)
    except RuleViolation as exc:
        db.session.rollback()
        user = _member_or_404(username)
        form.form_errors.append(exc.message)  # the page's inputs are plain, one form per action
        return _render_member(user, form, 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".moderate_user", username=user.username))


# ================================================================ the audit log

@bp.get("/moderation/log")
@moderator_required
def log():
    moderator_name = (request.args.get("moderator") or "").strip().lower()
    member_name = (request.args.get("member") or "").strip().lower()
    action = request.args.get("action") or None
    if action and action not in services.ACTION_LABELS:
        abort(404)
    moderator = member = None
    missing = []
    if moderator_name:
        moderator = db.session.scalar(select(User).where(User.username == moderator_name))
        missing += [] if moderator else [moderator_name]
    if member_name:
        member = db.session.scalar(select(User).where(User.username == member_name))
        missing += [] if member else [member_name]
    entries = [] if missing else services.log_entries(
        moderator_id=moderator.id if moderator else None, user_id=member.id if member else None, action=action,
        before_id=_int_arg("before"),
    )
    next_before = entries[-1].id if len(entries) == 50 else None
    return render_template(
        "moderation/log.html", entries=entries, staff=services.staff_members(), action_labels=services.ACTION_LABELS,
        moderator_name=moderator_name, member_name=member_name, action=action, missing=missing,
        next_before=next_before, noindex=True,
    )


# ================================================================ watched words and canned reasons (admins)

@bp.route("/moderation/words", methods=["GET", "POST"])
@admin_required
def words():
    form = WordForm()
    code = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.add_word(current_user, form.phrase.data, form.action.data)
            except RuleViolation as exc:
                db.session.rollback()
                getattr(form, exc.field or "phrase").errors.append(exc.message)
            else:
                db.session.commit()
                flash("Phrase added.", "success")
                return redirect(url_for(".words"))
        code = 400
    return render_template("moderation/words.html", form=form, words=services.watched_words(),
                           word_actions=WORD_ACTIONS, noindex=True), code


@bp.post("/moderation/words/<int:word_id>")
@admin_required
def change_word(word_id: int):
    word = db.get_or_404(WatchedWord, word_id)
    form = WordActionForm()
    if not form.validate_on_submit():
        flash("Choose block, review or flag.", "error")
        return redirect(url_for(".words"))
    services.change_word(current_user, word, form.action.data)
    db.session.commit()
    flash("Phrase updated.", "success")
    return redirect(url_for(".words"))


@bp.post("/moderation/words/<int:word_id>/delete")
@admin_required
def delete_word(word_id: int):
    word = db.get_or_404(WatchedWord, word_id)
    services.delete_word(current_user, word)
    db.session.commit()
    flash("Phrase deleted.", "success")
    return redirect(url_for(".words"))


@bp.route("/moderation/reasons", methods=["GET", "POST"])
@admin_required
def reasons():
    form = ReasonForm()
    code = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.add_reason(current_user, form.title.data, form.text.data)
            except RuleViolation as exc:
                db.session.rollback()
                getattr(form, exc.field or "title").errors.append(exc.message)
            else:
                db.session.commit()
                flash("Reason added.", "success")
                return redirect(url_for(".reasons"))
        code = 400
    return render_template("moderation/reasons.html", form=form, reasons=services.canned_reasons(),
                           noindex=True), code


@bp.post("/moderation/reasons/<int:reason_id>")
@admin_required
def change_reason(reason_id: int):
    reason = db.get_or_404(CannedReason, reason_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.change_reason(current_user, reason, form.title.data, form.text.data)
        except RuleViolation as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash("Reason updated.", "success")
            return redirect(url_for(".reasons"))
    else:
        error = "Please fill in both the title and the text."
    # Shown again in that reason's form, with the admin's words, not the saved ones.
    edited = {"id": reason_id, "title": form.title.data or "", "text": form.text.data or "", "error": error}
    return render_template("moderation/reasons.html", form=ReasonForm(formdata=None), reasons=services.canned_reasons(),
                           edited=edited, noindex=True), 400


@bp.post("/moderation/reasons/<int:reason_id>/delete")
@admin_required
def delete_reason(reason_id: int):
    reason = db.get_or_404(CannedReason, reason_id)
    services.delete_reason(current_user, reason)
    db.session.commit()
    flash("Reason deleted.", "success")
    return redirect(url_for(".reasons"))


