"""Private messages: who may write to whom, requests, sending, delivery, reading, blocking.

Services take the acting member, check the rules, change state, `flush()` and return;
the view commits once. Permission decisions are in `board.permissions`
(`can_start_conversation_with`, `may_write_in_conversation`), what a member sees of a
conversation in `board.visibility` (`conversation_messages_rule`).

The rules, in short:

* A conversation has two to six members. Its first message to someone who has never talked
  with the sender is a **request**: she sees the sender's profile summary and the message,
  and accepts, declines or reports. Until someone accepts, the sender can't write more; a
  declined sender reads only "not delivered".
* Every message is screened like a post (`moderation.screen(..., "message")`): a watched
  phrase or (below trust level 2) a link holds it for a moderator (`pending`), and the
  recipients see it only once approved (`deliver`). Crisis wording: delivered, urgent for
  moderators, and the sender sees where to get help.
* Refusals that would tell the sender something about the recipient (unknown, blocked, her
  settings, yourself) all read the same: `CANT_SEND`.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, delete, exists, func, literal, or_, select, update
from sqlalchemy.orm import aliased

from board.domain import RuleViolation
from board.extensions import db
from board.markup import clean_text, render_markdown
from board.media import services as media
from board.models import (
    DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Block, Conversation, ConversationMember, Message,
    MessagePreferences, ModerationItem, Notification, User, utcnow,
)
from board.models.base import as_utc
from board.models.message import (
    MAIL_EACH, MAIL_MODES, MAX_MEMBERS, MEMBER_ACTIVE, MEMBER_DECLINED, MEMBER_LEFT, MEMBER_REQUEST, WHO_MAY_WRITE,
    WRITE_MEMBERS,
)
from board.limits import MESSAGE_BODY_MAX
from board.moderation import intake as moderation
from board.moderation.audit import audit
from board.moderation.rules import BLOCK
from board.permissions import (
    PermissionDenied, can_start_conversation_with, is_moderator, may_write_in_conversation, require_can_post,
)
from board.visibility import conversation_messages_rule

BODY_MAX = MESSAGE_BODY_MAX
PER_PAGE = 30
INBOX_PER_PAGE = 25
CANT_SEND = ("We can't send a message to that member. Your message is below, so you can keep it.")
MODERATORS_NAME = "Circle moderators"
FORMER_MEMBER = "a former member"


def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def new_per_day() -> int:
    return int(_config("BOARD_MESSAGES_NEW_PER_DAY", 10))


# ================================================================ preferences and blocks

def preferences(user: User) -> MessagePreferences | None:
    return db.session.get(MessagePreferences, user.id)


def who_may_write(user: User) -> str:
    found = preferences(user)
    return found.who_may_write if found is not None else WRITE_MEMBERS


def mail_mode(user: User) -> str:
    found = preferences(user)
    return found.mail_mode if found is not None else MAIL_EACH


def set_preferences(user: User, who: str, mail: str) -> MessagePreferences:
    if who not in WHO_MAY_WRITE:
        raise RuleViolation("Please choose who may write to you.", "who_may_write")
    if mail not in MAIL_MODES:
        raise RuleViolation("Please choose how you hear about new messages.", "mail_mode")
    found = preferences(user)
    if found is None:
        found = MessagePreferences(user_id=user.id)
        db.session.add(found)
    found.who_may_write = who
    found.mail_mode = mail
    db.session.flush()
    return found


def blocked_either_way(a_id: int, b_id: int) -> bool:
    return db.session.scalar(select(Block.id).where(or_(
        and_(Block.user_id == a_id, Block.blocked_user_id == b_id),
        and_(Block.user_id == b_id, Block.blocked_user_id == a_id),
    )).limit(1)) is not None


def has_blocked(user: User | None, other: User) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(
        select(Block.id).where(Block.user_id == user.id, Block.blocked_user_id == other.id)) is not None


def blockers_of(author_id: int | None, among=None) -> set[int]:
    """Members who blocked `author_id` (optionally only among `among`)."""
    if author_id is None:
        return set()
    stmt = select(Block.user_id).where(Block.blocked_user_id == author_id)
    if among is not None:
        stmt = stmt.where(Block.user_id.in_(list(among)))
    return set(db.session.scalars(stmt))


def toggle_block(user: User, other: User) -> bool:
    """Block `other` (True) or unblock (False). They are never told."""
    if other.id == user.id:
        raise RuleViolation("You can't block yourself.", None)
    existing = db.session.scalar(select(Block).where(Block.user_id == user.id, Block.blocked_user_id == other.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        return False
    if other.is_staff:
        raise RuleViolation("Moderators can't be blocked, so that they can always reach you. If a moderator's "
                            "message worries you, please report it.", None)
    db.session.add(Block(user_id=user.id, blocked_user_id=other.id, created_at=utcnow()))
    db.session.flush()
    return True


def blocks_of(user: User) -> list[Block]:
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Block).where(Block.user_id == user.id).options(joinedload(Block.blocked_user)).order_by(Block.id)))


def talked_before(a_id: int, b_id: int) -> bool:
    """Both were members (not a pending or declined request) of a conversation with a delivered message."""
    mine, theirs = aliased(ConversationMember), aliased(ConversationMember)
    return db.session.scalar(
        select(mine.id).join(theirs, theirs.conversation_id == mine.conversation_id)
        .join(Conversation, Conversation.id == mine.conversation_id)
        .where(mine.user_id == a_id, theirs.user_id == b_id, mine.state.in_((MEMBER_ACTIVE, MEMBER_LEFT)),
               theirs.state.in_((MEMBER_ACTIVE, MEMBER_LEFT)), Conversation.message_count > 0).limit(1)
    ) is not None


def may_start_with(sender: User, recipient: User | None) -> bool:
    if recipient is None:
        return False
    return can_start_conversation_with(
        sender, recipient, who_may_write=who_may_write(recipient),
        blocked=blocked_either_way(sender.id, recipient.id), known=talked_before(sender.id, recipient.id),
    )


# ================================================================ writing

def clean_body(body: str | None) -> str:
    body = clean_text(body).strip()
    if not body:
        raise RuleViolation("Please write a message before sending.", "body")
    if len(body) > BODY_MAX:
        raise RuleViolation(f"Your message is {len(body):,} characters long; the limit is {BODY_MAX:,}. "
                            "Please shorten it or send it in two parts.", "body")
    return body


def parse_recipients(value: str | None) -> list[str]:
    names = []
    for part in clean_text(value or "").replace(";", ",").replace("\n", ",").split(","):
        name = part.strip().lstrip("@").lower()
        if name and name not in names:
            names.append(name)
    return names


def _screen(author: User, body: str):
    verdict = moderation.screen(author, body, "message", {})
    if verdict.action == BLOCK:
        raise RuleViolation((verdict.message or "Your message includes wording that isn't allowed here.")
                            .replace("Your post", "Your message").replace("post again", "send it again"), "body")
    return verdict


def _new_message(conversation: Conversation, author: User, body: str, *, as_moderators: bool = False,
                 verdict=None) -> Message:
    status = PUBLISHED if verdict is None else moderation.status_for(verdict)
    message = Message(conversation_id=conversation.id, author_id=author.id, body_source=body,
                      body_html=render_markdown(body), status=status, as_moderators=as_moderators,
                      created_at=utcnow())
    message.conversation = conversation
    message.author = author
    db.session.add(message)
    db.session.flush()
    if verdict is not None:
        moderation.after_write(author=author, verdict=verdict, target=message)
    return message


def started_today(user: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.created_by_id == user.id, Conversation.created_at >= now - timedelta(days=1),
        Conversation.from_moderators.is_(False))) or 0


def start_conversation(sender: User, recipients: str | list[str], body: str, *, images=()) -> Message:
    """Start a conversation with one to five others; returns its first message. `images`: accepted
    pictures (board.media.services.collect), seen only by the conversation's members."""
    require_can_post(sender)
    names = parse_recipients(recipients) if isinstance(recipients, str) else list(recipients)
    if not names:
        raise RuleViolation("Please say who the message is for.", "to")
    if len(names) > MAX_MEMBERS - 1:
        raise RuleViolation(f"A conversation can have up to {MAX_MEMBERS} people: you and up to "
                            f"{MAX_MEMBERS - 1} others.", "to")
    body = clean_body(body)
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    others = []
    for name in names:
        user = users.get(name)
        if user is None or not may_start_with(sender, user):
            raise RuleViolation(CANT_SEND, "to")
        others.append(user)
    if not is_moderator(sender) and started_today(sender) >= new_per_day():
        raise RuleViolation(f"You can start up to {new_per_day()} new conversations a day, and you've reached "
                            "that for today. You can still answer your conversations. Your message is below.", "to")
    verdict = _screen(sender, body)
    now = utcnow()
    conversation = Conversation(created_by_id=sender.id, created_at=now)
    db.session.add(conversation)
    db.session.flush()
    db.session.add(ConversationMember(conversation_id=conversation.id, user_id=sender.id, state=MEMBER_ACTIVE,
                                      joined_at=now, last_activity_at=now))
    for user in others:
        state = MEMBER_ACTIVE if talked_before(sender.id, user.id) else MEMBER_REQUEST
        db.session.add(ConversationMember(conversation_id=conversation.id, user_id=user.id, state=state,
                                          joined_at=now))
    db.session.flush()
    message = _new_message(conversation, sender, body, verdict=verdict)
    media.attach(sender, list(images), "message", message.id)
    _mark_own(conversation, sender, message)
    if message.status == PUBLISHED:
        deliver(message)
    db.session.flush()
    return message


def members_of(conversation: Conversation) -> list[ConversationMember]:
    return list(db.session.scalars(select(ConversationMember).where(
        ConversationMember.conversation_id == conversation.id).order_by(ConversationMember.id)))


def membership(user: User, conversation_id: int) -> ConversationMember | None:
    return db.session.scalar(select(ConversationMember).where(
        ConversationMember.conversation_id == conversation_id, ConversationMember.user_id == user.id))


def why_cannot_reply(me: ConversationMember, members: list[ConversationMember], user: User) -> str | None:
    """None when `user` may write in this conversation now; otherwise what she is told."""
    conversation = me.conversation
    if me.state != MEMBER_ACTIVE:
        return "You're no longer in this conversation."
    reason = may_write_in_conversation(user, from_moderators=conversation.from_moderators)
    if reason:
        return reason
    others = [m for m in members if m.user_id != user.id]
    if any(m.state == MEMBER_ACTIVE for m in others):
        return None
    if any(m.state == MEMBER_REQUEST for m in others):
        return ("Your first message is waiting to be accepted. You can write again once it is. "
                "Nothing more is sent meanwhile.")
    return "Not delivered. This conversation has ended, so nothing more can be sent."


def reply(sender: User, conversation: Conversation, body: str, *, images=()) -> Message:
    me = membership(sender, conversation.id)
    if me is None:
        raise PermissionDenied("You're not in this conversation.")
    reason = why_cannot_reply(me, members_of(conversation), sender)
    if reason:
        raise PermissionDenied(reason)
    body = clean_body(body)
    as_moderators = me.as_moderators
    # The moderators' own words to a member are not screened (they quote crisis wording to help).
    verdict = None if as_moderators else _screen(sender, body)
    message = _new_message(conversation, sender, body, as_moderators=as_moderators, verdict=verdict)
    media.attach(sender, list(images), "message", message.id)
    _mark_own(conversation, sender, message)
    if message.status == PUBLISHED:
        deliver(message)
    db.session.flush()
    return message


def _mark_own(conversation: Conversation, sender: User, message: Message) -> None:
    """The sender's side: the conversation moves up her inbox and her own message counts as read."""
    db.session.execute(
        update(ConversationMember).where(ConversationMember.conversation_id == conversation.id,
                                         ConversationMember.user_id == sender.id)
        .values(last_activity_at=message.created_at, archived=False, unread_count=0,
                last_read_message_id=message.id).execution_options(synchronize_session=False))


def deliver(message: Message) -> None:
    """A message became visible to the conversation's other members (sent, or approved by a moderator):
    their unread counts, inbox order, in-app notification and email (never the text). A member who
    blocked the author, a memorial or deleted account, or one who left or declined, gets nothing."""
    from board.messages.notices import tell_recipient

    conversation = message.conversation
    now = utcnow()
    conversation.message_count = (conversation.message_count or 0) + 1
    conversation.last_message_at = now
    rows = db.session.execute(
        select(ConversationMember, User).join(User, User.id == ConversationMember.user_id)
        .where(ConversationMember.conversation_id == conversation.id,
               ConversationMember.user_id != (message.author_id or 0),
               ConversationMember.state.in_((MEMBER_ACTIVE, MEMBER_REQUEST)))
    ).all()
    blockers = blockers_of(message.author_id, [m.user_id for m, _ in rows])
    for member, user in rows:
        if user.id in blockers or user.deleted_at is not None or user.memorial_at is not None:
            continue
        first_request = member.state == MEMBER_REQUEST and member.last_activity_at is None
        member.last_activity_at = now
        if member.state == MEMBER_ACTIVE:
            member.unread_count = (member.unread_count or 0) + 1
            member.archived = False
            tell_recipient(user, message, request=False)
        elif first_request:
            tell_recipient(user, message, request=True)
    db.session.flush()


def undeliver(message: Message) -> None:
    """A delivered message went back (a moderator's undo): counts only; notifications already sent stay."""
    conversation = message.conversation
    conversation.message_count = max((conversation.message_count or 0) - 1, 0)
    db.session.execute(
        update(ConversationMember).where(ConversationMember.conversation_id == conversation.id,
                                         ConversationMember.user_id != (message.author_id or 0),
                                         ConversationMember.unread_count > 0,
                                         ConversationMember.last_read_message_id < message.id)
        .values(unread_count=ConversationMember.unread_count - 1).execution_options(synchronize_session=False))


# ================================================================ requests, leaving, archiving

def _request_of(user: User, conversation_id: int) -> ConversationMember:
    me = membership(user, conversation_id)
    if me is None or me.state != MEMBER_REQUEST or me.last_activity_at is None:
        raise PermissionDenied("There is no such message request.")
    return me


def accept_request(user: User, conversation_id: int) -> ConversationMember:
    me = _request_of(user, conversation_id)
    me.state = MEMBER_ACTIVE
    delivered = db.session.scalar(select(func.count(Message.id)).where(
        Message.conversation_id == conversation_id, Message.status == PUBLISHED,
        Message.author_id != user.id)) or 0
    me.unread_count = delivered
    me.archived = False
    db.session.flush()
    return me


def decline_request(user: User, conversation_id: int) -> ConversationMember:
    """She says no. The sender is told nothing but "not delivered" (on the conversation's page)."""
    me = _request_of(user, conversation_id)
    me.state = MEMBER_DECLINED
    me.unread_count = 0
    db.session.flush()
    return me


def leave(user: User, conversation_id: int) -> ConversationMember:
    me = membership(user, conversation_id)
    if me is None or me.state != MEMBER_ACTIVE:
        raise PermissionDenied("You're not in this conversation.")
    me.state = MEMBER_LEFT
    me.unread_count = 0
    db.session.flush()
    return me


def toggle_archive(user: User, conversation_id: int) -> bool:
    me = membership(user, conversation_id)
    if me is None or me.state != MEMBER_ACTIVE:
        raise PermissionDenied("You're not in this conversation.")
    me.archived = not me.archived
    db.session.flush()
    return me.archived


# ================================================================ moderators reach out

def moderator_outreach(moderator: User, item: ModerationItem, body: str) -> Message:
    """From a crisis item or a report: a conversation from "Circle moderators" to the member the item
    is about. It skips her "who may write" setting and the request step; she can answer. Which
    moderator wrote is in the audit log (and visible to that moderator only, as a member of it)."""
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators can do that.")
    member = outreach_member(item)
    if member is None or member.deleted_at is not None or member.memorial_at is not None:
        raise RuleViolation("There is no member to write to for this item.", None)
    if member.id == moderator.id:
        raise PermissionDenied("This item is about you; another moderator will reach out.")
    body = clean_body(body)
    now = utcnow()
    conversation = Conversation(created_by_id=moderator.id, created_at=now, from_moderators=True)
    db.session.add(conversation)
    db.session.flush()
    db.session.add(ConversationMember(conversation_id=conversation.id, user_id=moderator.id, state=MEMBER_ACTIVE,
                                      as_moderators=True, joined_at=now, last_activity_at=now))
    db.session.add(ConversationMember(conversation_id=conversation.id, user_id=member.id, state=MEMBER_ACTIVE,
                                      joined_at=now))
    db.session.flush()
    message = _new_message(conversation, moderator, body, as_moderators=True)
    _mark_own(conversation, moderator, message)
    deliver(message)
    audit(moderator, "message_member", item=item, target_user=member, data={"conversation_id": conversation.id})
    db.session.flush()
    return message


def outreach_member(item: ModerationItem) -> User | None:
    if item.kind not in ("crisis", "report") and item.priority < 2:
        return None
    return item.subject_user or item.user


# ================================================================ reading: names

def shown_name(member: ConversationMember | None, user: User | None, viewer_id: int) -> str:
    """How a member of a conversation is named to `viewer_id`."""
    if member is not None and member.as_moderators and member.user_id != viewer_id:
        return MODERATORS_NAME
    if user is None or user.deleted_at is not None:
        return FORMER_MEMBER
    return user.public_name


def author_name(message: Message, author: User | None, viewer_id: int) -> str:
    if message.as_moderators:
        return "You, as Circle moderators" if message.author_id == viewer_id else MODERATORS_NAME
    if author is None or author.deleted_at is not None:
        return FORMER_MEMBER
    return "You" if author.id == viewer_id else author.public_name


# ================================================================ reading: the inbox

@dataclass
class InboxRow:
    conversation: Conversation
    me: ConversationMember
    others: list[tuple[ConversationMember, User]] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return self.me.unread_count or 0


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    archived: bool


class BadCursor(ValueError):
    pass


def _encode_cursor(at: datetime, conversation_id: int) -> str:
    raw = f"{as_utc(at).isoformat()}|{conversation_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        if len(cursor) > 100:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, cid = raw.partition("|")
        if not (cid.isascii() and cid.isdigit()) or len(cid) > 12:
            raise ValueError
        return as_utc(datetime.fromisoformat(at)), int(cid)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc


def inbox(user: User, cursor: str | None = None, *, archived: bool = False,
          per_page: int = INBOX_PER_PAGE) -> InboxPage:
    """Her conversations, newest activity first, keyset-paginated on (last_activity_at, id) with
    ix_conversation_members_inbox: two queries however many conversations she has."""
    stmt = (
        select(ConversationMember, Conversation).join(Conversation, Conversation.id == ConversationMember.conversation_id)
        .where(ConversationMember.user_id == user.id, ConversationMember.state == MEMBER_ACTIVE,
               ConversationMember.archived == archived,  # "= false", not "IS false": usable by the index
               ConversationMember.last_activity_at.is_not(None))
    )
    if cursor:
        at, cid = _decode_cursor(cursor)
        stmt = stmt.where(or_(ConversationMember.last_activity_at < at,
                              and_(ConversationMember.last_activity_at == at,
                                   ConversationMember.conversation_id < cid)))
    rows = db.session.execute(stmt.order_by(ConversationMember.last_activity_at.desc(),
                                            ConversationMember.conversation_id.desc()).limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    page = [InboxRow(conversation=c, me=m) for m, c in rows]
    by_id = {r.conversation.id: r for r in page}
    if by_id:
        for member, other in db.session.execute(
            select(ConversationMember, User).join(User, User.id == ConversationMember.user_id)
            .where(ConversationMember.conversation_id.in_(list(by_id)), ConversationMember.user_id != user.id)
            .order_by(ConversationMember.id)
        ):
            by_id[member.conversation_id].others.append((member, other))
    next_cursor = _encode_cursor(page[-1].me.last_activity_at, page[-1].conversation.id) if more else None
    return InboxPage(rows=page, next_cursor=next_cursor, archived=archived)


@dataclass
class Request:
    conversation: Conversation
    me: ConversationMember
    sender: User | None
    message: Message | None


def requests_for(user: User, limit: int = 50) -> list[Request]:
    """Message requests waiting for her: the sender and the first message (three queries)."""
    rows = db.session.execute(
        select(ConversationMember, Conversation).join(Conversation, Conversation.id == ConversationMember.conversation_id)
        .where(ConversationMember.user_id == user.id, ConversationMember.state == MEMBER_REQUEST,
               ConversationMember.last_activity_at.is_not(None))
        .order_by(ConversationMember.last_activity_at.desc(), ConversationMember.conversation_id.desc()).limit(limit)
    ).all()
    if not rows:
        return []
    ids = [c.id for _, c in rows]
    first_ids = select(func.min(Message.id)).where(Message.conversation_id.in_(ids),
                                                   Message.status == PUBLISHED).group_by(Message.conversation_id)
    firsts = {m.conversation_id: m for m in db.session.scalars(select(Message).where(Message.id.in_(first_ids)))}
    sender_ids = {c.created_by_id for _, c in rows if c.created_by_id}
    senders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sender_ids)))} if sender_ids else {}
    return [Request(conversation=c, me=m, sender=senders.get(c.created_by_id), message=firsts.get(c.id))
            for m, c in rows]


# ================================================================ reading: one conversation

@dataclass
class ConversationView:
    conversation: Conversation
    me: ConversationMember
    members: list[tuple[ConversationMember, User]]
    messages: list[Message]
    earlier: int | None  # ?before= for the page before (None: this is the first page)
    later: int | None  # ?after= for the page after (None: this is the newest page)
    first_unread_id: int | None
    header: tuple[int, int, int]  # unread notifications, conversations with unread messages, requests

    def name_of(self, user_id: int | None) -> str:
        for member, user in self.members:
            if member.user_id == user_id:
                return shown_name(member, user, self.me.user_id)
        return FORMER_MEMBER

    def user_of(self, user_id: int | None) -> User | None:
        return next((u for m, u in self.members if m.user_id == user_id), None)

    @property
    def others(self) -> list[tuple[ConversationMember, User]]:
        return [(m, u) for m, u in self.members if m.user_id != self.me.user_id]

    @property
    def title(self) -> str:
        return ", ".join(shown_name(m, u, self.me.user_id) for m, u in self.others) or "only you"


def _header_columns(viewer_id: int):
    from board.notifications.services import header_count_columns

    return header_count_columns(literal(viewer_id))


def conversation_view(user: User, conversation_id: int, *, before: int | None = None, after: int | None = None,
                      per_page: int = PER_PAGE) -> ConversationView | None:
    """The conversation as `user` sees it, or None when she isn't an active member (a 404).

    Three queries (the members with their users and the conversation, the header's counts riding
    along; one page of messages; marking it read when something was unread), all on indexes, so
    the 10,000th conversation costs what the first does. Messages oldest first; without a cursor,
    the newest page (the one holding the newest unread message).
    """
    blocked = exists().where(Block.user_id == user.id, Block.blocked_user_id == ConversationMember.user_id)
    rows = db.session.execute(
        select(ConversationMember, User, Conversation, blocked.label("blocked"), *_header_columns(user.id))
        .join(User, User.id == ConversationMember.user_id)
        .join(Conversation, Conversation.id == ConversationMember.conversation_id)
        .where(ConversationMember.conversation_id == conversation_id)
        .order_by(ConversationMember.id)
    ).all()
    me = next((r[0] for r in rows if r[0].user_id == user.id), None)
    if me is None or me.state != MEMBER_ACTIVE:
        return None
    conversation = rows[0][2]
    header = tuple(rows[0][4:7])
    blocked_ids = [r[0].user_id for r in rows if r[3]]
    rule = conversation_messages_rule()
    stmt = select(Message).where(Message.conversation_id == conversation_id, rule)
    if blocked_ids:
        stmt = stmt.where(or_(Message.author_id.is_(None), Message.author_id.not_in(blocked_ids)))
    if after is not None:
        found = list(db.session.scalars(stmt.where(Message.id > after).order_by(Message.id).limit(per_page + 1),
                                        {"viewer_id": user.id}))
        more_later = len(found) > per_page
        messages = found[:per_page]
        earlier = messages[0].id if messages else None
        later = messages[-1].id if more_later and messages else None
    else:
        if before is not None:
            stmt = stmt.where(Message.id < before)
        found = list(db.session.scalars(stmt.order_by(Message.id.desc()).limit(per_page + 1), {"viewer_id": user.id}))
        more_earlier = len(found) > per_page
        messages = list(reversed(found[:per_page]))
        earlier = messages[0].id if more_earlier and messages else None
        later = messages[-1].id if before is not None and messages else None
    for message in messages:
        message.conversation = conversation
    first_unread = next((m.id for m in messages if m.id > (me.last_read_message_id or 0)
                         and m.author_id != user.id and m.status == PUBLISHED), None)
    if (me.unread_count or 0) > 0 and later is None:
        newest = max([m.id for m in messages] + [me.last_read_message_id or 0])
        db.session.execute(update(ConversationMember).where(ConversationMember.id == me.id)
                           .values(unread_count=0, last_read_message_id=newest)
                           .execution_options(synchronize_session=False))
        header = (header[0], max(header[1] - 1, 0), header[2])
    return ConversationView(
        conversation=conversation, me=me, members=[(r[0], r[1]) for r in rows], messages=messages,
        earlier=earlier, later=later, first_unread_id=first_unread, header=header,
    )


def message_for_report(user: User, message_id: int) -> Message | None:
    """A message `user` may report: delivered to her, in a conversation she is an active member of, not hers."""
    message = db.session.get(Message, message_id)
    if message is None or message.author_id == user.id:
        return None
    me = membership(user, message.conversation_id)
    if me is None or me.state not in (MEMBER_ACTIVE, MEMBER_REQUEST):
        return None
    if message.status not in (PUBLISHED, HIDDEN):
        return None
    if message.author_id is not None and has_blocked(user, message.author) and me.state == MEMBER_ACTIVE:
        return None
    return message


def report_message(reporter: User, message: Message, reason: str, note: str = ""):
    return moderation.report_content(reporter, reason, note, target=message)


def previous_messages(message: Message, limit: int = 2) -> list[Message]:
    """At most `limit` delivered messages just before `message` in its conversation (moderators' context)."""
    found = db.session.scalars(
        select(Message).where(Message.conversation_id == message.conversation_id, Message.id < message.id,
                              Message.status.in_((PUBLISHED, HIDDEN)))
        .order_by(Message.id.desc()).limit(limit))
    return list(reversed(list(found)))


# ================================================================ data export and account deletion

def export_for(user: User) -> dict:
    """Her own messages and conversations (who with, by public name), her settings and blocks.
    Not what others wrote to her: that is their data."""
    found = preferences(user)
    memberships = db.session.execute(
        select(ConversationMember, Conversation).join(Conversation, Conversation.id == ConversationMember.conversation_id)
        .where(ConversationMember.user_id == user.id).order_by(ConversationMember.conversation_id)
    ).all()
    ids = [c.id for _, c in memberships]
    others: dict[int, list[str]] = {}
    if ids:
        for member, other in db.session.execute(
            select(ConversationMember, User).join(User, User.id == ConversationMember.user_id)
            .where(ConversationMember.conversation_id.in_(ids), ConversationMember.user_id != user.id)
            .order_by(ConversationMember.id)
        ):
            others.setdefault(member.conversation_id, []).append(shown_name(member, other, user.id))
    messages = db.session.scalars(select(Message).where(Message.author_id == user.id).order_by(Message.id))
    return {
        "who_may_write": found.who_may_write if found else WRITE_MEMBERS,
        "email": found.mail_mode if found else MAIL_EACH,
        "blocked_members": [b.blocked_user.username for b in blocks_of(user) if b.blocked_user.deleted_at is None],
        "conversations": [
            {"id": c.id, "started_at": c.created_at.isoformat(), "with": others.get(c.id, []), "your_state": m.state}
            for m, c in memberships
        ],
        "messages_you_wrote": [
            {"conversation_id": m.conversation_id, "sent_at": m.created_at.isoformat(), "status": m.status,
             "body": m.body_source, "moderator_note": m.moderator_note,
             **({"what_you_wrote_before_a_moderator_edited_it": m.original_source} if m.original_source else {})}
            for m in messages
        ],
    }


def forget_user(user: User) -> int:
    """Account deletion: the text of every message she wrote is removed (others read "message
    removed", signed "a former member"), she leaves every conversation, her blocks and settings go.
    Returns the number of messages erased."""
    count = db.session.execute(
        update(Message).where(Message.author_id == user.id)
        .values(body_source="", body_html="", moderator_note="", original_source=None, status=DELETED,
                status_changed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount or 0
    db.session.execute(
        update(ConversationMember).where(ConversationMember.user_id == user.id, ConversationMember.state != MEMBER_DECLINED)
        .values(state=MEMBER_LEFT, unread_count=0).execution_options(synchronize_session=False))
    for model, column in ((Block, Block.user_id), (Block, Block.blocked_user_id),
                          (MessagePreferences, MessagePreferences.user_id)):
        db.session.execute(delete(model).where(column == user.id).execution_options(synchronize_session=False))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id, Notification.kind.in_(
        ("message", "message_request"))).execution_options(synchronize_session=False))
    db.session.flush()
    return count


__all__ = [
    "CANT_SEND", "start_conversation", "reply", "deliver", "accept_request", "decline_request", "leave",
    "toggle_block", "inbox", "conversation_view", "requests_for", "moderator_outreach", "export_for", "forget_user",
    "HIDDEN", "REMOVED", "REJECTED", "PENDING",
]
