"""Telling members about new messages without ever quoting them.

In-app: "New message from NAME" linking to the conversation. Email (each member's choice at
/settings/messages: each message, a daily summary, never): only "You have a new message from
NAME on Circle" and the link — never the text, whatever it says (mail is read on shared
screens and lock screens). Members who paused all notification email get none. Memorial,
deleted and unverified accounts get nothing (`notify`, `can_email`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from board.extensions import db
from board.models import ConversationMember, Message, MessagePreferences, NotificationSettings, User, utcnow
from board.models.message import MAIL_DAILY, MAIL_EACH, MAIL_NEVER, MEMBER_ACTIVE, MEMBER_REQUEST
from board.notifications.services import notify

DIGEST_INTERVAL = timedelta(hours=23)  # a little under a day, so a cron job a few seconds early still sends


def sender_name(message: Message) -> str:
    from board.messages.services import FORMER_MEMBER, MODERATORS_NAME

    if message.as_moderators:
        return MODERATORS_NAME
    author = message.author
    return author.public_name if author is not None and author.deleted_at is None else FORMER_MEMBER


def _mail_choice(user: User) -> tuple[str, bool]:
    prefs = db.session.get(MessagePreferences, user.id)
    paused = db.session.scalar(select(NotificationSettings.mail_paused).where(NotificationSettings.user_id == user.id))
    return (prefs.mail_mode if prefs is not None else MAIL_EACH), bool(paused)


def tell_recipient(user: User, message: Message, *, request: bool) -> None:
    name = sender_name(message)
    url = "/messages/requests" if request else f"/messages/{message.conversation_id}"
    if request:
        notify(user, "message_request", f"{name} would like to send you a message.", url=url)
    else:
        notify(user, "message", f"New message from {name}.", url=url,
               actor=None if message.as_moderators else message.author)
    mode, paused = _mail_choice(user)
    if mode == MAIL_EACH and not paused:
        _email_one(user, name, url)


def _email_one(user: User, name: str, url: str) -> None:
    from board.following.services import unsubscribe_url
    from board.mail import absolute_url, base_url, notify_by_email, render_mail

    stop_all = unsubscribe_url(user)
    body = render_mail("message", user=user, name=name, link=base_url() + url,
                       settings=absolute_url("messages.settings"), stop_all=stop_all)
    notify_by_email(user, f"You have a new message from {name} on Circle", body, "message",
                    list_unsubscribe=stop_all)


@dataclass
class SummaryReport:
    sent: int = 0
    empty: int = 0
    not_due: int = 0


def send_daily_summaries(now=None) -> SummaryReport:
    """`flask --app board mail send-digests` also runs this: one email a day at most to each member who
    chose a daily summary and has conversations with unread messages (or requests) since the last one,
    naming only who wrote. Safe to run as often as you like."""
    from board.following.services import unsubscribe_url
    from board.mail import absolute_url, can_email, notify_by_email, render_mail
    from board.messages.services import shown_name

    now = now or utcnow()
    report = SummaryReport()
    members = db.session.scalars(
        select(User).join(MessagePreferences, MessagePreferences.user_id == User.id)
        .where(MessagePreferences.mail_mode == MAIL_DAILY, User.deleted_at.is_(None), User.memorial_at.is_(None))
    )
    for user in list(members):
        prefs = db.session.get(MessagePreferences, user.id)
        last = prefs.last_digest_at
        if last is not None and now - last < DIGEST_INTERVAL:
            report.not_due += 1
            continue
        paused = db.session.scalar(select(NotificationSettings.mail_paused)
                                   .where(NotificationSettings.user_id == user.id))
        stmt = select(ConversationMember).where(
            ConversationMember.user_id == user.id,
            ((ConversationMember.state == MEMBER_ACTIVE) & (ConversationMember.unread_count > 0))
            | ((ConversationMember.state == MEMBER_REQUEST) & ConversationMember.last_activity_at.is_not(None)))
        if last is not None:
            stmt = stmt.where(ConversationMember.last_activity_at > last)
        waiting = list(db.session.scalars(stmt))
        if not waiting or paused or not can_email(user):
            report.empty += 1
            continue
        names: list[str] = []
        for member in waiting:
            for other_member, other in db.session.execute(
                select(ConversationMember, User).join(User, User.id == ConversationMember.user_id)
                .where(ConversationMember.conversation_id == member.conversation_id,
                       ConversationMember.user_id != user.id)
            ):
                name = shown_name(other_member, other, user.id)
                if name not in names:
                    names.append(name)
        # The conditional UPDATE makes two runs at once send one summary.
        claimed = db.session.execute(
            update(MessagePreferences).where(MessagePreferences.user_id == user.id,
                                             MessagePreferences.last_digest_at.is_(last) if last is None
                                             else MessagePreferences.last_digest_at == last)
            .values(last_digest_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        stop_all = unsubscribe_url(user)
        body = render_mail("message_summary", user=user, names=names, count=len(waiting),
                           link=absolute_url("messages.inbox"), settings=absolute_url("messages.settings"),
                           stop_all=stop_all)
        subject = "You have new messages on Circle" if len(names) != 1 else \
            f"You have a new message from {names[0]} on Circle"
        notify_by_email(user, subject, body, "message_summary", list_unsubscribe=stop_all)
        report.sent += 1
    db.session.flush()
    return report


__all__ = ["tell_recipient", "send_daily_summaries", "MAIL_NEVER"]
