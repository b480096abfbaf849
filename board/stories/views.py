"""Member stories ("voices"). Thin views: load, check permission, one service call, commit once, redirect."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import Conflict, RuleViolation
from board.extensions import db
from board.limits import larger_body
from board.media import services as media
from board.markup import excerpt
from board.models import Story
from board.models.moderation import REPORT_REASONS
from board.templating import csrf_token
from board.moderation import intake as moderation
from board.moderation.care import flash_crisis_notice, notice_if_crisis, refused_with_crisis
from board.gestures import services as gestures
from board.gestures.render import story_gestures
from board.permissions import PermissionDenied, can_edit_story, can_withdraw_story, posting_block_reason
from board.security import upload_limit
from board.stories import bp, queries, services
from board.stories.catalog import PROMPTS, THEMES, display_title
from board.stories.feed import build_feed
from board.stories.forms import BODY_HINT, ReportStoryForm, StoryForm
from board.stories.signatures import STYLES, render_signature
from board.visibility import can_see_story

STATUS_LABELS = {
    "draft": "Draft",
    "pending": "Waiting for review",
    "published": "Published",
    "hidden": "Hidden while moderators look at a report",
    "rejected": "Returned by a moderator",
    "removed": "Removed by a moderator",
    "withdrawn": "Withdrawn by you",
}


@bp.record_once
def _register_hooks(state) -> None:
    """Let other areas show stories without importing this package: the home page and profiles."""
    state.app.extensions["circle.featured_stories"] = queries.featured_stories
    state.app.extensions["circle.profile_stories"] = queries.profile_stories
    state.app.extensions["circle.story_helpers"] = _story_helpers  # for story cards rendered outside a request's context


@bp.app_context_processor
def _story_helpers():
    return {
        "story_themes": THEMES,
        "story_prompts": PROMPTS,
        "story_status_labels": STATUS_LABELS,
        "story_excerpt": excerpt,
        "story_title": display_title,
    }


# ---------------------------------------------------------------- helpers

def _story_or_404(story_id: int) -> Story:
    story = db.session.scalar(select(Story).where(Story.id == story_id).options(selectinload(Story.themes)))
    if story is None:
        abort(404)
    return story


def _visible_story_or_404(story_id: int) -> Story:
    story = _story_or_404(story_id)
    if not can_see_story(current_user, story):
        abort(404)  # never say whether a hidden story exists
    return story


def _to_input(form: StoryForm) -> services.StoryInput:
    return services.StoryInput(
        title=form.title.data or "", body=form.body.data or "", themes=list(form.themes.data or []),
        prompt=form.prompt.data or "", signature=form.signature.data or "",
        sig_first_name=form.sig_first_name.data or "", sig_last_initial=form.sig_last_initial.data or "",
        city=form.city.data or "", region=form.region.data or "", consent=bool(form.consent.data),
    )


def _fill(form: StoryForm, values: services.StoryInput) -> None:
    form.title.data = values.title
    form.body.data = values.body
    form.themes.data = list(values.themes)
    form.prompt.data = values.prompt
    form.signature.data = values.signature if values.signature in STYLES else "first"
    form.sig_first_name.data = values.sig_first_name
    form.sig_last_initial.data = values.sig_last_initial
    form.city.data = values.city
    form.region.data = values.region
    form.consent.data = False


def _preview(form: StoryForm) -> str:
    """The signature line as the form currently reads (the page works without JavaScript)."""
    return render_signature(
        form.signature.data or "", form.sig_first_name.data, form.sig_last_initial.data,
        form.city.data, form.region.data, current_user.public_name,
    )


def _render_form(form: StoryForm, story: Story | None, code: int = 200, batch=None, refused: str | None = None):
    """`refused`: why she may not write (403); moderators also hear of crisis words then."""
    if refused is not None:
        refused_with_crisis(current_user, form.title.data, form.body.data, why=refused)
    elif code >= 400:  # not saved: her words go back to her, with help if they speak of crisis
        notice_if_crisis(form.title.data, form.body.data)
    examples = {
        style: render_signature(
            style, form.sig_first_name.data or "Mary", form.sig_last_initial.data or "G",
            form.city.data or "Oregon", form.region.data or "WI", current_user.public_name,
        )
        for style in STYLES
    }
    return render_template(
        "stories/form.html", form=form, story=story, body_hint=BODY_HINT, preview=_preview(form),
        examples=examples, blocked=posting_block_reason(current_user), noindex=True,
        draft_place=_draft_place(story), media_batch=batch,
    ), code


def _draft_place(story: Story | None) -> str:
    """Where the autosaved draft of this form lives (board/gestures: one per member and place)."""
    return f"story:{story.id}" if story is not None else "story:new"


def _restore_draft(form: StoryForm, story: Story | None) -> None:
    draft = gestures.get_draft(current_user, _draft_place(story))
    if draft is not None:  # what they were writing, here or on another device
        form.title.data, form.body.data = draft.title, draft.body


def _apply_violation(form: StoryForm, exc: RuleViolation) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _after_submission(result: services.Submission, *, edit: bool) -> None:
    story = result.story
    if result.crisis:
        flash_crisis_notice()
    if result.verdict is None:
        if edit and story.status in services.PUBLIC_EDIT_STATUSES:
            flash("Your changes are saved.", "success")
        else:
            flash("Your draft is saved. Only you can see it.", "success")
    elif story.status in services.PUBLIC_EDIT_STATUSES:
        flash("Thank you. Your changes will appear once a moderator has looked at them; "
              "until then readers see the version already published.", "info")
    else:
        flash("Thank you for sharing your story. A moderator will read it before it appears — "
              "usually within a day. You can follow it on My stories.", "success")


# ---------------------------------------------------------------- reading

@bp.get("/stories")
def index():
    """Published stories: featured first, then newest; filter by theme and prompt (combinable).

    Unknown theme or prompt slug: we answer **404** with the stories page itself
    (a short message and the list of real themes and questions), so a mistyped
    shared link is still useful to a person, while search engines don't index
    endless empty variants. Never a 500. A malformed `cursor` is also a 404.
    """
    theme = request.args.get("theme") or ""
    prompt = request.args.get("prompt") or ""
    unknown = []
    if theme and theme not in THEMES:
        unknown.append("theme")
    if prompt and prompt not in PROMPTS:
        unknown.append("question")
    if unknown:
        message = (
            f"We don't have a {' or '.join(unknown)} with that name. "
            "Please choose from the lists below."
        )
        return render_template(
            "stories/index.html", page=queries.StoryPage(items=[]), theme="", prompt="",
            not_found_message=message, noindex=True,
        ), 404
    try:
        page = queries.list_stories(
            theme=theme or None, prompt=prompt or None, cursor=request.args.get("cursor"),
            per_page=current_app.config.get("BOARD_STORIES_PER_PAGE", 20),
        )
    except queries.BadCursor:
        abort(404)
    return render_template(
        "stories/index.html", page=page, theme=theme, prompt=prompt,
        paged=bool(request.args.get("cursor")),
    )


@bp.get("/stories/<int:story_id>")
def story(story_id: int):
    story = _visible_story_or_404(story_id)
    is_author = current_user.is_authenticated and story.author_id == current_user.id
    reactions = None
    if story.status == "published":  # reactions and bookmark (board/gestures)
        member = current_user.is_authenticated
        can_react = member and gestures.refusal(current_user, gestures.STORY, story) is None
        reactions = story_gestures(
            story, viewer_can_react=can_react, mine=gestures.my_reactions(current_user, gestures.STORY, story),
            bookmarked=gestures.bookmark_state(current_user, "story", story), member=member,
            token=csrf_token() if member else "",
        )
    themes = [slug for slug in THEMES if slug in story.theme_slugs]
    more_theme = themes[0] if themes else None
    more = queries.more_stories(story, more_theme) if (more_theme and story.status == "published") else []
    return render_template(
        "stories/story.html", story=story, is_author=is_author, reactions=reactions, themes=themes,
        more_theme=more_theme, more=more,
        can_edit=can_edit_story(current_user, story), can_withdraw=can_withdraw_story(current_user, story),
        noindex=story.status != "published",
    )


@bp.get("/stories/feed.atom")
def feed():
    stories = queries.feed_stories()
    xml = build_feed(
        stories,
        site_name=current_app.config.get("BOARD_SITE_NAME", "Circle"),
        feed_url=url_for(".feed", _external=True),
        site_url=url_for(".index", _external=True),
        story_url=lambda s: url_for(".story", story_id=s.id, _external=True),
    )
    return Response(xml, mimetype="application/atom+xml")


# ---------------------------------------------------------------- writing

@bp.route("/stories/new", methods=["GET", "POST"])
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A story with pictures")
def new():
    form = StoryForm()
    if request.method == "GET":
        _fill(form, services.prefill(current_user))
        _restore_draft(form, None)
        return _render_form(form, None)
    # Pictures: accepted ones are kept at once (by token) so a refused form need not ask for them again.
    batch = media.collect(current_user, request.form, request.files)
    db.session.commit()
    if form.validate_on_submit() and media.pictures_ok(batch, form):
        try:
            result = services.create_story(current_user, _to_input(form), draft=form.drafting, images=batch.images)
        except RuleViolation as exc:
            _apply_violation(form, exc)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            return _render_form(form, None, 403, batch, refused=exc.message)
        else:
            gestures.discard_draft(current_user, _draft_place(None))
            db.session.commit()
            _after_submission(result, edit=False)
            return redirect(url_for(".mine"))
        db.session.rollback()
    return _render_form(form, None, 400, batch)


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def edit(story_id: int):
    story = _story_or_404(story_id)
    if not can_edit_story(current_user, story):
        abort(403)
    form = StoryForm()
    if request.method == "GET":
        _fill(form, services.form_values(story))
        _restore_draft(form, story)
        return _render_form(form, story)
    if form.validate_on_submit():
        try:
            result = services.update_story(current_user, story, _to_input(form), draft=form.drafting)
        except RuleViolation as exc:
            _apply_violation(form, exc)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            return _render_form(form, story, 403, refused=exc.message)
        else:
            gestures.discard_draft(current_user, _draft_place(story))
            db.session.commit()
            _after_submission(result, edit=True)
            return redirect(url_for(".mine"))
        db.session.rollback()
    return _render_form(form, story, 400)


@bp.post("/stories/<int:story_id>/withdraw")
@login_required
def withdraw(story_id: int):
    story = _story_or_404(story_id)
    if story.author_id != current_user.id:
        abort(403)
    try:
        services.withdraw_story(current_user, story)
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.message, "info")
    else:
        db.session.commit()
        flash("Your story is withdrawn. It no longer appears anywhere on Circle. "
              "You can still read it here, and send it again whenever you like.", "success")
    return redirect(url_for(".mine"))


@bp.get("/stories/mine")
@login_required
def mine():
    return render_template(
        "stories/mine.html", stories=queries.my_stories(current_user), noindex=True,
        can_edit_story=can_edit_story, can_withdraw_story=can_withdraw_story,
    )


# ---------------------------------------------------------------- responding

@bp.post("/stories/<int:story_id>/helped")
@login_required
def helped(story_id: int):
    """The old "This helped me" button's address: now the "This helped" reaction (same count)."""
    story = _visible_story_or_404(story_id)
    if story.status != "published":
        abort(404)
    wanted = request.form.get("helped")
    try:
        result = gestures.react(current_user, gestures.STORY, story, "helped",
                                None if wanted not in ("0", "1") else wanted == "1")
    except gestures.NotFound:
        db.session.rollback()
        abort(404)
    except (RuleViolation, PermissionDenied) as exc:
        db.session.rollback()
        flash(exc.message, "info")
    else:
        db.session.commit()
        flash("Thank you — the author will be glad it helped." if result.reacted else "Removed your “This helped”.",
              "success")
    return redirect(url_for(".story", story_id=story.id) + "#reactions")


@bp.route("/stories/<int:story_id>/report", methods=["GET", "POST"])
@login_required
def report(story_id: int):
    story = _visible_story_or_404(story_id)
    if story.status != "published":
        abort(404)
    if story.author_id == current_user.id:
        flash("This is your own story. You can edit or withdraw it from My stories.", "info")
        return redirect(url_for(".story", story_id=story.id))
    form = ReportStoryForm()
    if form.validate_on_submit():
        try:
            moderation.report_content(current_user, form.reason.data, form.note.data or "", target=story)
        except (RuleViolation, Conflict, PermissionDenied) as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash("Thank you for telling us. A moderator will look at it; the author isn't told who reported it.",
                  "success")
            return redirect(url_for(".story", story_id=story.id))
    code = 400 if request.method == "POST" else 200
    return render_template("stories/report.html", story=story, form=form, reasons=REPORT_REASONS,
                           noindex=True), code
