"""The moderators' crisis guide: `/moderation/guide` for moderators and admins, edited by admins
(`/moderation/guide/edit`, with the earlier versions listed). Every crisis item links here."""
from __future__ import annotations

from flask import render_template, url_for

from board import site_pages
from board.moderation import bp, care, intake
from board.moderation.kinds import content_of
from board.page_views import edit_page
from board.permissions import admin_required, moderator_required

GUIDE = "moderator-guide"


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
    return edit_page(GUIDE, template="moderation/guide_edit.html", done_url=url_for(".guide"),
                     body_label="The guide (Markdown)",
                     saved="The guide is saved. The earlier version is kept below the form.")
