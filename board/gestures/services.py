"""Reactions, bookmarks and drafts: the rules.

Services take the acting member, check rules and visibility, change state,
`flush()` and return; the view commits once. Reaction counts are denormalised on
the post or story and moved here in the same transaction (atomic UPDATE … + 1),
and the unique constraints decide double clicks: two requests at once store one row.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Integer, String, Text, and_, bindparam, cast, delete, func, literal, null, select, update
from sqlalchemy.exc import IntegrityError

from board.domain import RuleViolation
from board.extensions import db
from board.gestures.reactions import REACTIONS, notification_text
from board.markup import clean_text, excerpt
from board.models import (
    PUBLISHED, Bookmark, Draft, Mute, Notification, Post, Reaction, Story, Thread, Topic, User, utcnow,
)
from board.moderation.care import title_for_others
from board.notifications.services import notify
from board.permissions import PermissionDenied, can_edit_story, posting_block_reason
from board.visibility import can_see_story, can_see_thread, can_see_topic, post_text_visible

DRAFT_DAYS = 90
NOTE_MAX = 500
# A draft may be as long as what it becomes (board.forum.services.BODY_MAX and
# board.stories.services.BODY_MAX; a test keeps them equal). Not imported: this module is
# used by the forum and stories pages, whose packages import their views on import.
POST_MAX = 20_000
STORY_MAX = 10_000


class NotFound(Exception):
    """The target doesn't exist or the member may not see it: the view answers 404."""


def _member(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.deleted_at is None


# ================================================================ reactions

@dataclass(frozen=True)
class Target:
    """What can be reacted to: a post or a story (one adapter each, no if-post-else-story below)."""

    name: str
    model: type
    fk: object                 # Reaction.post_id / Reaction.story_id
    counters: dict             # reaction kind -> counter column name on the model
    noun: str

    def column(self, kind: str):
        return getattr(self.model, self.counters[kind])

    def counts(self, obj) -> dict[str, int]:
        return {kind: getattr(obj, name) or 0 for kind, name in self.counters.items()}

    def url(self, obj) -> str:
        return f"/{self.name}s/{obj.id}"


POST = Target("post", Post, Reaction.post_id,
              {k: f"react_{k}" for k in REACTIONS}, "post")
STORY = Target("story", Story, Reaction.story_id,
               {k: ("helped_count" if k == "helped" else f"react_{k}") for k in REACTIONS}, "story")


def can_see_target(viewer, target: Target, obj) -> bool:
    """May `viewer` see this published post or story (the only ones reactions and lists are about)?"""
    if target is POST:
        return obj.status == PUBLISHED and can_see_thread(viewer, obj.thread)
    return obj.status == PUBLISHED and can_see_story(viewer, obj)


def check_kind(kind: str | None) -> str:
    if kind not in REACTIONS:
        raise RuleViolation("Please choose one of the reactions shown: "
                            + ", ".join(r.label for r in REACTIONS.values()) + ".", "reaction")
    return kind


def refusal(member, target: Target, obj) -> str | None:
    """Why `member` can't react to this (kindly), or None if they can."""
    if obj.author_id == member.id:
        return (f"This is your own {target.noun}, so you can't react to it — the reactions here are "
                "what others send you.")
    reason = posting_block_reason(member, on_form=False)
    if reason:
        return reason
    return None


@dataclass
class ReactionResult:
    kind: str
    reacted: bool
    counts: dict[str, int]


def react(member: User, target: Target, obj, kind: str, want: bool | None = None) -> ReactionResult:
    """Give (or take back) one reaction. `want=None` toggles; True/False are idempotent.

    Raises RuleViolation (unknown kind: 400), NotFound (can't see it: 404) or
    PermissionDenied (own post, silenced…: refused with a kind message).
    """
    kind = check_kind(kind)
    if not _member(member) or not can_see_target(member, target, obj):
        raise NotFound()
    reason = refusal(member, target, obj)
    if reason:
        raise PermissionDenied(reason)
    existing = db.session.scalar(
        select(Reaction.id).where(target.fk == obj.id, Reaction.user_id == member.id, Reaction.kind == kind)
    )
    reacted = (existing is None) if want is None else want
    column = target.column(kind)
    if reacted and existing is None:
        added = True
        try:
            with db.session.begin_nested():
                db.session.add(Reaction(user_id=member.id, kind=kind, created_at=utcnow(),
                                        **{target.fk.key: obj.id}))
        except IntegrityError:
            added = False  # a second click (or tab) got there first: it already counts
        if added:
            db.session.execute(
                update(target.model).where(target.model.id == obj.id).values({column: column + 1})
                .execution_options(synchronize_session=False)
            )
            _refresh_notice(target, obj, kind, added_by=member)
    elif not reacted and existing is not None:
        removed = db.session.execute(
            delete(Reaction).where(Reaction.id == existing).execution_options(synchronize_session=False)
        ).rowcount
        if removed:
            db.session.execute(
                update(target.model).where(target.model.id == obj.id, column > 0).values({column: column - 1})
                .execution_options(synchronize_session=False)
            )
            _refresh_notice(target, obj, kind)
    db.session.flush()
    db.session.expire(obj, list(target.counters.values()))
    return ReactionResult(kind=kind, reacted=reacted, counts=target.counts(obj))


def my_reactions(viewer, target: Target, obj) -> frozenset[str]:
    if not _member(viewer):
        return frozenset()
    return frozenset(db.session.scalars(
        select(Reaction.kind).where(target.fk == obj.id, Reaction.user_id == viewer.id)
    ))


def who_reacted(target: Target, obj) -> dict[str, list[User]]:
    """Members who gave each reaction, oldest first (deleted accounts' reactions are gone already)."""
    rows = db.session.execute(
        select(Reaction.kind, User).join(User, Reaction.user_id == User.id)
        .where(target.fk == obj.id, User.deleted_at.is_(None)).order_by(Reaction.id)
    ).all()
    out: dict[str, list[User]] = {kind: [] for kind in REACTIONS}
    for kind, user in rows:
        out[kind].append(user)
    return out


# ---------------------------------------------------------------- batched notifications

def _thing(target: Target, obj) -> str:
    if target is POST:
        return f"your post in {title_for_others(obj.thread)}"
    return f"your story “{obj.title}”" if obj.title else "your story"


def _refresh_notice(target: Target, obj, kind: str, *, added_by: User | None = None) -> None:
    """Keep ONE unread notification per post (or story) and reaction for its author.

    A new reaction rewrites the waiting notification ("June and 2 others sent love on your
    post…") instead of adding one; taking a reaction back rewrites it too, or removes it
    when nobody is left. Once the author has read it, the next member's reaction starts a
    new one — but not the same member again (taking back and giving again is no news).
    Reactions from members the author muted never notify and are never counted in the text.
    """
    recipient = obj.author
    if recipient is None or recipient.deleted_at is not None or recipient.memorial_at is not None:
        return
    muted = select(Mute.muted_user_id).where(Mute.user_id == recipient.id)
    if added_by is not None and db.session.scalar(
        select(Mute.id).where(Mute.user_id == recipient.id, Mute.muted_user_id == added_by.id)
    ) is not None:
        return
    url, notice_kind = target.url(obj), f"reaction_{kind}"
    same = and_(Notification.user_id == recipient.id, Notification.kind == notice_kind, Notification.url == url)
    unread = db.session.scalar(
        select(Notification).where(same, Notification.read_at.is_(None)).order_by(Notification.id.desc()).limit(1)
    )
    if unread is None:
        if added_by is None:
            return  # a reaction taken back after the author read about it: nothing to tell
        last_actor = db.session.scalar(
            select(Notification.actor_id).where(same).order_by(Notification.id.desc()).limit(1)
        )
        if last_actor == added_by.id:
            return
    counted = and_(target.fk == obj.id, Reaction.kind == kind, Reaction.user_id != recipient.id,
                   Reaction.user_id.not_in(muted))
    total = db.session.scalar(select(func.count(Reaction.id)).where(counted)) or 0
    if total == 0:
        if unread is not None:
            db.session.delete(unread)
        return
    latest = added_by or db.session.scalar(
        select(User).join(Reaction, Reaction.user_id == User.id).where(counted).order_by(Reaction.id.desc()).limit(1)
    )
    text = notification_text(kind, latest.public_name, total - 1, _thing(target, obj))
    if unread is not None:
        unread.text, unread.actor_id, unread.created_at = text, latest.id, utcnow()
    else:
        notify(recipient, notice_kind, text, url=url, actor=latest)


# ================================================================ the thread page's per-viewer part

@dataclass(frozen=True)
class ViewerGestures:
    """What the thread page shows differently for this member: their own reactions, their
    bookmarks and their reply draft. Kept apart from the shared part (the counts, read with
    the posts) so the shared part can be cached for everyone."""

    reacted: dict = field(default_factory=dict)        # post id -> frozenset of kinds
    bookmarked: frozenset = frozenset()                 # post ids
    thread_bookmarked: bool = False
    reply_draft: tuple | None = None                    # (body, reply_to_id)

    def reactions_on(self, post_id: int) -> frozenset:
        return self.reacted.get(post_id, frozenset())


NO_GESTURES = ViewerGestures()


def thread_viewer_stmt():
    first, *rest = thread_viewer_selects()
    return first.union_all(*rest)


@functools.cache
def thread_viewer_selects() -> tuple:
    """Reactions + bookmarks on the page's posts, the thread bookmark and the reply draft:
    one UNION ALL, built once per process (`viewer_id`, `lo`, `hi`, `thread_id`, `place`, `since`)."""
    viewer = bindparam("viewer_id")
    lo, hi = bindparam("lo", type_=Integer), bindparam("hi", type_=Integer)
    no_text = cast(null(), Text)
    reactions = select(Reaction.post_id.label("ref"), Reaction.kind.label("kind"), no_text.label("body")).where(
        Reaction.user_id == viewer, Reaction.post_id >= lo, Reaction.post_id <= hi)
    marks = select(Bookmark.post_id, literal("bookmark", String), no_text).where(
        Bookmark.user_id == viewer, Bookmark.post_id >= lo, Bookmark.post_id <= hi)
    thread_mark = select(Bookmark.thread_id, literal("bookmark_thread", String), no_text).where(
        Bookmark.user_id == viewer, Bookmark.thread_id == bindparam("thread_id"))
    draft = select(Draft.reply_to_id, literal("draft", String), Draft.body).where(
        Draft.user_id == viewer, Draft.place == bindparam("place"), Draft.updated_at >= bindparam("since"))
    return reactions, marks, thread_mark, draft


def thread_viewer_state(viewer, thread: Thread, posts) -> ViewerGestures:
    """One query for a member, none for a visitor."""
    if not _member(viewer):
        return NO_GESTURES
    params = thread_viewer_params(viewer, thread, posts)
    return viewer_gestures_from_rows(db.session.connection().execute(thread_viewer_stmt(), params))


def thread_viewer_params(viewer, thread: Thread, posts) -> dict:
    ids = [p.id for p in posts]
    return {"viewer_id": viewer.id, "lo": min(ids) if ids else 0, "hi": max(ids) if ids else 0,
            "thread_id": thread.id, "place": f"reply:{thread.id}", "since": utcnow() - timedelta(days=DRAFT_DAYS)}


def viewer_gestures_from_rows(rows) -> ViewerGestures:
    """The ViewerGestures from `thread_viewer_stmt()`'s (ref, kind, body) rows."""
    reacted: dict[int, set] = {}
    bookmarked: set[int] = set()
    thread_bookmarked, draft = False, None
    for ref, kind, body in rows:
        if kind == "bookmark":
            bookmarked.add(ref)
        elif kind == "bookmark_thread":
            thread_bookmarked = True
        elif kind == "draft":
            draft = (body or "", ref)
        else:
            reacted.setdefault(ref, set()).add(kind)
    return ViewerGestures(reacted={k: frozenset(v) for k, v in reacted.items()}, bookmarked=frozenset(bookmarked),
                          thread_bookmarked=thread_bookmarked, reply_draft=draft)


# ================================================================ bookmarks

BOOKMARK_KINDS = ("post", "thread", "story")


def _bookmark_visible(viewer, post: Post | None, thread: Thread | None, story: Story | None) -> bool:
    if post is not None:
        return post.status == PUBLISHED and can_see_thread(viewer, post.thread) and post_text_visible(viewer, post)
    if thread is not None:
        return can_see_thread(viewer, thread)
    if story is not None:
        return story.status == PUBLISHED and can_see_story(viewer, story)
    return False


def _bookmark_column(kind: str):
    return {"post": Bookmark.post_id, "thread": Bookmark.thread_id, "story": Bookmark.story_id}[kind]


def find_bookmark(member: User, kind: str, obj) -> Bookmark | None:
    return db.session.scalar(
        select(Bookmark).where(Bookmark.user_id == member.id, _bookmark_column(kind) == obj.id)
    )


def toggle_bookmark(member: User, kind: str, obj, *, note: str | None = None, keep: bool = False) -> Bookmark | None:
    """Bookmark (or un-bookmark) a post, thread or story. `keep=True` saves the note and never
    removes. Returns the bookmark, or None once removed. NotFound if the member can't see it."""
    if not _member(member):
        raise NotFound()
    post = obj if kind == "post" else None
    thread = obj if kind == "thread" else None
    story = obj if kind == "story" else None
    if not _bookmark_visible(member, post, thread, story):
        raise NotFound()
    if note is not None:
        note = " ".join(note.split())
        if len(note) > NOTE_MAX:
            raise RuleViolation(f"Please keep your note to {NOTE_MAX} characters or fewer.", "note")
    existing = find_bookmark(member, kind, obj)
    if existing is not None:
        if keep or note:
            if note is not None:
                existing.note = note
            db.session.flush()
            return existing
        db.session.delete(existing)
        db.session.flush()
        return None
    mark = Bookmark(user_id=member.id, note=note or "", created_at=utcnow(), **{f"{kind}_id": obj.id})
    try:
        with db.session.begin_nested():
            db.session.add(mark)
    except IntegrityError:
        return find_bookmark(member, kind, obj)  # a double click: the first one stands
    return mark


def bookmark_state(member, kind: str, obj) -> bool:
    return _member(member) and find_bookmark(member, kind, obj) is not None


@dataclass
class BookmarkItem:
    bookmark: Bookmark
    kind: str
    title: str
    url: str
    summary: str = ""
    when: object = None


def bookmarks_of(member: User, limit: int = 500) -> list[BookmarkItem]:
    """Newest first; only what the member can still see (a bookmark of content that has left
    their view is not shown, and comes back if a moderator restores the content)."""
    marks = list(db.session.scalars(
        select(Bookmark).where(Bookmark.user_id == member.id).order_by(Bookmark.id.desc()).limit(limit)
    ))
    post_ids = [m.post_id for m in marks if m.post_id]
    thread_ids = [m.thread_id for m in marks if m.thread_id]
    story_ids = [m.story_id for m in marks if m.story_id]
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(post_ids)))} if post_ids else {}
    thread_ids += [p.thread_id for p in posts.values()]
    threads = ({t.id: t for t in db.session.scalars(select(Thread).where(Thread.id.in_(thread_ids)))}
               if thread_ids else {})
    topic_ids = {t.topic_id for t in threads.values()}
    if topic_ids:
        list(db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))))  # into the identity map
    stories = ({s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_(story_ids)))}
               if story_ids else {})
    items: list[BookmarkItem] = []
    for mark in marks:
        if mark.post_id:
            post = posts.get(mark.post_id)
            if post is None or not _bookmark_visible(member, post, None, None):
                continue
            items.append(BookmarkItem(mark, "post", f"A post in “{post.thread.title}”", f"/posts/{post.id}",
                                      excerpt(post.body_source, 200), post.created_at))
        elif mark.thread_id:
            thread = threads.get(mark.thread_id)
            if thread is None or not _bookmark_visible(member, None, thread, None):
                continue
            items.append(BookmarkItem(mark, "thread", thread.title, f"/threads/{thread.id}", "", thread.created_at))
        elif mark.story_id:
            story = stories.get(mark.story_id)
            if story is None or not _bookmark_visible(member, None, None, story):
                continue
            items.append(BookmarkItem(mark, "story", story.title or "A member's story", f"/stories/{story.id}",
                                      excerpt(story.body_source, 200), story.published_at))
    return items


# ================================================================ drafts

@dataclass(frozen=True)
class Place:
    key: str            # "thread:3", "reply:12", "story:new", "story:40"
    kind: str           # thread / reply / story
    label: str          # "A new thread in Newly diagnosed"
    url: str            # where the draft is picked up again
    body_max: int
    has_title: bool


def _limits(kind: str) -> int:
    return STORY_MAX if kind == "story" else POST_MAX


def resolve_place(member: User, key: str | None) -> Place:
    """The place a draft belongs to, checked: NotFound when it isn't one the member can write in."""
    kind, _, ref = (key or "").partition(":")
    if kind == "story" and ref == "new":
        return Place(key, "story", "A new story", "/stories/new", _limits("story"), True)
    if not ref.isdigit() or len(ref) > 12:
        raise NotFound()
    ident = int(ref)
    if kind == "thread":
        topic = db.session.get(Topic, ident)
        if topic is None or not can_see_topic(member, topic):
            raise NotFound()
        return Place(key, "thread", f"A new thread in {topic.title}", f"/topics/{topic.slug}/new",
                     _limits("thread"), True)
    if kind == "reply":
        thread = db.session.get(Thread, ident)
        if thread is None or not can_see_thread(member, thread):
            raise NotFound()
        return Place(key, "reply", f"A reply in “{thread.title}”", f"/threads/{thread.id}/reply", _limits("reply"), False)
    if kind == "story":
        story = db.session.get(Story, ident)
        if story is None or not can_edit_story(member, story):
            raise NotFound()
        return Place(key, "story", f"Changes to your story “{story.title or 'untitled'}”", f"/stories/{story.id}/edit",
                     _limits("story"), True)
    raise NotFound()


def _fresh():
    return Draft.updated_at >= utcnow() - timedelta(days=DRAFT_DAYS)


def get_draft(member, key: str) -> Draft | None:
    if not _member(member):
        return None
    return db.session.scalar(select(Draft).where(Draft.user_id == member.id, Draft.place == key, _fresh()))


def save_draft(member: User, key: str, *, title: str = "", body: str = "", reply_to_id: int | None = None) -> Draft | None:
    """Keep what the member is writing. Refused (RuleViolation) when longer than a post may be:
    the page keeps the text. Empty title and body removes the draft. Returns the draft or None."""
    if not _member(member):
        raise NotFound()
    place = resolve_place(member, key)
    title = (title or "").strip() if place.has_title else ""
    body = clean_text(body or "")
    if len(body) > place.body_max:
        raise RuleViolation(
            f"This draft is {len(body):,} characters long; the limit is {place.body_max:,}, so it wasn't saved. "
            "Your text is still here: please shorten it, or copy it somewhere safe.", "body")
    if len(title) > 150:
        raise RuleViolation("Titles are 150 characters or fewer, so this draft wasn't saved.", "title")
    purge_old_drafts(member)
    draft = db.session.scalar(select(Draft).where(Draft.user_id == member.id, Draft.place == key))
    if not body.strip() and not title:
        if draft is not None:
            db.session.delete(draft)
            db.session.flush()
        return None
    now = utcnow()
    if draft is None:
        draft = Draft(user_id=member.id, place=key, created_at=now)
        try:
            with db.session.begin_nested():
                draft.title, draft.body, draft.reply_to_id, draft.updated_at = title, body, reply_to_id, now
                db.session.add(draft)
            return draft
        except IntegrityError:  # the same draft saved from two tabs at once: update the one that won
            draft = db.session.scalar(select(Draft).where(Draft.user_id == member.id, Draft.place == key))
    draft.title, draft.body, draft.reply_to_id, draft.updated_at = title, body, reply_to_id, now
    db.session.flush()
    return draft


def discard_draft(member, key: str) -> None:
    """The member posted: the draft for that place goes."""
    if _member(member):
        db.session.execute(delete(Draft).where(Draft.user_id == member.id, Draft.place == key)
                           .execution_options(synchronize_session=False))


def delete_draft(member: User, draft_id: int) -> None:
    draft = db.session.get(Draft, draft_id)
    if draft is None or draft.user_id != member.id:
        raise NotFound()
    db.session.delete(draft)
    db.session.flush()


def purge_old_drafts(member: User | None = None) -> int:
    """Drafts untouched for 90 days go (one member's, or everyone's from the CLI)."""
    stmt = delete(Draft).where(Draft.updated_at < utcnow() - timedelta(days=DRAFT_DAYS))
    if member is not None:
        stmt = stmt.where(Draft.user_id == member.id)
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def drafts_of(member: User) -> list[tuple[Draft, Place | None]]:
    """Newest first, with where each one is picked up again (None if that place is gone)."""
    out = []
    for draft in db.session.scalars(
        select(Draft).where(Draft.user_id == member.id, _fresh()).order_by(Draft.updated_at.desc(), Draft.id.desc())
    ):
        try:
            place = resolve_place(member, draft.place)
        except NotFound:
            place = None
        out.append((draft, place))
    return out


# ================================================================ a member's data

def export_for(user: User) -> dict:
    reactions = db.session.execute(
        select(Reaction.kind, Reaction.post_id, Reaction.story_id, Reaction.created_at)
        .where(Reaction.user_id == user.id).order_by(Reaction.id)
    ).all()
    return {
        "reactions_given": [
            {"reaction": kind, **({"post_id": pid} if pid else {"story_id": sid}), "created_at": at.isoformat()}
            for kind, pid, sid, at in reactions
        ],
        "bookmarks": [
            {"post_id": b.post_id, "thread_id": b.thread_id, "story_id": b.story_id, "note": b.note,
             "created_at": b.created_at.isoformat()}
            for b in db.session.scalars(select(Bookmark).where(Bookmark.user_id == user.id).order_by(Bookmark.id))
        ],
        "drafts": [
            {"place": d.place, "title": d.title, "body": d.body, "reply_to_post_id": d.reply_to_id,
             "updated_at": d.updated_at.isoformat()}
            for d in db.session.scalars(select(Draft).where(Draft.user_id == user.id).order_by(Draft.id))
        ],
    }


def erase_member(user: User) -> None:
    """Account deletion: their reactions disappear (and the counts with them), their bookmarks
    and drafts go."""
    rows = db.session.execute(
        select(Reaction.kind, Reaction.post_id, Reaction.story_id).where(Reaction.user_id == user.id)
    ).all()
    for target in (POST, STORY):
        by_kind: dict[str, list[int]] = {}
        for kind, pid, sid in rows:
            ref = pid if target is POST else sid
            if ref is not None:
                by_kind.setdefault(kind, []).append(ref)
        for kind, ids in by_kind.items():
            column = target.column(kind)
            db.session.execute(
                update(target.model).where(target.model.id.in_(ids), column > 0).values({column: column - 1})
                .execution_options(synchronize_session=False)
            )
        if by_kind:
            touched = {i for ids in by_kind.values() for i in ids}
            for obj in db.session.identity_map.values():
                if isinstance(obj, target.model) and obj.id in touched:
                    db.session.expire(obj, list(target.counters.values()))
    for model in (Reaction, Bookmark, Draft):
        db.session.execute(delete(model).where(model.user_id == user.id).execution_options(synchronize_session=False))
    db.session.flush()
