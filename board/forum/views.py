"""Forum pages. Thin: load, check permission, call one service, commit once, redirect."""
from __future__ import annotations

import functools

from flask import abort, current_app, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from board.domain import RuleViolation
from board.extensions import db
from board.forum import bp
from board.forum import queries, services
from board import page_shell
from board.forum import shared_parts
from board.forum.render import SharedPosts, assemble, render_posts
from board.following.services import listing_page_state
from board.gestures import services as gestures
from board.forum.forms import BODY_HINT, EditPostForm, ReplyForm, ThreadForm
from board.ids import parse_id
from board.limits import larger_body
from board.media import services as media
from board.models import Post, PostRevision, Thread, Topic
from board.moderation import intake
from board.moderation.care import notice_if_crisis, refused_with_crisis
from board.permissions import (
    PermissionDenied, can_reply, get_post_for, posting_block_reason,
)
from board.security import post_limit, thread_limit, upload_limit
from board.visibility import can_see_thread, can_see_topic, post_text_visible, thread_posts_audience


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def _per_page(default: int) -> int:
    value = request.args.get("per_page")
    if value and len(value) <= 4 and value.isascii() and value.isdigit():
        return max(10, min(int(value), 50))
    return default


@functools.cache
def _topic_by_slug():
    return select(Topic).where(Topic.slug == bindparam("slug"))  # built once per process


def _topic_or_404(slug: str) -> Topic:
    topic = db.session.execute(_topic_by_slug(), {"slug": slug}).scalar_one_or_none()
    if topic is None:
        abort(404)
    return topic


def _require_topic_access(topic: Topic):
    if not can_see_topic(current_user, topic):
        return current_app.login_manager.unauthorized()
    return None


@functools.cache
def _thread_and_topic():
    # Built once per process and reused with a new `thread_id` (no statement or cache key to build per view).
    return select(Thread, Topic).join(Topic, Thread.topic_id == Topic.id).where(Thread.id == bindparam("thread_id"))


def _thread_or_404(thread_id: int) -> Thread:
    # Thread and topic in one query as two entities, the topic then attached as already loaded:
    # cheaper per request than joinedload's eager-loading machinery.
    row = db.session.execute(_thread_and_topic(), {"thread_id": thread_id}).first()
    if row is None:
        abort(404)
    thread, topic = row
    set_committed_value(thread, "topic", topic)
    return thread


def _shown_thread_or_404(thread_id: int) -> Thread:
    """The thread (with its topic) a thread page shows: read-only, kept per process under the
    shared parts' generation (board/forum/shared_parts.py: any write to threads or topics bumps
    it), so a member's page view doesn't load it again. Detached from the session: nothing on
    the page may change it or load more of it."""
    def load():
        thread = _thread_or_404(thread_id)
        db.session.expunge(thread.topic)
        db.session.expunge(thread)
        return thread

    return shared_parts.local_object(("thread", thread_id), load) or _thread_or_404(thread_id)


def _empty_reply_field() -> Markup:
    """The thread page's reply box field, rendered once per process.

    On the thread page the box is always empty and error-free (replies are posted to
    /threads/<id>/reply, which re-shows the member's text with any error), so its markup
    never changes: building the WTForms form and running the `field` macro on every
    view cost about a tenth of a member's thread page.
    """
    cached = current_app.extensions.get("circle.empty_reply_field")
    if cached is None:
        field = get_template_attribute("_macros.html", "field")
        cached = Markup(field(ReplyForm(meta={"csrf": False}).body, hint=BODY_HINT, rows=6))
        current_app.extensions["circle.empty_reply_field"] = cached
    return cached


def _partial(name: str, **context) -> str:
    """A shared partial template, rendered without the request's context processors (so it
    can't pick up anything about the viewer): only what is passed, plus `root`."""
    return current_app.jinja_env.get_template(name).render(root=request.script_root, **context)


def _listing_audience(viewer, state) -> str | None:
    """Who a topic or home list is shared with ("visitor", "member", "staff"), or None when this
    member's lists hold her own unlisted threads (then they are hers alone)."""
    audience = thread_posts_audience(viewer)[0]
    if audience == "member" and state.own_unlisted:
        return None
    return audience


@bp.get("/")
def index():
    viewer = current_user._get_current_object()

    def build():
        latest = queries.latest_threads(viewer, limit=8)
        featured_loader = current_app.extensions.get("circle.featured_stories")
        featured = featured_loader() if featured_loader else []
        topics = queries.home_topics(viewer)
        return [_partial("forum/_home_latest.html", latest=latest),
                _partial("forum/_home_featured.html", featured_stories=featured,
                         **current_app.extensions.get("circle.story_helpers", dict)()),
                _partial("forum/_home_topics.html", topics=topics)]

    state = listing_page_state(viewer)  # counts + own unlisted threads: 1 query, 0 for visitors
    audience = _listing_audience(viewer, state)
    lists = shared_parts.shared_fragment("home", (audience,), build) if audience else build()
    home_lists = {f"home_list_{i}": Markup(part) for i, part in enumerate(lists)}
    return page_shell.render("forum/index.html", ("home",) if viewer.is_authenticated else None, fills=home_lists)


@bp.get("/topics/<slug>")
def topic(slug: str):
    topic = _topic_or_404(slug)
    denied = _require_topic_access(topic)
    if denied:
        return denied
    viewer = current_user._get_current_object()
    cursor = request.args.get("cursor")
    per_page = current_app.config["BOARD_THREADS_PER_PAGE"]

    def build():
        page = queries.topic_threads(viewer, topic, cursor, per_page)
        return _partial("forum/_thread_list.html", topic=topic, page=page)

    state = listing_page_state(viewer, topic)  # counts, follow, own unlisted threads: 1 query, 0 for visitors
    audience = _listing_audience(viewer, state)
    try:
        thread_list = shared_parts.shared_fragment("topic", (topic.id, cursor, per_page, audience), build) \
            if audience else build()
    except queries.BadCursor:
        abort(404)
    noindex = topic.members_only
    shell_key = ("topic", bool(state.follow_mode)) if viewer.is_authenticated else None
    return page_shell.render("forum/topic.html", shell_key, fills={"thread_list": Markup(thread_list)},
                             topic=topic, noindex=noindex, follow_mode=state.follow_mode)


@bp.route("/topics/<slug>/new", methods=["GET", "POST"])
@thread_limit
@post_limit
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A post with pictures")
def new_thread(slug: str):
    topic = _topic_or_404(slug)
    denied = _require_topic_access(topic)
    if denied:
        return denied
    form = ThreadForm()
    place = f"thread:{topic.id}"
    batch = _pictures()
    if request.method == "GET":
        blocked = _cannot_post_page()
        if blocked is not None:
            return blocked
        draft = gestures.get_draft(current_user, place)
        if draft is not None:  # what they were writing, here or on another device
            form.title.data, form.body.data = draft.title, draft.body
    if form.validate_on_submit() and media.pictures_ok(batch, form):
        try:
            thread = services.create_thread(current_user, topic, form.title.data, form.body.data,
                                            images=batch.images)
        except RuleViolation as exc:
            getattr(form, exc.field or "body").errors.append(exc.message)
        except PermissionDenied as exc:
            form.form_errors.append(exc.message)
            db.session.rollback()
            refused_with_crisis(current_user, form.title.data, form.body.data, why=exc.message)
            return render_template("forum/new_thread.html", topic=topic, form=form, body_hint=BODY_HINT,
                                   draft_place=place, media_batch=batch), 403
        else:
            gestures.discard_draft(current_user, place)
            db.session.commit()
            after_commit(thread.first_post_id)
            if thread.status == "pending":
                flash("Thanks for posting. Your thread is waiting for a moderator to look at it — usually within a few hours.", "info")
            return redirect(url_for(".thread", thread_id=thread.id, slug=thread.slug))
        db.session.rollback()
    code = 400 if request.method == "POST" else 200
    if code == 400:
        notice_if_crisis(form.title.data, form.body.data)
    return render_template("forum/new_thread.html", topic=topic, form=form, body_hint=BODY_HINT,
                           draft_place=place, media_batch=batch), code


def _pictures() -> media.Batch | None:
    """On a form post: the pictures it carries, cleaned. Accepted ones are committed at once (as
    uploads with a token) so a refused form can offer them again without choosing them again."""
    if request.method != "POST":
        return None
    batch = media.collect(current_user, request.form, request.files)
    db.session.commit()
    return batch


@bp.app_template_global("first_posts_reviewed")
def _first_posts_reviewed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and intake.first_posts_reviewed(user)


def _cannot_post_page():
    """Before she writes: a member who can't post (unconfirmed address, paused, suspended) sees why,
    and, when it is her unconfirmed address, a button that sends a new link — not a form she can't send."""
    reason = posting_block_reason(current_user, on_form=False)
    if reason is None:
        return None
    return render_template("forum/cannot_post.html", reason=reason,
                           unverified=not current_user.is_verified, noindex=True), 403


def after_commit(post_id: int | None) -> None:
    """Hook for work that must follow a successful commit (crisis notices, inline mail)."""
    hook = current_app.extensions.get("circle.after_post")
    if hook and post_id:
        hook(post_id)


@bp.get("/threads/<int:thread_id>")
@bp.get("/threads/<int:thread_id>-<slug>")
def thread(thread_id: int, slug: str | None = None):
    thread = _shown_thread_or_404(thread_id)
    if not can_see_topic(current_user, thread.topic):
        return current_app.login_manager.unauthorized()
    if not can_see_thread(current_user, thread):
        abort(404)
    per_page = _per_page(current_app.config["BOARD_POSTS_PER_PAGE"])
    after, before, start = _int_arg("after"), _int_arg("before"), _int_arg("from")
    last = request.args.get("page") == "last"
    viewer = current_user._get_current_object()

    def load_page(shared: bool = False):
        return queries.thread_posts_page(viewer, thread, after=after, before=before, start=start, last=last,
                                         per_page=per_page, shared=shared)

    # The posts as everyone of this audience sees them: cached per page and generation
    # (board/forum/shared_parts.py), unless the page holds posts only this member may read.
    audience = thread_posts_audience(viewer)[0]
    shared = shared_parts.shared_posts(
        thread, audience, (after, before, start, last, per_page),
        lambda: SharedPosts.build(load_page(shared=True), audience, request.script_root))
    page = shared if shared is not None else load_page()
    # The viewer's part: follow, mutes, menu counts, own unpublished posts, reactions, bookmarks,
    # reply draft. 1 query, 0 for visitors.
    viewer_state, mine = queries.thread_viewer(viewer, thread, page.posts)
    if shared is not None and viewer_state.own_unpublished:
        # Her own pending, returned or hidden posts are on her page alone: render it for her
        shared, page = None, load_page()
        mine = gestures.thread_viewer_state(viewer, thread, page.posts)
    can_write = can_reply(current_user, thread)
    block_reason = None
    if not can_write and current_user.is_authenticated and not thread.locked:
        block_reason = posting_block_reason(current_user, on_form=False)
    reply_field, reply_to = None, None
    if can_write:
        if mine.reply_draft is None:
            reply_field = _empty_reply_field()
        else:  # a draft waits: the box shows it (on any device)
            reply_field = _reply_field(mine.reply_draft[0])
            reply_to = mine.reply_draft[1]
    viewer_part = dict(
        viewer=viewer, thread=thread, can_quote=can_write, muted_ids=viewer_state.muted_ids,
        root=request.script_root, gestures=mine, here=request.script_root + request.full_path.rstrip("?"),
    )
    if shared is not None:
        keep = shared_parts.page_keeper(thread, audience, (after, before, start, last, per_page))
        posts_html = assemble(shared, keep=keep, **viewer_part)
    else:
        posts_html = render_posts(page.posts, **viewer_part)
    # The rest of a member's page comes from a shell shared by members who see it alike
    # (board/page_shell.py): the key is everything the template reads about her besides its slots.
    shell_key = None
    if shared is not None and viewer.is_authenticated and reply_to is None and mine.reply_draft is None:
        shell_key = ("thread", viewer_state.following, mine.thread_bookmarked, reply_field is not None,
                     block_reason, _first_posts_reviewed(viewer))
    return page_shell.render(
        "forum/thread.html", shell_key, fills={"posts_html": posts_html},
        thread=thread, topic=thread.topic, page=page, reply_field=reply_field, per_page=per_page,
        noindex=thread.topic.members_only, block_reason=block_reason,
        viewer_state=viewer_state, gestures=mine, reply_to=reply_to,
    )


def _reply_field(body: str) -> Markup:
    field = get_template_attribute("_macros.html", "field")
    form = ReplyForm(meta={"csrf": False}, data={"body": body})
    return Markup(field(form.body, hint=BODY_HINT, rows=6))


def _reply_target(thread: Thread, post_id: int | None) -> Post | None:
    """The post a reply answers ("Reply" on a post): in this thread, published, readable; else 404."""
    if not post_id:
        return None
    target = db.session.get(Post, post_id)
    if target is None or target.thread_id != thread.id or target.status != "published" \
            or not post_text_visible(current_user, target):
        abort(404)
    return target


def _render_reply(thread: Thread, form: ReplyForm, reply_to: Post | None, code: int = 200, batch=None):
    return render_template("forum/reply.html", thread=thread, form=form, body_hint=BODY_HINT, reply_to=reply_to,
                           draft_place=f"reply:{thread.id}", media_batch=batch), code


@bp.route("/threads/<int:thread_id>/reply", methods=["GET", "POST"])
@post_limit
@upload_limit
@login_required
@larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "A reply with pictures")
def reply(thread_id: int):
    thread = _thread_or_404(thread_id)
    if not can_see_thread(current_user, thread):
        abort(404)
    form = ReplyForm()
    place = f"reply:{thread.id}"
    if request.method == "GET":
        blocked = _cannot_post_page()
        if blocked is not None:
            return blocked
        reply_to = _reply_target(thread, _int_arg("to"))
        quote_id = _int_arg("quote")
        draft = gestures.get_draft(current_user, place)
        kept = draft.body.rstrip() + "\n\n" if draft is not None and draft.body.strip() else ""
        if reply_to is not None:  # a saved draft stays above the new quote: nothing is lost
            form.body.data = kept + services.quote_markdown(reply_to, short=True)
        elif quote_id:
            quoted = db.session.get(Post, quote_id)
            if quoted is None or quoted.thread_id != thread.id or not post_text_visible(current_user, quoted):
                abort(404)
            form.body.data = kept + services.quote_markdown(quoted)
        elif draft is not None:  # what they were writing, here or on another device
            form.body.data = draft.body
            if draft.reply_to_id:
                candidate = db.session.get(Post, draft.reply_to_id)
                if candidate is not None and candidate.thread_id == thread.id and candidate.status == "published":
                    reply_to = candidate
        return _render_reply(thread, form, reply_to)
    # The answered post may have gone since the box was opened: the reply still goes in, unlinked.
    reply_to = db.session.get(Post, parse_id(request.form.get("reply_to") or "") or 0) \
        if request.form.get("reply_to") else None
    batch = _pictures()
    if form.validate_on_submit() and media.pictures_ok(batch, form):
        try:
            post = services.create_reply(current_user, thread, form.body.data, reply_to=reply_to,
                                         images=batch.images)
        except RuleViolation as exc:
            form.body.errors.append(exc.message)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            refused_with_crisis(current_user, form.body.data, why=exc.message)
            return _render_reply(thread, form, reply_to, 403, batch)
        else:
            gestures.discard_draft(current_user, place)
            db.session.commit()
            after_commit(post.id)
            if post.status == "pending":
                flash("Thanks for your reply. It's waiting for a moderator to look at it — usually within a few hours.", "info")
            else:
                flash("Your reply is posted. Here it is in the conversation.", "success")
            return redirect(url_for(".post_permalink", post_id=post.id))
        db.session.rollback()
    notice_if_crisis(form.body.data)
    return _render_reply(thread, form, reply_to, 400, batch)


@bp.get("/posts/<int:post_id>")
def post_permalink(post_id: int):
    """Any link to a post opens the thread page that holds it, with the posts around it, at
    the post (`#post-N`: scrolled to, highlighted, focused by static/js/gestures.js)."""
    post = db.get_or_404(Post, post_id)
    if not can_see_thread(current_user, post.thread):
        abort(404)
    where = queries.page_containing(current_user, post.thread, post.id, current_app.config["BOARD_POSTS_PER_PAGE"])
    return redirect(url_for(".thread", thread_id=post.thread_id, slug=post.thread.slug, **where) + f"#post-{post.id}")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = db.get_or_404(Post, post_id)
    get_post_for(current_user, post, "edit")
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body_source
        form.title.data = post.thread.title if post.is_first else ""
        return render_template("forum/edit_post.html", post=post, form=form, body_hint=BODY_HINT)
    if form.validate_on_submit():
        try:
            services.edit_post(current_user, post, form.body.data, form.title.data if post.is_first else None)
        except RuleViolation as exc:
            getattr(form, exc.field or "body").errors.append(exc.message)
        except PermissionDenied as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            refused_with_crisis(current_user, form.title.data, form.body.data, why=exc.message)
            return render_template("forum/edit_post.html", post=post, form=form, body_hint=BODY_HINT), 403
        else:
            db.session.commit()
            after_commit(post.id)
            flash("Your changes are saved.", "success")
            return redirect(url_for(".post_permalink", post_id=post.id))
        db.session.rollback()
    notice_if_crisis(form.title.data, form.body.data)
    return render_template("forum/edit_post.html", post=post, form=form, body_hint=BODY_HINT), 400


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post = db.get_or_404(Post, post_id)
    get_post_for(current_user, post, "delete")
    services.delete_post(current_user, post)
    db.session.commit()
    flash("Your post was deleted. Replies to it stay in the thread.", "info")
    thread = post.thread
    if thread.status in ("published",) or can_see_thread(current_user, thread):
        return redirect(url_for(".thread", thread_id=thread.id, slug=thread.slug))
    return redirect(url_for(".topic", slug=thread.topic.slug))


@bp.get("/posts/<int:post_id>/history")
def post_history(post_id: int):
    post = db.get_or_404(Post, post_id)
    if not can_see_thread(current_user, post.thread) or not post_text_visible(current_user, post):
        abort(404)
    revisions = list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id, PostRevision.private.is_(False))
        .order_by(PostRevision.id.desc())
    ))
    return render_template("forum/history.html", post=post, revisions=revisions)
