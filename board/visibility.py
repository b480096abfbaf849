"""The ONLY place that decides who may see what.

Every public listing builds its WHERE clause from these helpers, so a pending,
hidden, rejected, removed or withdrawn item cannot leak through a page that
forgot a filter.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, false, or_, true

from board.models import (
    DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Message, Post, Story, Thread, Topic, User,
)

# Posts shown in a thread to everybody: published ones, and placeholders for
# those removed or hidden, so the conversation around them still reads.
THREAD_PLACEHOLDER_STATUSES = (DELETED, REMOVED, HIDDEN)


def _viewer_id(viewer: User | None) -> int | None:
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return viewer.id
    return None


def is_staff(viewer: User | None) -> bool:
    return _viewer_id(viewer) is not None and viewer.role in ("moderator", "admin")


def visible_topics(viewer: User | None):
    """Members-only topics are invisible to anonymous visitors."""
    if _viewer_id(viewer) is None:
        return Topic.members_only.is_(False)
    return true()


def one_of(column, values):
    """`column IN (values)` for a fixed, short list of constants, written as ORs of equalities:
    the same rows and plans on SQLite and PostgreSQL, but a statement built once is executed
    as compiled. (SQLAlchemy renders `in_` as an expanding parameter, re-written into the SQL
    on every execution: about a quarter of the CPU time of the hot per-viewer queries.)"""
    return or_(*(column == value for value in values))


def can_see_topic(viewer: User | None, topic: Topic) -> bool:
    return not topic.members_only or _viewer_id(viewer) is not None


def visible_threads(viewer: User | None):
    """Threads listed on topic pages and the home page."""
    uid = _viewer_id(viewer)
    if is_staff(viewer):
        return Thread.status.in_((PUBLISHED, PENDING, HIDDEN))
    if uid is None:
        return Thread.status == PUBLISHED
    return or_(Thread.status == PUBLISHED, and_(Thread.author_id == uid, Thread.status.in_((PENDING, HIDDEN, REJECTED))))


def can_see_thread(viewer: User | None, thread: Thread) -> bool:
    if not can_see_topic(viewer, thread.topic):
        return False
    if thread.status == PUBLISHED:
        return True
    if is_staff(viewer):
        return True
    uid = _viewer_id(viewer)
    return uid is not None and thread.author_id == uid and thread.status in (PENDING, HIDDEN, REJECTED)


def thread_posts_audience(viewer: User | None) -> tuple[str, dict]:
    """Which thread-posts rule applies to `viewer`, and its parameters (see `thread_posts_rule`)."""
    uid = _viewer_id(viewer)
    if uid is None:
        return "visitor", {}
    if viewer.role in ("moderator", "admin"):
        return "staff", {}
    return "member", {"viewer_id": uid}


def thread_posts_rule(audience: str):
    """Posts listed on a thread page (placeholders included for removed ones), for one audience.

    The member's rule names its viewer as the bound parameter `viewer_id`, so the thread
    page can build its statements once and reuse them (board/forum/queries.py).
    """
    if audience == "staff":
        return Post.status.in_((PUBLISHED, PENDING, HIDDEN, DELETED, REMOVED))
    shown = Post.status.in_((PUBLISHED, *THREAD_PLACEHOLDER_STATUSES))
    if audience == "visitor":
        return shown
    return or_(shown, and_(Post.author_id == bindparam("viewer_id"), Post.status.in_((PENDING, REJECTED))))


def audience_reads_text(audience: str, status: str) -> bool:
    """`post_text_visible` for a reader of `audience` ("visitor", "member", "staff") who wrote none
    of the posts: what the shared part of a thread page shows (board/forum/shared_parts.py). A
    member's own pending, returned or hidden posts are hers alone, so a page holding any of
    them is not shared (`ThreadState.own_unpublished`)."""
    if status == PUBLISHED:
        return True
    return audience == "staff" and status in (PENDING, HIDDEN)


def public_posts(viewer: User | None):
    """Posts whose text may be shown outside their thread (profiles, search)."""
    uid = _viewer_id(viewer)
    if uid is None:
        return Post.status == PUBLISHED
    return or_(Post.status == PUBLISHED, and_(Post.author_id == uid, Post.status.in_((PENDING, HIDDEN, REJECTED))))


def post_text_visible(viewer: User | None, post: Post) -> bool:
    """May `viewer` read this post's words (not just its placeholder)?"""
    if post.status == PUBLISHED:
        return True
    if post.status in (DELETED, REMOVED):
        return False
    uid = _viewer_id(viewer)
    if uid is not None and post.author_id == uid:
        return True
    return is_staff(viewer) and post.status in (PENDING, HIDDEN)


def public_stories():
    """Stories anyone may read: published only (never drafts, pending, withdrawn…)."""
    return Story.status == PUBLISHED


def public_stories_of(author: User):
    """Stories listed on a member's profile: published and NOT anonymous.

    Anonymous means anonymous: nothing public connects an anonymous story to its author.
    """
    return and_(public_stories(), Story.author_id == author.id, Story.signature_style != "anonymous")


def can_see_story(viewer: User | None, story: Story) -> bool:
    if story.status == PUBLISHED:
        return True
    uid = _viewer_id(viewer)
    if uid is not None and story.author_id == uid:
        return True
    return is_staff(viewer) and story.status in (PENDING, HIDDEN, REJECTED, REMOVED)


# ---------------------------------------------------------------- private messages

def conversation_messages_rule():
    """Messages listed in a conversation to one of its members (`viewer_id` a bound parameter).

    Delivered ones, and placeholders for those hidden, removed or erased; her own messages
    whatever their state (held for review, not delivered). Never another member's held or
    refused message. Conversations themselves are seen only by their members
    (board.messages.services.conversation_view); no other page, search, feed or cache has them.
    """
    return or_(
        Message.status.in_((PUBLISHED, HIDDEN, REMOVED, DELETED)),
        and_(Message.author_id == bindparam("viewer_id"), Message.status.in_((PENDING, REJECTED))),
    )


def message_text_visible(viewer_id: int, message: Message) -> bool:
    """May this member of the conversation read the message's words (not a placeholder)?"""
    if message.author_id == viewer_id:
        return message.status != DELETED
    return message.status == PUBLISHED


# ---------------------------------------------------------------- search

def searchable_threads(viewer: User | None):
    """Thread titles search may return: published threads in topics the viewer may see.

    Search is stricter than listings: it never returns pending, hidden, rejected,
    removed or deleted content, not even to its author or to moderators (a results
    page is a list of quotes out of context, easily shared). Needs Thread and Topic
    in the FROM clause.
    """
    return and_(Thread.status == PUBLISHED, visible_topics(viewer))


def searchable_posts(viewer: User | None):
    """Posts search may quote: published posts in searchable threads (needs Post, Thread, Topic)."""
    return and_(Post.status == PUBLISHED, searchable_threads(viewer))


def searchable_stories(viewer: User | None):
    """Stories search may quote: the public ones. Anonymous ones are included, but
    search shows only their signature line, never their author."""
    return public_stories()


def nothing():
    return false()


# ---------------------------------------------------------------- pictures (board/media)

# A picture's own status, and who may see it in that status (its holder's rules apply too).
_IMAGE_OWNER_STATUSES = ("pending", "hidden", "rejected", "upload")
_IMAGE_STAFF_STATUSES = ("pending", "hidden", "rejected", "removed")


def image_status_visible(viewer: User | None, image) -> bool:
    """May `viewer` see a picture in its own status (ignoring where it is)?"""
    if image.status == PUBLISHED:
        return True
    uid = _viewer_id(viewer)
    if uid is not None and image.owner_id == uid and image.status in _IMAGE_OWNER_STATUSES:
        return True
    return is_staff(viewer) and image.status in _IMAGE_STAFF_STATUSES


def can_see_image(viewer: User | None, image, holder, *, in_conversation: bool = False) -> bool:
    """May `viewer` be sent this picture's file? Its status, then what holds it: a post the viewer
    may read (in a thread and topic she may see), a story she may read (never a withdrawn one),
    a message of a conversation she belongs to (`in_conversation`, looked up by the caller), a
    profile picture. Anything else (a picture not yet placed, a holder gone) only to its owner."""
    if not image_status_visible(viewer, image):
        return False
    kind = image.content_kind
    if kind == "avatar":
        return True
    if kind is None:
        return image.status == "upload" and _viewer_id(viewer) == image.owner_id
    if holder is None:
        return False
    if kind == "post":
        return can_see_thread(viewer, holder.thread) and post_text_visible(viewer, holder)
    if kind == "story":
        return holder.status != "withdrawn" and can_see_story(viewer, holder)
    if kind == "message":
        uid = _viewer_id(viewer)
        return uid is not None and in_conversation and message_text_visible(uid, holder)
    return False


def image_is_public(image, holder) -> bool:
    """Would a visitor with no account see it? Only then may shared caches keep the file."""
    if image.status != PUBLISHED:
        return False
    if image.content_kind == "avatar":
        return True
    if image.content_kind == "post" and holder is not None:
        thread = holder.thread
        return (holder.status == PUBLISHED and thread.status == PUBLISHED and not thread.topic.members_only)
    if image.content_kind == "story" and holder is not None:
        return holder.status == PUBLISHED
    return False
