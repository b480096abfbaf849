"""The community pages: /about, /guidelines, /privacy, /help for everyone, edited by admins
(/<page>/edit, with the earlier versions listed). The same service as the moderators' guide
(board/site_pages.py): Markdown in, sanitized HTML stored, every version kept."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from board import site_pages
from board.domain import RuleViolation
from board.extensions import db
from board.permissions import admin_required

bp = Blueprint("pages", __name__)



class PageForm(FlaskForm):
    """Shape only: the service says what is missing (so the admin's text is always shown again)."""

    title = StringField("Title", validators=[Length(max=site_pages.TITLE_MAX)])
    body = TextAreaField("The page (Markdown)", validators=[Length(max=site_pages.BODY_MAX)])


def edit_page(name: str, *, template: str, done_url: str, saved: str, body_label: str | None = None, **context):
    """The edit form of any site page (a community page here, the moderators' crisis guide in
    board/moderation/guide.py): the admin's text comes back with the error; every version is kept."""
    page = site_pages.get_page(name)
    form = PageForm()
    if body_label:
        form.body.label.text = body_label
    code = 200
    if request.method == "GET":
        form.title.data, form.body.data = page.title, page.body_source
    elif form.validate_on_submit():
        try:
            site_pages.update_page(current_user, name, form.title.data, form.body.data)
        except RuleViolation as exc:
            db.session.rollback()
            getattr(form, exc.field or "body").errors.append(exc.message)
            code = 400
        else:
            db.session.commit()
            flash(saved, "success")
            return redirect(done_url)
    else:
        code = 400
    return render_template(template, page=page, form=form, revisions=site_pages.revisions(page),
                           noindex=True, **context), code


def _community_page(slug: str):
    if slug not in site_pages.COMMUNITY_PAGES:
        abort(404)
    return site_pages.get_page(slug)


def page(slug: str):
    return render_template("pages/page.html", page=_community_page(slug), slug=slug)


@admin_required
def edit(slug: str):
    _community_page(slug)
    return edit_page(slug, template="pages/edit.html", done_url=url_for(".page", slug=slug), slug=slug,
                     saved="The page is saved. The earlier version is kept below the form.")


# One plain address per page (/about, /about/edit …), so every rule in the URL map is a literal path.
for _slug in site_pages.COMMUNITY_PAGES:
    bp.add_url_rule(f"/{_slug}", "page", page, methods=["GET"], defaults={"slug": _slug})
    bp.add_url_rule(f"/{_slug}/edit", "edit", edit, methods=["GET", "POST"], defaults={"slug": _slug})
