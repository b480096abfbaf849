"""Admins' pages for watched words and canned reasons."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from board.domain import RuleViolation
from board.extensions import db
from board.models import CannedReason, WatchedWord
from board.models.moderation import WORD_ACTIONS
from board.moderation import bp, lists
from board.moderation.forms import ReasonForm, WordActionForm, WordForm
from board.moderation.lists import canned_reasons
from board.permissions import admin_required


# ================================================================ watched words and canned reasons (admins)

@bp.route("/moderation/words", methods=["GET", "POST"])
@admin_required
def words():
    form = WordForm()
    code = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                lists.add_word(current_user, form.phrase.data, form.action.data)
            except RuleViolation as exc:
                db.session.rollback()
                getattr(form, exc.field or "phrase").errors.append(exc.message)
            else:
                db.session.commit()
                flash("Phrase added.", "success")
                return redirect(url_for(".words"))
        code = 400
    return render_template("moderation/words.html", form=form, words=lists.watched_words(),
                           word_actions=WORD_ACTIONS, noindex=True), code


@bp.post("/moderation/words/<int:word_id>")
@admin_required
def change_word(word_id: int):
    word = db.get_or_404(WatchedWord, word_id)
    form = WordActionForm()
    if not form.validate_on_submit():
        flash("Choose block, review or flag.", "error")
        return redirect(url_for(".words"))
    lists.change_word(current_user, word, form.action.data)
    db.session.commit()
    flash("Phrase updated.", "success")
    return redirect(url_for(".words"))


@bp.post("/moderation/words/<int:word_id>/delete")
@admin_required
def delete_word(word_id: int):
    word = db.get_or_404(WatchedWord, word_id)
    lists.delete_word(current_user, word)
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
                lists.add_reason(current_user, form.title.data, form.text.data)
            except RuleViolation as exc:
                db.session.rollback()
                getattr(form, exc.field or "title").errors.append(exc.message)
            else:
                db.session.commit()
                flash("Reason added.", "success")
                return redirect(url_for(".reasons"))
        code = 400
    return render_template("moderation/reasons.html", form=form, reasons=canned_reasons(),
                           noindex=True), code


@bp.post("/moderation/reasons/<int:reason_id>")
@admin_required
def change_reason(reason_id: int):
    reason = db.get_or_404(CannedReason, reason_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            lists.change_reason(current_user, reason, form.title.data, form.text.data)
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
    return render_template("moderation/reasons.html", form=ReasonForm(formdata=None), reasons=canned_reasons(),
                           edited=edited, noindex=True), 400


@bp.post("/moderation/reasons/<int:reason_id>/delete")
@admin_required
def delete_reason(reason_id: int):
    reason = db.get_or_404(CannedReason, reason_id)
    lists.delete_reason(current_user, reason)
    db.session.commit()
    flash("Reason deleted.", "success")
    return redirect(url_for(".reasons"))
