"""Pictures in forms: take the files a form sent, clean and keep them, attach them to what was
written, and decide what is waiting for review. Services `flush()` at most; views commit.

Form fields (the same in every form that takes pictures, see templates/media/_upload.html):
``image_1`` … ``image_4`` (a file each), ``alt_1`` … ``alt_4`` (its description) and
``kept_1`` … ``kept_4`` (a picture already accepted by an earlier, refused try of the same
form: the member need not pick it again).
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from board.extensions import db
from board.markup import clean_text
from board.media import gallery, pipeline, storage
from board.models import Image, Message, Post, Story, User, utcnow
from board.models.media import ALT_MAX, UPLOAD
from board.moderation import intake
from board.moderation.rules import Verdict
from board.permissions import posting_block_reason

PENDING, PUBLISHED, HIDDEN, REJECTED, REMOVED, DELETED = (
    "pending", "published", "hidden", "rejected", "removed", "deleted")
#: The models that hold pictures in their `body_html` (a gallery after the text; board/media/gallery.py).
HOLDERS = {"post": Post, "story": Story, "message": Message}
ALT_HINT = "Describe the picture for someone who can't see it (for example: “My knitted blue scarf on a garden bench”)."
REVIEW_REASON = "Picture from a new member"
KEEP_UPLOADS = timedelta(days=1)  # accepted pictures of a form never sent: removed by `media clean-orphans`


def max_images() -> int:
    return max(1, int(current_app.config.get("BOARD_IMAGES_PER_POST", 4)))


def needs_review(owner: User) -> bool:
    """Pictures from members below trust level 2 wait for a moderator."""
    return owner.role == "member" and (owner.trust_level or 0) < 2


# ---------------------------------------------------------------- taking files

def store(cleaned: pipeline.Cleaned) -> None:
    for encoded in (cleaned.full, cleaned.thumb):
        storage.put(encoded.name, encoded.data, encoded.content_type)


def accept_file(owner: User, data: bytes, *, alt: str = "") -> Image:
    """Clean one picture and keep it as an upload of `owner` (status ``upload``, with a token)."""
    config = current_app.config
    cleaned = pipeline.clean(data, max_bytes=config["BOARD_IMAGE_MAX_BYTES"],
                             max_pixels=config["BOARD_IMAGE_MAX_PIXELS"],
                             max_side=config.get("BOARD_IMAGE_MAX_SIDE", 2048))
    store(cleaned)
    image = Image(owner_id=owner.id, name=cleaned.full.name, thumb_name=cleaned.thumb.name,
                  width=cleaned.full.width, height=cleaned.full.height, thumb_width=cleaned.thumb.width,
                  thumb_height=cleaned.thumb.height, alt=alt, status=UPLOAD, token=secrets.token_urlsafe(18))
    db.session.add(image)
    db.session.flush()
    return image


@dataclass
class Slot:
    number: int
    image: Image | None = None
    alt: str = ""
    error: str = ""


@dataclass
class Batch:
    """The pictures one form sent: a slot per picture field, with its error if any."""

    slots: list[Slot] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"Picture {s.number}: {s.error}" for s in self.slots if s.error]

    @property
    def ok(self) -> bool:
        return not any(s.error for s in self.slots)

    @property
    def images(self) -> list[Image]:
        return [s.image for s in self.slots if s.image is not None]

    def slot(self, number: int) -> Slot:
        return self.slots[number - 1]


def _read(file_storage, limit: int) -> bytes:
    return file_storage.stream.read(limit + 1)


def collect(owner: User, form, files) -> Batch:
    """Read the picture fields of a form post. Accepted pictures are kept (status ``upload``) even
    when another picture or the text is refused, so the form can show them again by token.

    A member who may not post (silenced, suspended, unconfirmed) gets no picture kept: the
    service she is posting through refuses her with the posting message."""
    batch = Batch([Slot(n) for n in range(1, max_images() + 1)])
    if owner is None or not getattr(owner, "is_authenticated", False) or posting_block_reason(owner) is not None:
        return batch
    limit = int(current_app.config["BOARD_IMAGE_MAX_BYTES"])
    for slot in batch.slots:
        n = slot.number
        slot.alt = clean_text(form.get(f"alt_{n}") or "").strip()
        upload = files.get(f"image_{n}") if files else None
        token = (form.get(f"kept_{n}") or "").strip()[:40]
        if not token.replace("-", "").replace("_", "").isalnum() or not token.isascii():
            token = ""  # not one of ours (tokens are URL-safe base64): never sent to the database
        if upload is not None and (upload.filename or "") != "":
            data = _read(upload, limit)
            if not data:
                continue  # an empty file input: nothing chosen
            try:
                slot.image = accept_file(owner, data, alt=slot.alt[:ALT_MAX])
            except pipeline.Refused as exc:
                slot.error = exc.message
                continue
        elif token:
            slot.image = db.session.scalar(select(Image).where(
                Image.token == token, Image.owner_id == owner.id, Image.status == UPLOAD))
        if slot.image is None:
            continue
        if not slot.alt:
            slot.error = "please describe it for someone who can't see it (the alt text is required)."
        elif len(slot.alt) > ALT_MAX:
            slot.error = f"please keep its description to {ALT_MAX} characters or fewer."
        else:
            slot.image.alt = slot.alt
    db.session.flush()
    return batch


def pictures_ok(batch: Batch | None, form) -> bool:
    """For views: True when every picture in the form was accepted; else its messages join the
    form's errors (the form is shown again with the text, the descriptions and the kept pictures)."""
    if batch is None or batch.ok:
        return True
    form.form_errors.extend(batch.errors)
    return False


# ---------------------------------------------------------------- attaching

def _verdict(owner: User) -> Verdict:
    return Verdict(action="review", reasons=(REVIEW_REASON,))


def attach(owner: User, images: list[Image], content_kind: str, content_id: int, *,
           parent_status: str = PUBLISHED) -> None:
    """Place accepted uploads in a post, story or message (in form order), queue the ones that
    need a look, and rebuild the holder's gallery. Call after the holder is flushed."""
    if not images:
        return
    review = needs_review(owner)
    for position, image in enumerate(images):
        image.content_kind, image.content_id, image.position = content_kind, content_id, position
        image.token = None
        image.status = PENDING if review else PUBLISHED
    db.session.flush()
    for image in images:
        if image.status == PENDING:
            intake.after_write(author=owner, verdict=_verdict(owner), target=image)
    refresh_holder(content_kind, content_id)


def images_of(content_kind: str, content_id: int) -> list[Image]:
    return list(db.session.scalars(select(Image).where(
        Image.content_kind == content_kind, Image.content_id == content_id, Image.status != UPLOAD)
        .order_by(Image.position, Image.id)))


def holder_of(image: Image):
    model = HOLDERS.get(image.content_kind or "")
    return db.session.get(model, image.content_id) if model is not None and image.content_id else None


def refresh_holder(content_kind: str | None, content_id: int | None) -> None:
    """Rebuild the gallery at the end of the holder's stored HTML (pictures changed status)."""
    model = HOLDERS.get(content_kind or "")
    if model is None or not content_id:
        return
    holder = db.session.get(model, content_id)
    if holder is None:
        return
    images = images_of(content_kind, content_id)
    report = content_kind != "message"
    holder.body_html = gallery.with_gallery(holder.body_html, images, report=report)
    if content_kind == "story" and holder.pending_body_html is not None:
        holder.pending_body_html = gallery.with_gallery(holder.pending_body_html, images, report=report)
    db.session.flush()


def set_status(image: Image, status: str, *, note: str | None = None) -> None:
    """The one way a placed picture's status changes: the holder's gallery and the member's
    profile picture follow."""
    image.status = status
    if note is not None:
        image.moderator_note = note
    db.session.flush()
    if image.content_kind == "avatar":
        owner = db.session.get(User, image.owner_id)
        if owner is not None:
            if status == PUBLISHED:
                owner.avatar_media = image.thumb_name
            elif owner.avatar_media == image.thumb_name:
                owner.avatar_media = None
        db.session.flush()
    else:
        refresh_holder(image.content_kind, image.content_id)


# ---------------------------------------------------------------- lifecycle

def delete_member_images(user: User) -> int:
    """Account deletion: every picture the member placed goes (rows and, when nothing else uses
    them, the files); the galleries of what held them are rebuilt."""
    images = list(db.session.scalars(select(Image).where(Image.owner_id == user.id)))
    holders = {(i.content_kind, i.content_id) for i in images}
    names = {n for i in images for n in (i.name, i.thumb_name)}
    for image in images:
        db.session.delete(image)
    user.avatar_media = None
    db.session.flush()
    for kind, cid in holders:
        refresh_holder(kind, cid)
    remove_unused(names)
    return len(images)


def remove_unused(names: set[str]) -> int:
    """Delete the files among `names` that no picture refers to any more."""
    if not names:
        return 0
    used = set(db.session.scalars(select(Image.name).where(Image.name.in_(names))))
    used.update(db.session.scalars(select(Image.thumb_name).where(Image.thumb_name.in_(names))))
    gone = names - used
    for name in gone:
        storage.remove(name)
    return len(gone)


def clean_orphans(now=None) -> tuple[int, int]:
    """Uploads never sent (older than a day) and files no picture refers to: (rows, files) removed."""
    now = now or utcnow()
    stale = list(db.session.scalars(select(Image).where(
        Image.status == UPLOAD, Image.created_at < now - KEEP_UPLOADS)))
    for image in stale:
        db.session.delete(image)
    db.session.flush()
    used = set(db.session.scalars(select(Image.name))) | set(db.session.scalars(select(Image.thumb_name)))
    files = 0
    for name in storage.stored_names() - used:
        storage.remove(name)
        files += 1
    db.session.flush()
    return len(stale), files


def export_rows(user: User, *, with_data: bool = False) -> list[dict]:
    """A member's pictures for her data download (`with_data`: each cleaned file, base64)."""
    rows = db.session.scalars(select(Image).where(Image.owner_id == user.id, Image.status.not_in((UPLOAD, DELETED)))
                              .order_by(Image.id))
    out = []
    for i in rows:
        row = {"file": i.name, "description": i.alt, "status": i.status, "where": i.content_kind,
               "where_id": i.content_id, "width": i.width, "height": i.height,
               "created_at": i.created_at.isoformat() if i.created_at else None}
        if with_data:
            data = storage.get(i.name)
            row["content_type"] = pipeline.TYPES[i.name.rsplit(".", 1)[1]]
            row["data_base64"] = base64.b64encode(data).decode("ascii") if data is not None else None
        out.append(row)
    return out


def lookup(name: str) -> list[Image]:
    """The pictures that use a file (as the picture or its thumbnail): one query."""
    return list(db.session.scalars(select(Image).where(or_(Image.name == name, Image.thumb_name == name))
                                   .limit(50)))


# ---------------------------------------------------------------- profile pictures

def set_avatar(owner: User, data: bytes, x: float, y: float, size: float) -> Image:
    """A new profile picture: the square she chose, cleaned; reviewed like other pictures for
    low-trust members (her initials show until it is approved). Replaces any earlier one."""
    config = current_app.config
    cleaned = pipeline.crop_square(data, x, y, size, max_bytes=config["BOARD_IMAGE_MAX_BYTES"],
                                   max_pixels=config["BOARD_IMAGE_MAX_PIXELS"])
    store(cleaned)
    remove_avatar(owner)
    image = Image(owner_id=owner.id, name=cleaned.full.name, thumb_name=cleaned.thumb.name,
                  width=cleaned.full.width, height=cleaned.full.height, thumb_width=cleaned.thumb.width,
                  thumb_height=cleaned.thumb.height, alt=f"Profile picture of {owner.public_name}",
                  status=UPLOAD, content_kind="avatar", content_id=owner.id)
    db.session.add(image)
    db.session.flush()
    if needs_review(owner):
        set_status(image, PENDING)
        intake.after_write(author=owner, verdict=_verdict(owner), target=image)
    else:
        set_status(image, PUBLISHED)
    return image


def remove_avatar(owner: User) -> None:
    """Her earlier profile pictures go (a pending one too: its queue item then shows as gone)."""
    old = list(db.session.scalars(select(Image).where(
        Image.owner_id == owner.id, Image.content_kind == "avatar", Image.status != DELETED)))
    for image in old:
        image.status = DELETED
    owner.avatar_media = None
    db.session.flush()


def waiting_avatar(owner: User) -> Image | None:
    return db.session.scalar(select(Image).where(
        Image.owner_id == owner.id, Image.content_kind == "avatar", Image.status == PENDING)
        .order_by(Image.id.desc()).limit(1))
