"""Pictures in the moderation queue: the "image" kind of `board.moderation.kinds`.

Pictures from members below trust level 2 wait here (`pending_image`) while the post, story or
message around them appears at once with "Image waiting for review" in its place. Any published
picture can be reported. Deciding about a picture never changes what holds it: a moderator can
remove one picture and leave the post. The card shows the picture blurred until the moderator
chooses to look (static/js/media.js; without JavaScript a link opens it).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import RuleViolation
from board.extensions import db
from board.media import bp
from board.media.services import holder_of, set_status
from board.models import Image, User
from board.models.media import ALT_MAX
from board.moderation.kinds import Edit, ModeratedKind, Place, Undone, register_kind
from board.notifications.services import notify

_WHERE = {"post": "in your post", "story": "in your story", "message": "in your message", "avatar": "(your profile picture)"}


def _where(image: Image) -> str:
    return _WHERE.get(image.content_kind or "", "")


class ImageKind(ModeratedKind):
    model = Image
    label = "image"
    plural = "images"
    review_reason = "Picture from a new member"
    card_template = "media/_moderation_card.html"

    def load(self, ids):
        return {i.id: i for i in db.session.scalars(
            select(Image).where(Image.id.in_(ids)).options(selectinload(Image.owner)))}

    def author(self, target: Image) -> User | None:
        return target.owner

    def author_id(self, target: Image) -> int | None:
        return target.owner_id

    def place(self, target: Image) -> Place:
        kind, cid = target.content_kind, target.content_id
        if kind == "post":
            holder = holder_of(target)
            title = holder.thread.title if holder is not None else ""
            return Place(title=title, url=f"/posts/{cid}", excerpt=f"Picture: {target.alt}")
        if kind == "story":
            holder = holder_of(target)
            return Place(title=(holder.title if holder is not None else ""), url=f"/stories/{cid}",
                         excerpt=f"Picture: {target.alt}")
        if kind == "avatar":
            name = target.owner.username if target.owner is not None else ""
            return Place(title="Profile picture", url=f"/users/{name}" if name else "", excerpt="A profile picture")
        return Place(title="A picture in a private message", url="", excerpt="A picture in a private message")

    def edit_fields(self, target: Image):
        return None, target.alt

    def is_gone(self, target: Image) -> bool:
        return target.status in ("deleted", "upload")

    def audit_refs(self, target: Image) -> dict:
        refs = {"target_user": target.owner}
        if target.content_kind == "post":
            holder = holder_of(target)
            if holder is not None:
                refs["post"] = holder  # the log links to the post the picture is in
        return refs

    def audit_data(self, target: Image) -> dict:
        return {"image_id": target.id, "file": target.name, "where": target.content_kind,
                "where_id": target.content_id}

    def check_report(self, target: Image, reporter: User) -> None:
        if target.owner_id == reporter.id:
            raise RuleViolation("You can't report your own picture. You can edit or delete your post instead.", None)
        if target.status != "published":
            if target.status == "hidden":
                raise RuleViolation("Thank you — this picture is already hidden while moderators review it.", None)
            raise RuleViolation("This picture can't be reported right now.", None)

    def check_edit(self, target: Image, pending: bool, title, body: str):
        text = (body or "").strip()
        if not text:
            raise RuleViolation("A picture needs a description (alt text).", None)
        if len(text) > ALT_MAX:
            raise RuleViolation(f"Please keep the description to {ALT_MAX} characters or fewer.", None)
        return None, text

    # ---------------------------------------------------------------- decisions

    def publish(self, target: Image, moderator: User) -> None:
        set_status(target, "published")
        notify(target.owner, "content_approved", f"A moderator approved your picture {_where(target)}.",
               url=self.place(target).url, actor=moderator)

    def return_to_author(self, target: Image, moderator: User, message: str) -> None:
        set_status(target, "rejected", note=message)
        notify(target.owner, "content_returned", f"A moderator didn't publish your picture {_where(target)}"
               + (f": {message}" if message else "."), url=self.place(target).url, actor=moderator)

    def edit_and_publish(self, target: Image, moderator: User, title, body, note, pending) -> Edit:
        before = target.alt
        target.alt = body
        set_status(target, "published")
        notify(target.owner, "content_approved", f"A moderator approved your picture {_where(target)} "
               "and improved its description.", url=self.place(target).url, actor=moderator)
        return Edit(before=before, after=body)

    def remove(self, target: Image, moderator: User, note: str) -> None:
        set_status(target, "removed", note=note)
        notify(target.owner, "content_removed", f"A moderator removed your picture {_where(target)}"
               + (f": {note}" if note else ".") + " The rest of what you wrote stays.", actor=moderator)

    def hide(self, target: Image) -> None:
        set_status(target, "hidden")
        notify(target.owner, "content_hidden", f"Some members were worried about your picture {_where(target)}, "
               "so it is hidden while moderators look at it. Nothing is lost.", url="")

    def restore(self, target: Image, moderator: User) -> None:
        set_status(target, "published")
        notify(target.owner, "content_restored", "Moderators looked at your picture and it is visible again.",
               actor=moderator)

    def undo(self, target: Image, moderator: User, undone: Undone) -> None:
        if undone.action == "edit_approve" and undone.before_text:
            target.alt = undone.before_text
        status = undone.before_status if undone.before_status in ("pending", "published", "hidden") else "pending"
        set_status(target, status)


@bp.record_once
def _register_kind(state) -> None:
    register_kind("image", ImageKind(), app=state.app)
