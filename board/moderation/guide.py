"""The moderators' crisis guide: `/moderation/guide` for moderators and admins, edited by admins
(`/moderation/guide/edit`, with the earlier versions listed). Every crisis item links here."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from board import site_pages
from board.domain import RuleViolation
from board.extensions import db
from board.moderation import bp, care, intake
from board.moderation.kinds import content_of
from board.permissions import admin_required, moderator_required

GUIDE = "moderator-guide"


class PageForm(FlaskForm):
    """Shape only: the service says what is missing (so the admin's text is always shown again)."""

    title = StringField("Title", validators=[Length(max=site_pages.TITLE_MAX)])
    body = TextAreaField("The guide (Markdown)", validators=[Length(max=site_pages.BODY_MAX)])


@bp.context_processor
def _crisis_helpers():
    """For crisis items: the categories matched and the exact words, highlighted."""
    return {"crisis_matches": care.crisis_matches, "crisis_labels": care.category_labels,
            "crisis_highlight": care.highlight, "crisis_source_of": _crisis_source}


def _crisis_source(item) -> str:
    """The words that were screened (title and body), through the item's kind."""
    content = content_of(item)
    if content is None:
        return intake.unposted_words(item)  # an item about a member's unposted crisis words
    if content.kind is None or content.target is None:
        return ""
    title, body = content.kind.edit_fields(content.target)
    return "\n\n".join(part for part in (title, body) if part)


@bp.get("/moderation/guide")
@moderator_required
def guide():
    return render_template("moderation/guide.html", page=site_pages.get_page(GUIDE), noindex=True)


@bp.route("/moderation/guide/edit", methods=["GET", "POST"])
@admin_required
def edit_guide():
    page = site_pages.get_page(GUIDE)
    form = PageForm()
    code = 200
    if request.method == "GET":
        form.title.data, form.body.data = page.title, page.body_source
    elif form.validate_on_submit():
        try:
            site_pages.update_page(current_user, GUIDE, form.title.data, form.body.data)
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field or "body").errors.append(exc.message)
            code = 400
        else:
            db.session.commit()
            flash("The guide is saved. The earlier version is kept below the form.", "success")
            return redirect(url_for(".guide"))
    else:
        code = 400
    return render_template("moderation/guide_edit.html", page=page, form=form,
                           revisions=site_pages.revisions(page), noindex=True), code
