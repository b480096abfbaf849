"""Private messages in the moderation queue: the messages package's adapter for `board.moderation.kinds`.

EVERYTHING the moderation queue does with a message is here. Registered as the "message"
kind when the messages blueprint is registered (board/messages/__init__.py). It is a
private kind (`private = True`): the queue's item page writes a `view_private` audit row on
each look, and queue lists show none of its text; `audit_data` names the message and its
conversation in every audit row about it.

What is different about messages:

* A moderator sees a message only through a queue item about it (a held message, a report,
  crisis wording): the item page shows that message and at most the two delivered messages
  before it (its card, `card_template`), nothing else of the conversation, and every look is an audit row
  (`view_private`, written by the item page). Queue lists show no message text at all
  (`place().excerpt` is empty), and there is no page that lists or opens conversations.
* "Publish" means deliver: the recipients see it (unread counts, notification, email).
* A delivered message can be kept, hidden (reports), restored or removed, but not edited or
  returned; a held one can be approved (delivered), returned ("not delivered", with the
  moderator's reason, to its author only), edited then delivered, or removed.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from board.domain import RuleViolation
from board.extensions import db
from board.markup import render_markdown
from board.models import DELETED, HIDDEN, PENDING, PUBLISHED, REJECTED, REMOVED, Message, User, utcnow
from board.models.message import MEMBER_ACTIVE, MEMBER_REQUEST
from board.moderation.kinds import Edit, ModeratedKind, Place, Undone
from board.notifications.services import notify


def _set_status(message: Message, status: str) -> None:
    message.status = status
    message.status_changed_at = utcnow()


class MessageKind(ModeratedKind):
    model = Message
    label = "message"
    plural = "messages"
    review_reason = "Held for review before delivery"
    returns_published = False  # a delivered message can't be taken back to its author
    edits_published = False
    card_template = "messages/_moderation_card.html"

    # ---------------------------------------------------------------- reading

    def load(self, ids: list[int]) -> dict[int, Message]:
        found = db.session.scalars(select(Message).where(Message.id.in_(ids))
                                   .options(selectinload(Message.author), selectinload(Message.conversation)))
        return {m.id: m for m in found}

    def author(self, target: Message) -> User | None:
        return target.author

    def author_id(self, target: Message) -> int | None:
        return target.author_id

    def topic_id(self, target: Message) -> int | None:
        return None

    def place(self, target: Message) -> Place:
        # No address (moderators can't open conversations) and no excerpt (lists never quote it).
        return Place(title="A private message", url="", excerpt="")

    def edit_fields(self, target: Message) -> tuple[str | None, str]:
        return None, target.body_source

    def status(self, target: Message) -> str:
        return target.status

    def is_gone(self, target: Message) -> bool:
        return target.status == DELETED  # her account was deleted: the text is gone

    def awaits_review(self, target: Message) -> bool:
        return target.status == PENDING

    def audit_refs(self, target: Message) -> dict:
        return {"target_user": target.author}

    def audit_data(self, target: Message) -> dict:
        """Which message, for the audit row (the audit log has no message column)."""
        return {"message_id": target.id, "conversation_id": target.conversation_id}

    def check_report(self, target: Message, reporter: User) -> None:
        """Only a member of the conversation it was delivered to, not its author, may report it."""
        from board.messages.services import membership

        if target.author_id == reporter.id:
            raise RuleViolation("You can't report your own message.", None)
        me = membership(reporter, target.conversation_id)
        if me is None or me.state not in (MEMBER_ACTIVE, MEMBER_REQUEST):
            raise RuleViolation("This can't be reported.", None)
        if target.status != PUBLISHED:
            if target.status == HIDDEN:
                raise RuleViolation("Thank you — this is already hidden while moderators review it.", None)
            raise RuleViolation("This can't be reported right now.", None)

    # Read only on the item page, each look audited (board/moderation/queue_views.py); queue lists
    # show no text of it (see templates/moderation/_content.html).
    private = True

    # ---------------------------------------------------------------- decisions

    def check_return(self, target: Message, pending: bool) -> None:
        if target.status != PENDING:
            raise RuleViolation("Only a message waiting for review can be returned.", None)

    def check_edit(self, target: Message, pending: bool, title, body: str):
        from board.messages.services import clean_body

        body = clean_body(body)
        if target.status != PENDING:
            raise RuleViolation("Only a message waiting for review can be edited.", None)
        return None, body

    def publish(self, target: Message, moderator: User) -> None:
        from board.messages.services import deliver

        if target.status != PENDING:
            raise RuleViolation("This message is no longer waiting for review.", None)
        _set_status(target, PUBLISHED)
        deliver(target)
        notify(target.author, "message_delivered", "A moderator looked at your message and it has been delivered.",
               url=f"/messages/{target.conversation_id}", actor=moderator)

    def return_to_author(self, target: Message, moderator: User, message: str) -> None:
        _set_status(target, REJECTED)
        target.moderator_note = message
        notify(target.author, "message_returned", f"Your message was not delivered. A moderator says: {message}",
               url=f"/messages/{target.conversation_id}", actor=moderator)

    def edit_and_publish(self, target: Message, moderator: User, title, body: str, note: str, pending: bool) -> Edit:
        from board.messages.services import deliver

        if target.original_source is None:
            target.original_source = target.body_source
        target.body_source = body
        target.body_html = render_markdown(body)
        _set_status(target, PUBLISHED)
        deliver(target)
        notify(target.author, "message_delivered", "Your message has been delivered. A moderator made a small edit "
               "first" + (f": {note}" if note else "."), url=f"/messages/{target.conversation_id}", actor=moderator)
        # The audit log's pages are read by every moderator: no private text in it. What she wrote
        # stays on the message (`original_source`) for undo and her own data download.
        return Edit(before="", after="", data={"text_kept_on_the_message": True})

    def remove(self, target: Message, moderator: User, note: str) -> None:
        _set_status(target, REMOVED)
        target.moderator_note = note or target.moderator_note
        notify(target.author, "message_removed", "A moderator removed your message" + (f": {note}" if note else ".")
               + " You can still read your own copy.", url=f"/messages/{target.conversation_id}", actor=moderator)

    def hide(self, target: Message) -> None:
        _set_status(target, HIDDEN)
        notify(target.author, "content_hidden", "A message you sent is hidden while moderators look at a report "
               "about it. Nothing is lost: you'll hear from us when they have looked.",
               url=f"/messages/{target.conversation_id}")

    def restore(self, target: Message, moderator: User) -> None:
        _set_status(target, PUBLISHED)
        notify(target.author, "content_restored", "Moderators looked at your message and it is visible again.",
               url=f"/messages/{target.conversation_id}", actor=moderator)

    def undo(self, target: Message, moderator: User, undone: Undone) -> None:
        from board.messages.services import undeliver

        if undone.action == "edit_approve" and target.original_source is not None:
            target.body_source = target.original_source
            target.body_html = render_markdown(target.original_source)
            target.original_source = None
        if undone.action == "reject":
            target.moderator_note = ""
        if target.status == PUBLISHED and undone.before_status == PENDING:
            undeliver(target)
        status = undone.before_status if undone.before_status in (PENDING, PUBLISHED, HIDDEN) else PENDING
        _set_status(target, status)

