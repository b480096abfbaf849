"""Posts in the moderation queue: the forum's adapter for `board.moderation.kinds`.

Registered as the "post" kind when the forum blueprint is registered. The queue
calls these methods; they change the post through `set_post_status` (which keeps
every counter right) and tell its author.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import RuleViolation
from board.extensions import db
from board.forum import bp
from board.forum.services import clean_body, notify_reply, set_post_status
from board.markup import excerpt, render_markdown
from board.media.gallery import keep_gallery
from board.models import HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Post, PostRevision, Thread, User, utcnow
from board.moderation.intake import maybe_promote
from board.moderation.kinds import Edit, ModeratedKind, Place, Undone, register_kind
from board.notifications.services import notify
from board.titles import clean_title, slugify

DECIDABLE = (PENDING, PUBLISHED, HIDDEN)


def _where(post: Post) -> str:
    return f"“{post.thread.title}”"


def _count_approval(post: Post) -> None:
    """An approved pending post counts towards its author's trust level."""
    if post.author is not None:
        post.author.approved_post_count = (post.author.approved_post_count or 0) + 1
        maybe_promote(post.author)


class PostKind(ModeratedKind):
    model = Post
    label = "post"
    plural = "posts"
    review_reason = "Waiting for review"
    returns_published = True
    edits_published = True
    card_template = "forum/_moderation_card.html"

    def load(self, ids):
        posts = db.session.scalars(
            select(Post).where(Post.id.in_(ids))
            .options(selectinload(Post.thread).selectinload(Thread.topic), selectinload(Post.author))
        )
        return {p.id: p for p in posts}

    def author(self, target: Post) -> User | None:
        return target.author

    def topic_id(self, target: Post) -> int | None:
        return target.thread.topic_id

    def place(self, target: Post) -> Place:
        return Place(title=target.thread.title, url=f"/posts/{target.id}", excerpt=excerpt(target.body_source))

    def edit_fields(self, target: Post):
        return (target.thread.title if target.is_first else None), target.body_source

    def audit_refs(self, target: Post) -> dict:
        return {"post": target}

    # ---------------------------------------------------------------- decisions

    def publish(self, target: Post, moderator: User) -> None:
        if target.status != PENDING:
            raise RuleViolation("This post is no longer waiting for review.", None)
        set_post_status(target, PUBLISHED)
        _count_approval(target)
        notify(target.author, "post_approved", f"Your post in {_where(target)} was approved and is now public.",
               url=f"/posts/{target.id}", actor=moderator)
        if not target.is_first:
            notify_reply(target)

    def check_return(self, target: Post, pending: bool) -> None:
        if target.status not in DECIDABLE:
            raise RuleViolation("This post can't be returned in its current state.", None)

    def return_to_author(self, target: Post, moderator: User, message: str) -> None:
        set_post_status(target, REJECTED)
        target.moderator_note = message
        notify(target.author, "post_rejected",
               f"A moderator returned your post in {_where(target)} to you: {message} Only you can see it; "
               "you can edit it and send it again.", url=f"/posts/{target.id}", actor=moderator)

    def check_edit(self, target: Post, pending: bool, title, body):
        body = clean_body(body)
        new_title = clean_title(title) if (target.is_first and title) else None
        if target.status not in DECIDABLE:
            raise RuleViolation("This post can't be edited in its current state.", None)
        return new_title, body

    def edit_and_publish(self, target: Post, moderator: User, title, body, note, pending) -> Edit:
        before_text = target.body_source
        before_title = target.thread.title
        db.session.add(PostRevision(post_id=target.id, editor_id=moderator.id, body_source=target.body_source,
                                    body_html=target.body_html, created_at=utcnow(), private=True))
        target.body_source = body
        target.body_html = keep_gallery(target.body_html, render_markdown(body))
        target.edited_at = utcnow()
        if title and title != before_title:
            target.thread.title = title
            target.thread.slug = slugify(title)
        set_post_status(target, PUBLISHED)
        if pending:
            _count_approval(target)
        notify(target.author, "post_approved", f"Your post in {_where(target)} is public. A moderator made a small "
               "edit before approving it" + (f": {note}" if note else "."), url=f"/posts/{target.id}",
               actor=moderator)
        if pending and not target.is_first:
            notify_reply(target)
        return Edit(before=before_text, after=body,
                    data={"before_title": before_title, "after_title": target.thread.title})

    def remove(self, target: Post, moderator: User, note: str) -> None:
        set_post_status(target, REMOVED)
        target.moderator_note = note or target.moderator_note
        notify(target.author, "content_removed", f"A moderator removed your post in {_where(target)}"
               + (f": {note}" if note else "."), url=f"/posts/{target.id}", actor=moderator)

    def hide(self, target: Post) -> None:
        set_post_status(target, HIDDEN)
        notify(target.author, "content_hidden",
               f"Some members were worried about your post in {_where(target)}, so it is hidden while moderators "
               "review it. Nothing is lost: you'll hear from us when they have looked.", url=f"/posts/{target.id}")

    def restore(self, target: Post, moderator: User) -> None:
        set_post_status(target, PUBLISHED)
        notify(target.author, "content_restored", f"Moderators looked at your post in {_where(target)} and it "
               "is visible again. Thank you for your patience.", url=f"/posts/{target.id}", actor=moderator)

    def undo(self, target: Post, moderator: User, undone: Undone) -> None:
        if undone.action == "edit_approve":
            db.session.add(PostRevision(post_id=target.id, editor_id=moderator.id, body_source=target.body_source,
                                        body_html=target.body_html, created_at=utcnow(), private=True))
            target.body_source = undone.before_text
            target.body_html = keep_gallery(target.body_html, render_markdown(undone.before_text))
            before_title = undone.data.get("before_title")
            if target.is_first and before_title:
                target.thread.title = before_title
                target.thread.slug = slugify(before_title)
        if undone.action in ("approve", "edit_approve") and undone.pending and target.author:
            target.author.approved_post_count = max((target.author.approved_post_count or 0) - 1, 0)
        if undone.action == "reject":
            target.moderator_note = ""
        set_post_status(target, undone.before_status)
        if undone.before_status == PENDING:
            notify(target.author, "post_review", f"A moderator is taking another look at your post in "
                   f"{_where(target)}.", url=f"/posts/{target.id}", actor=moderator)


@bp.record_once
def _register_kind(state) -> None:
    register_kind("post", PostKind(), app=state.app)
