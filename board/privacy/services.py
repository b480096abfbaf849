"""Members' control of their data, memorial accounts and members-only topics.

* `export_member_data(user) -> dict`: exactly the member's own data, never anyone
  else's private data (reports they made say what kind of thing they reported and
  its id, not its words; mutes name public usernames only).
* `delete_account(user, mode)`: mode "remove" takes their posts and stories down and
  erases their words; "keep" leaves published posts and stories up, signed "a former
  member". Either way the account row is kept only as an anonymous tombstone (so
  others' threads stay whole): username, email, password, profile, diagnosis answers,
  settings, follows and notifications are erased, sessions end, and the audit log
  records the deletion with counts only.
* `mark_memorial(admin, user, note, remove_content)`.

Services flush, never commit; the view commits once.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from board.auth.passwords import verify_password
from board.domain import RuleViolation
from board.extensions import db
from board.media import services as media
from board.models import (
    DELETED,
    PUBLISHED,
    REJECTED,
    REMOVED,
    DiagnosisProfile,
    MailMessage,
    ModerationItem,
    Notification,
    Post,
    PostRevision,
    Report,
    Sanction,
    Story,
    Thread,
    Topic,
    User,
    utcnow,
)
from board.gestures.services import erase_member as erase_gestures
from board.gestures.services import export_for as export_gestures
from board.permissions import PermissionDenied, is_admin

KEEP = "keep"
REMOVE = "remove"
DELETE_MODES = (KEEP, REMOVE)
FORMER_MEMBER = "a former member"
STORY_SIGNATURE = "A former member"
REMOVED_THREAD_TITLE = "A removed thread"


class PrivacyError(RuleViolation):
    """Something the member can fix (a wrong password, no choice made)."""


# ================================================================ export

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_member_data(user: User) -> dict:
    """Everything Circle holds that is the member's own, as plain JSON-ready values."""
    from board.models.profile import DIAGNOSIS_FIELDS
    from board.profile.choices import label

    data: dict = {
        "format": "circle-member-data/1",
        "exported_at": _iso(utcnow()),
        "account": {
            "username": user.username, "email": user.email, "role": user.role,
            "created_at": _iso(user.created_at), "email_verified_at": _iso(user.email_verified_at),
            "trust_level": user.trust_name,
        },
        "profile": {
            "display_name": user.display_name, "city": user.city, "region": user.region, "country": user.country,
            "identity": user.identity, "identity_label": user.identity_label, "bio": user.bio_source,
            "text_size": user.text_size,
        },
    }
    profile = db.session.get(DiagnosisProfile, user.id)
    if profile is None:
        data["diagnosis_profile"] = None
    else:
        data["diagnosis_profile"] = {
            name: {"value": getattr(profile, name), "label": label(name, getattr(profile, name)),
                   "audience": profile.audience(name)}
            for name in DIAGNOSIS_FIELDS
        }
        data["diagnosis_profile"]["updated_at"] = _iso(profile.updated_at)

    posts = db.session.execute(
        select(Post, Thread.title, Thread.author_id)
        .join(Thread, Post.thread_id == Thread.id)
        .where(Post.author_id == user.id).order_by(Post.id)
    ).all()
    revisions: dict[int, list] = {}
    post_ids = [p.id for p, _, _ in posts]
    if post_ids:
        for rev in db.session.scalars(
            select(PostRevision).where(PostRevision.post_id.in_(post_ids), PostRevision.editor_id == user.id)
            .order_by(PostRevision.id)
        ):
            revisions.setdefault(rev.post_id, []).append({"replaced_at": _iso(rev.created_at), "body": rev.body_source})
    data["posts"] = [
        {
            "id": p.id, "thread_id": p.thread_id,
            # A thread title is shown only for threads that are public or the member's own
            "thread_title": title if (thread_author == user.id or p.is_first) else None,
            "opening_post": p.is_first, "status": p.status, "created_at": _iso(p.created_at),
            "edited_at": _iso(p.edited_at), "body": p.body_source, "moderator_note": p.moderator_note,
            "earlier_versions": revisions.get(p.id, []),
        }
        for p, title, thread_author in posts
    ]
    # Titles of threads started by others that are public (so replies have context)
    other_threads = {p.thread_id for p, _, author in posts if author != user.id}
    if other_threads:
        public = dict(db.session.execute(
            select(Thread.id, Thread.title).join(Topic, Thread.topic_id == Topic.id)
            .where(Thread.id.in_(other_threads), Thread.status == PUBLISHED)
        ).all())
        for item in data["posts"]:
            if item["thread_title"] is None:
                item["thread_title"] = public.get(item["thread_id"])

    stories = db.session.scalars(select(Story).where(Story.author_id == user.id).order_by(Story.id))
    data["stories"] = [
        {
            "id": s.id, "status": s.status, "title": s.title, "body": s.body_source, "prompt": s.prompt,
            "themes": s.theme_slugs, "signature_style": s.signature_style, "signature": s.signature,
            "created_at": _iso(s.created_at), "submitted_at": _iso(s.submitted_at),
            "published_at": _iso(s.published_at), "withdrawn_at": _iso(s.withdrawn_at),
            "helped_count": s.helped_count, "moderator_note": s.moderator_note,
            "pending_edit": ({"title": s.pending_title, "body": s.pending_body_source}
                             if s.pending_body_source is not None or s.pending_title is not None else None),
        }
        for s in stories
    ]
    reports = db.session.execute(
        select(Report, ModerationItem.content_kind, ModerationItem.target_id)
        .join(ModerationItem, Report.item_id == ModerationItem.id)
        .where(Report.reporter_id == user.id).order_by(Report.id)
    ).all()
    data["reports_made"] = [
        {"reason": r.reason, "reason_label": r.reason_label, "note": r.note, "created_at": _iso(r.created_at),
         "about": {f"{content_kind}_id": target_id} if content_kind else {}}
        for r, content_kind, target_id in reports
    ]
    gestures = export_gestures(user)  # reactions given, bookmarks with their notes, drafts
    data["stories_that_helped_me"] = [r["story_id"] for r in gestures["reactions_given"]
                                      if r["reaction"] == "helped" and "story_id" in r]
    data.update(gestures)
    data["sanctions"] = [
        {"kind": s.kind, "reason": s.reason, "created_at": _iso(s.created_at), "ends_at": _iso(s.ends_at),
         "lifted_at": _iso(s.lifted_at)}
        for s in db.session.scalars(select(Sanction).where(Sanction.user_id == user.id).order_by(Sanction.id))
    ]
    data["notification_settings"] = _following_export(user)
    from board.messages.services import export_for as messages_export

    data["private_messages"] = messages_export(user)
    data["pictures"] = media.export_rows(user, with_data=True)  # the cleaned files, base64
    return data


def _following_export(user: User) -> dict | None:
    """Follows, mutes and mail settings, if the following feature is installed."""
    try:
        from board.models.following import Follow, Mute, NotificationSettings
    except ImportError:  # pragma: no cover - the feature isn't installed
        return None
    settings = db.session.get(NotificationSettings, user.id)
    follows = db.session.execute(
        select(Follow, Thread.title, Thread.status, Topic.slug)
        .outerjoin(Thread, Follow.thread_id == Thread.id)
        .outerjoin(Topic, Follow.topic_id == Topic.id)
        .where(Follow.user_id == user.id).order_by(Follow.id)
    ).all()
    muted = db.session.scalars(
        select(User.username).join(Mute, Mute.muted_user_id == User.id)
        .where(Mute.user_id == user.id, User.deleted_at.is_(None)).order_by(Mute.id)
    )
    return {
        "default_mode": settings.default_mode if settings else None,
        "mail_paused": settings.mail_paused if settings else False,
        "follows": [
            {"mode": f.mode, "created_at": _iso(f.created_at),
             **({"thread_id": f.thread_id, "thread_title": title if status == PUBLISHED else None}
                if f.thread_id else {"topic": slug})}
            for f, title, status, slug in follows
        ],
        "muted_members": list(muted),
    }


# ================================================================ deletion

def check_password(user: User, password: str) -> None:
    if not user.password_hash or not verify_password(user.password_hash, password or ""):
        raise PrivacyError("That isn't your password. Nothing has been deleted. Please try again.", "password")


def delete_own_account(user: User, password: str, mode: str) -> dict:
    """The member deletes their own account (the web: needs their password)."""
    check_password(user, password)
    return delete_account(user, mode)


def _names(user: User) -> list[str]:
    return [n for n in {user.username, user.display_name} if n and len(n) >= 2]


def _scrub(text: str, names: list[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w@]){re.escape(name)}(?!\w)", FORMER_MEMBER, text, flags=re.IGNORECASE)
        text = re.sub(rf"@{re.escape(name)}(?![\w-])", FORMER_MEMBER, text, flags=re.IGNORECASE)
    if text.startswith(FORMER_MEMBER):
        text = FORMER_MEMBER[0].upper() + text[1:]
    return text


def _erase_post(post: Post) -> None:
    post.body_source = ""
    post.body_html = ""
    post.moderator_note = ""


def _remove_posts(user: User) -> int:
    """Take every post of the member down through the forum's one status path (counters stay right)."""
    from board.forum.services import set_post_status

    posts = list(db.session.scalars(
        select(Post).where(Post.author_id == user.id).order_by(Post.id.desc())  # replies before openings
    ))
    count = 0
    for post in posts:
        if post.status not in (DELETED, REMOVED):
            set_post_status(post, DELETED)
            count += 1
        _erase_post(post)
    if posts:
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_([p.id for p in posts])))
    # Threads they started that are now gone from view lose their title too; threads
    # others replied to stay (their replies need them), with the opening post removed.
    for thread in db.session.scalars(select(Thread).where(Thread.author_id == user.id)):
        if thread.status != PUBLISHED:
            thread.title = REMOVED_THREAD_TITLE
            thread.slug = "removed"
    return count


def _erase_story(story: Story) -> None:
    story.title = ""
    story.body_source = ""
    story.body_html = ""
    story.prompt = ""
    story.moderator_note = ""
    _unsign_story(story)


def _unsign_story(story: Story) -> None:
    story.pending_title = None
    story.pending_body_source = None
    story.pending_body_html = None
    story.pending_signature = None
    story.pending_edit_returned = False
    story.sig_first_name = ""
    story.sig_last_initial = ""
    story.sig_city = ""
    story.sig_region = ""
    if story.signature_style != "anonymous":
        story.signature_style = "display"
        story.signature = STORY_SIGNATURE


def _remove_stories(user: User) -> int:
    from board.permissions import can_withdraw_story
    from board.stories import services as stories

    count = 0
    for story in db.session.scalars(select(Story).where(Story.author_id == user.id)):
        if can_withdraw_story(user, story):
            stories.withdraw_story(user, story)
            count += 1
        elif story.status not in ("withdrawn", "removed"):
            story.status = "withdrawn"
            story.withdrawn_at = utcnow()
        _erase_story(story)
    return count


def _keep_content(user: User) -> None:
    """Keep mode: public and waiting content stays, signed "a former member"; words only
    the member could ever see (returned posts, drafts, withdrawn or returned stories) go."""
    from board.forum.services import set_post_status

    for post in db.session.scalars(select(Post).where(Post.author_id == user.id, Post.status == REJECTED)):
        set_post_status(post, DELETED)
        _erase_post(post)
    for story in db.session.scalars(select(Story).where(Story.author_id == user.id)):
        if story.status in ("draft", "rejected", "withdrawn"):
            if story.status != "withdrawn":
                story.status = "withdrawn"
                story.withdrawn_at = utcnow()
            _erase_story(story)
        else:
            _unsign_story(story)


def _forget_activity(user: User, names: list[str]) -> None:
    """Settings, follows, notifications, mail and reactions of (and about) the member."""
    try:  # follows, mutes (both ways), notification settings, mention bookkeeping
        from board.following.services import forget_user
    except ImportError:  # pragma: no cover - the following feature isn't installed
        forget_user = None
    if forget_user is not None:
        forget_user(user)
    # Private messages: their text goes (others read "message removed", from "a former member"),
    # they leave every conversation, their blocks and message settings go.
    from board.messages.services import forget_user as forget_messages

    forget_messages(user)
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    # Others' notifications name the member ("alice replied…"): say "a former member" instead.
    for note in db.session.scalars(select(Notification).where(Notification.actor_id == user.id)):
        note.text = _scrub(note.text, names)
        note.actor_id = None
    if user.email:
        db.session.execute(delete(MailMessage).where(MailMessage.to_address == user.email))
    if names:
        clauses = [c for n in names for c in (MailMessage.subject.contains(n), MailMessage.body_text.contains(n))]
        for mail in db.session.scalars(select(MailMessage).where(or_(*clauses))):
            mail.subject = _scrub(mail.subject, names)
            mail.body_text = _scrub(mail.body_text, names)
    # Reactions go, and the posts' and stories' counts with them; bookmarks and drafts go too.
    erase_gestures(user)
    # Reports they made keep their reason (moderators may still need it), not their words.
    db.session.execute(update(Report).where(Report.reporter_id == user.id).values(note="")
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(DiagnosisProfile).where(DiagnosisProfile.user_id == user.id))


def _anonymize(user: User) -> None:
    user.username = f"~former-{user.id}"  # "~" is never allowed in a chosen username
    user.email = None
    user.email_verified_at = None
    user.password_hash = ""
    user.display_name = ""
    user.city = ""
    user.region = ""
    user.country = ""
    user.identity = ""
    user.bio_source = ""
    user.bio_html = ""
    user.text_size = "normal"
    user.suspension_reason = ""
    user.role = "member"
    user.rotate_session_token()  # every session and remember-me cookie ends


def delete_account(user: User, mode: str) -> dict:
    """Erase the member's personal data; `mode` decides what happens to their posts and stories.

    Returns the counts recorded in the audit log (no personal data).
    """
    from board.moderation.audit import audit

    if mode not in DELETE_MODES:
        raise PrivacyError("Please choose what should happen to your posts and stories.", "mode")
    if user.deleted_at is not None:
        raise PrivacyError("This account has already been deleted.", None)
    names = _names(user)
    if mode == REMOVE:
        posts = _remove_posts(user)
        stories = _remove_stories(user)
    else:
        _keep_content(user)
        posts = stories = 0
    db.session.flush()
    pictures = media.delete_member_images(user)  # in both modes: a photo can say who she was
    _forget_activity(user, names)
    _anonymize(user)
    user.deleted_at = utcnow()
    counts = {"mode": mode, "posts_removed": posts, "stories_removed": stories, "pictures_removed": pictures}
    audit(None, "account_deleted", target_user=user, data=counts)
    db.session.flush()
    return counts


# ================================================================ memorial accounts

def mark_memorial(admin: User, user: User, note: str, remove_content: bool = False) -> dict:
    """At the family's request: the account is kept in memory. It can't log in, gets no
    mail or notifications, and its posts and stories stay unless removal was asked for."""
    from board.markup import clean_text
    from board.moderation.audit import audit

    if not is_admin(admin):
        raise PermissionDenied("Only administrators can mark an account in memoriam.")
    if user.id == admin.id:
        raise PermissionDenied("You can't mark your own account in memoriam.")
    if user.deleted_at is not None:
        raise PrivacyError("This account has been deleted.", None)
    if user.memorial_at is not None:
        raise PrivacyError("This account is already in memoriam.", None)
    note = clean_text(note or "").strip()
    if not note:
        raise PrivacyError("Please add a note: who asked, and how (it goes in the audit log).", "note")
    posts = stories = 0
    if remove_content:
        posts, stories = _moderator_remove_content(user)
    user.memorial_at = utcnow()
    user.rotate_session_token()
    if user.email:  # nothing waiting in the outbox goes to them either
        db.session.execute(delete(MailMessage).where(MailMessage.to_address == user.email,
                                                     MailMessage.sent_at.is_(None)))
    counts = {"posts_removed": posts, "stories_removed": stories}
    audit(admin, "memorial", target_user=user, reason=note[:2000], data=counts)
    db.session.flush()
    return counts


def _moderator_remove_content(user: User) -> tuple[int, int]:
    from board.forum.services import set_post_status
    from board.stories import services as stories

    posts = 0
    for post in db.session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id.desc())):
        if post.status not in (DELETED, REMOVED):
            set_post_status(post, REMOVED)
            posts += 1
    count = 0
    for story in db.session.scalars(select(Story).where(Story.author_id == user.id)):
        if story.status in ("pending", "published", "hidden"):
            stories.remove_story(story, None, "Removed at the family's request.")
            count += 1
    return posts, count


# ================================================================ members-only topics

def set_members_only(admin: User, topic: Topic, members_only: bool) -> bool:
    """Make a topic visible to logged-in members only (or to everyone). Audited."""
    from board.moderation.audit import audit

    if not is_admin(admin):
        raise PermissionDenied("Only administrators can change who can see a topic.")
    members_only = bool(members_only)
    if topic.members_only == members_only:
        return False
    topic.members_only = members_only
    audit(admin, "members_only_on" if members_only else "members_only_off", data={"topic": topic.slug})
    db.session.flush()
    return True
