"""The moderators' queue and one item's page, its decisions, and members' reports of posts.

Thin: load, check the role, call one service, commit once, redirect.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from board.domain import Conflict, RuleViolation
from board.errors import render_error
from board.extensions import db
from board.ids import parse_id
from board.models import ModerationItem, Post, Topic
from board.moderation import bp, claims, decisions
from board.moderation.audit import ACTION_LABELS, audit
from board.moderation.forms import BulkForm, EditApproveForm, NoteForm, RejectForm, RemoveForm
from board.moderation.intake import report_content
from board.moderation.kinds import content_of, queue_kinds
from board.moderation.report_flow import report_page
from board.moderation.queue import (
    author_histories, author_previous_items, author_recent_posts, is_old, item_actions, load_item, queue_items,
    queue_summary,
)
from board.moderation.view_helpers import reason_choices, reason_from, unique_ids
from board.permissions import PermissionDenied, moderator_required
from board.security import report_limit
from board.visibility import can_see_thread, post_text_visible


def _item_or_404(item_id: int) -> ModerationItem:
    item = load_item(item_id)
    if item is None:
        abort(404)
    return item


# ================================================================ the queue

@bp.get("/moderation")
@moderator_required
def queue():
    kind = request.args.get("kind") or None
    if kind not in (None, *queue_kinds()):
        abort(404)
    topics = list(db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)))
    topic_slug = request.args.get("topic") or None
    topic = next((t for t in topics if t.slug == topic_slug), None)
    if topic_slug and topic is None:
        abort(404)
    items = queue_items(kind=kind, topic_id=topic.id if topic else None)
    histories = author_histories(i.subject_user_id for i in items)
    bulk_form = unique_ids(BulkForm(formdata=None), "bulk")
    bulk_form.reason.choices = reason_choices()
    return render_template(
        "moderation/queue.html", items=items, summary=queue_summary(), histories=histories,
        kind=kind, topic=topic, topics=topics, kind_labels=queue_kinds(), bulk_form=bulk_form,
        is_old=is_old, noindex=True,
    )


@bp.post("/moderation/next")
@moderator_required
def next_item():
    kind = request.form.get("kind") or None
    if kind not in (None, *queue_kinds()):
        kind = None
    item = claims.next_item(current_user, kind)
    db.session.commit()
    if item is None:
        flash("Nothing is waiting that you can take. Thank you.", "success")
        return redirect(url_for(".queue"))
    return redirect(url_for(".item", item_id=item.id))


@bp.post("/moderation/bulk")
@moderator_required
def bulk():
    form = BulkForm()
    form.reason.choices = reason_choices()
    ids = [i for i in map(parse_id, request.form.getlist("item_ids")) if i is not None][:100]
    if not form.validate_on_submit() or not ids:
        flash("Select at least one item and an action.", "error")
        return redirect(url_for(".queue"))
    reason = reason_from(form.reason.data)
    if form.action.data == "reject" and reason is None and not (form.note.data or "").strip():
        flash("To return items to their authors, choose a reason they will read.", "error")
        return redirect(url_for(".queue"))
    result = decisions.bulk(ids, current_user, form.action.data, reason, form.note.data or "")
    db.session.commit()
    verb = "approved" if form.action.data == "approve" else "returned to their authors"
    if result.done:
        flash(f"{len(result.done)} item{'s' if len(result.done) != 1 else ''} {verb}.", "success")
    for item_id, message in result.skipped:
        flash(f"Item {item_id} skipped: {message}", "warning")
    return redirect(url_for(".queue"))


# ================================================================ one item

def _render_item(item: ModerationItem, code: int = 200, **forms):
    reject_form = unique_ids(forms.get("reject_form") or RejectForm(formdata=None), "reject")
    reject_form.reason.choices = reason_choices()
    remove_form = unique_ids(forms.get("remove_form") or RemoveForm(formdata=None), "remove")
    remove_form.reason.choices = reason_choices()
    edit_form = forms.get("edit_form")
    content = content_of(item)
    target = content.target if content is not None else None
    edit_title, edit_body = content.kind.edit_fields(target) if target is not None else (None, "")
    if edit_form is None:
        edit_form = EditApproveForm(formdata=None)
        edit_form.body.data = edit_body
        edit_form.title.data = edit_title or ""
    unique_ids(edit_form, "edit")
    show_private = _look_at_private(item, content)
    return render_template(
        "moderation/item.html", item=item, target=target, content_kind=content.kind if content else None,
        edit_has_title=edit_title is not None,
        history=author_histories([item.subject_user_id]).get(item.subject_user_id),
        recent_posts=author_recent_posts(item.subject_user_id),
        previous=author_previous_items(item.subject_user_id, item.id),
        actions=item_actions(item.id), note_form=NoteForm(formdata=None), reject_form=reject_form,
        remove_form=remove_form,
        edit_form=edit_form, kind_labels=queue_kinds(), action_labels=ACTION_LABELS,
        can_undo=decisions.can_undo(item, current_user), is_old=is_old(item),
        own=item.subject_user_id == current_user.id, show_private=show_private,
        can_reach_out="messages.outreach" in current_app.view_functions and (
            item.kind in ("crisis", "report") or item.priority >= 2) and item.subject_user_id not in (
            None, current_user.id),
        noindex=True,
    ), code


def _look_at_private(item: ModerationItem, content) -> bool:
    """A private kind (`ModeratedKind.private`, e.g. messages) is shown only on its item's page,
    and each look is written to the audit log ("view_private") and committed before it is shown."""
    if content is None or content.kind is None or not content.kind.private:
        return False
    if content.target is None:
        return False
    kind, target = content.kind, content.target
    audit(current_user, "view_private", item=item, **kind.audit_refs(target), data=kind.audit_data(target))
    db.session.commit()
    return True


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
    return _act(item_id, lambda i: claims.claim(i, current_user),
                f"You have this item for {claims.CLAIM_MINUTES} minutes.")


@bp.post("/moderation/items/<int:item_id>/release")
@moderator_required
def release(item_id: int):
    return _act(item_id, lambda i: claims.release(i, current_user), "You let go of this item.")


@bp.post("/moderation/items/<int:item_id>/approve")
@moderator_required
def approve(item_id: int):
    form = NoteForm()
    form.validate()
    return _act(item_id, lambda i: decisions.approve(i, current_user, form.note.data or ""),
                "Done. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/reject")
@moderator_required
def reject(item_id: int):
    item = _item_or_404(item_id)
    form = RejectForm()
    form.reason.choices = reason_choices()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_item(item, 400, reject_form=form)
    reason = reason_from(form.reason.data)
    if reason is None and not (form.note.data or "").strip():
        form.reason.errors = ["Please choose a reason or write a note for the author."]
        return _render_item(item, 400, reject_form=form)
    return _act(item_id, lambda i: decisions.reject(i, current_user, reason, form.note.data or ""),
                "Returned to the author with your reason. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/edit")
@moderator_required
def edit(item_id: int):
    item = _item_or_404(item_id)
    form = EditApproveForm()
    if not form.validate_on_submit():
        return _render_item(item, 400, edit_form=form)
    try:
        decisions.edit_and_approve(item, current_user, form.body.data, form.title.data or None, form.note.data or "")
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
    return _act(item_id, lambda i: decisions.dismiss(i, current_user, form.note.data or ""),
                "Dismissed. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/remove")
@moderator_required
def remove(item_id: int):
    item = _item_or_404(item_id)
    form = RemoveForm()
    form.reason.choices = reason_choices()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_item(item, 400, remove_form=form)
    reason = reason_from(form.reason.data)
    if reason is None and not (form.note.data or "").strip():
        try:  # the item's own state speaks first (already handled, your own content)
            claims.ensure_open(item, current_user)
        except (Conflict, PermissionDenied):
            return _act(item_id, lambda i: decisions.remove(i, current_user, None), "")
        form.reason.errors = ["Please choose a reason or write a note: the author is told why it was removed."]
        return _render_item(item, 400, remove_form=form)
    return _act(item_id, lambda i: decisions.remove(i, current_user, reason, form.note.data or ""),
                "Removed, and the author told why. You can undo this for 10 minutes.")


@bp.post("/moderation/items/<int:item_id>/undo")
@moderator_required
def undo(item_id: int):
    return _act(item_id, lambda i: decisions.undo(i, current_user), "Undone: the item is open again and yours.")


# ================================================================ reports (members)

@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@report_limit
@login_required
def report_post(post_id: int):
    post = db.get_or_404(Post, post_id)
    if not can_see_thread(current_user, post.thread) or not post_text_visible(current_user, post):
        abort(404)
    return report_page(
        lambda reason, note: report_content(current_user, reason, note, target=post),
        template="moderation/report.html", post=post, back=url_for("forum.post_permalink", post_id=post.id),
        thanks="Thank you for telling us. A moderator will look at it soon.")
