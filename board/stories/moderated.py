"""Stories in the moderation queue: the stories' adapter for `board.moderation.kinds`.

Registered as the "story" kind when the stories blueprint is registered. Every
story (and every change to a published one) waits for a moderator; a published
story can be kept or removed after reports, but not returned or edited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.extensions import db
from board.markup import excerpt
from board.models import HIDDEN, PENDING, PUBLISHED, Story, User
from board.moderation.kinds import Edit, ModeratedKind, Place, Undone, register_kind
from board.notifications.services import notify
from board.stories import bp
from board.stories.services import (
    edit_and_publish_story, publish_story, reject_story, remove_story, return_story_to_pending,
)


class StoryKind(ModeratedKind):
    model = Story
    label = "story"
    plural = "stories"
    card_template = "stories/_moderation_card.html"

    def load(self, ids):
        return {s.id: s for s in db.session.scalars(
            select(Story).where(Story.id.in_(ids)).options(selectinload(Story.author)))}

    def author(self, target: Story) -> User | None:
        return target.author

    def place(self, target: Story) -> Place:
        title = target.pending_title or target.title or ""
        return Place(title=title, url=f"/stories/{target.id}",
                     excerpt=excerpt(target.pending_body_source or target.body_source))

    def edit_fields(self, target: Story):
        # A pending edit of a published story is what is being reviewed.
        if target.has_pending_edit:
            return target.pending_title or "", target.pending_body_source or ""
        return target.title or "", target.body_source

    def awaits_review(self, target: Story) -> bool:
        return True  # stories are only ever written for review

    def audit_refs(self, target: Story) -> dict:
        return {"story": target}

    # ---------------------------------------------------------------- decisions

    def publish(self, target: Story, moderator: User) -> None:
        publish_story(target, moderator)

    def return_to_author(self, target: Story, moderator: User, message: str) -> None:
        reject_story(target, moderator, message)

    def edit_and_publish(self, target: Story, moderator: User, title, body, note, pending) -> Edit:
        current_title, current_body = self.edit_fields(target)
        edit_and_publish_story(target, moderator, (title or current_title).strip(), body)
        return Edit(before=f"{current_title}\n\n{current_body}", after=f"{title or ''}\n\n{body}")

    def remove(self, target: Story, moderator: User, note: str) -> None:
        remove_story(target, moderator, note)
        notify(target.author, "content_removed", "A moderator removed your story" + (f": {note}" if note else ".")
               + " You can still read your own copy.", actor=moderator)

    def hide(self, target: Story) -> None:
        target.status = HIDDEN
        where = f"your story “{target.title}”" if target.title else "your story"
        notify(target.author, "content_hidden",
               f"Some members were worried about {where}, so it is hidden while moderators review it. "
               "Nothing is lost: you'll hear from us when they have looked.", url="")

    def restore(self, target: Story, moderator: User) -> None:
        target.status = PUBLISHED
        notify(target.author, "content_restored", "Moderators looked at your story and it is visible again. "
               "Thank you for your patience.", actor=moderator)

    def undo(self, target: Story, moderator: User, undone: Undone) -> None:
        status = undone.before_status if undone.before_status in (PENDING, PUBLISHED, HIDDEN) else PENDING
        return_story_to_pending(target, status)


@bp.record_once
def _register_kind(state) -> None:
    register_kind("story", StoryKind(), app=state.app)
