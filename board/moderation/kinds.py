"""The contract between the moderation queue and each kind of moderated content.

The queue (board/moderation) knows no kind of content by name. Each content
package (forum: "post", stories: "story", later messages and images) writes one
adapter, a subclass of `ModeratedKind`, and registers it when its blueprint is
registered::

    @bp.record_once
    def _register_kind(state):
        register_kind("post", PostKind(), app=state.app)

A queue item (`ModerationItem`) points at its content with `content_kind` (the
registered name) and `target_id` (the content's id). Everything the queue does to
the content — show it, publish it, return it to its author, edit and publish it,
remove, hide, restore, undo — goes through the adapter. The adapter also tells
its author (the wording is the content's own); the queue writes the audit row.

See "Adding a kind of moderated content" in README.md.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from board.domain import RuleViolation
from board.models import DELETED, HIDDEN, PUBLISHED, ModerationItem, User

EXTENSION_KEY = "circle.moderated_kinds"
PENDING_PREFIX = "pending_"
MAX_NAME = 16  # ModerationItem.content_kind is a String(16)


@dataclass(frozen=True)
class Place:
    """Where a piece of content lives, in words and as an address."""

    title: str  # the thread's or the story's title (plain text; "" when it has none)
    url: str  # where a moderator (and its author) opens it; "" when it has no page of its own
    excerpt: str = ""  # a short plain-text version, for lists that show no HTML


@dataclass(frozen=True)
class Edit:
    """What an edit-then-publish changed, for the audit row (and for undo)."""

    before: str
    after: str
    data: dict = field(default_factory=dict)  # extra audit data (e.g. before_title / after_title)


@dataclass(frozen=True)
class Undone:
    """The decision being undone, as the audit log recorded it."""

    action: str  # approve, reject, edit_approve, keep, dismiss, remove
    before_status: str  # the content's status before the decision
    before_text: str  # for edit_approve: the text before the moderator's edit
    data: dict  # the decision's audit data
    pending: bool  # the item was waiting for review (not a report or crisis item)


class ModeratedKind(ABC):
    """What the moderation queue needs from one kind of content.

    Methods that change the content `flush()` at most and never commit; the
    moderation decision around them writes the audit row and the view commits once.
    Raise `RuleViolation` (a message for the moderator) when the content can't take
    the decision in its current state.
    """

    name: str = ""  # set by register_kind
    model: type  # the content's model class (reports and writers pass instances of it)
    label: str = ""  # singular, lower case: "post"
    plural: str = ""  # "posts": the queue's filter reads "Pending posts"
    review_reason: str = ""  # shown as why a pending item is here when the rules gave no reason
    returns_published: bool = False  # a published (reported) one can be returned to its author
    edits_published: bool = False  # moderators may edit a published (reported) one
    # Private content (messages) is read only on its item's page, each look written to the audit
    # log ("view_private"); queue lists show no text of it.
    private: bool = False

    # ---------------------------------------------------------------- reading

    @abstractmethod
    def load(self, ids: list[int]) -> dict[int, Any]:
        """The content with these ids, with what its card shows loaded in a fixed number of queries."""

    @abstractmethod
    def author(self, target) -> User | None:
        ...

    def author_id(self, target) -> int | None:
        return target.author_id

    def topic_id(self, target) -> int | None:
        """The forum topic it belongs to, for the queue's topic filter (None: no topic)."""
        return None

    @abstractmethod
    def place(self, target) -> Place:
        ...

    card_template: str = ""  # shows the content as the public would see it; gets `target` and `place`

    @abstractmethod
    def edit_fields(self, target) -> tuple[str | None, str]:
        """(title, body) to prefill the moderator's edit form; title None when it has no title."""

    def status(self, target) -> str:
        return target.status

    def is_gone(self, target) -> bool:
        """Taken back by its author (deleted, withdrawn, back to a draft): nothing to decide."""
        return target.status in (DELETED, "withdrawn", "draft")

    def awaits_review(self, target) -> bool:
        """After a write: does it wait for a moderator (a pending item)?"""
        return target.status == "pending"

    @abstractmethod
    def audit_refs(self, target) -> dict:
        """Keyword arguments for `audit()` naming the content (post=..., story=...)."""

    def audit_data(self, target) -> dict:
        """Extra `data` for audit rows about it, naming what `audit_refs` can't (the audit log has
        post, thread and story columns only): e.g. {"message_id": ..., "conversation_id": ...}."""
        return {}

    def check_report(self, target, reporter: User) -> None:
        """Raise RuleViolation when `reporter` can't report it (own writing, not public)."""
        if target.author_id == reporter.id:
            raise RuleViolation("You can't report your own writing. You can edit or delete it instead.", None)
        if target.status != PUBLISHED:
            if target.status == HIDDEN:
                raise RuleViolation("Thank you — this is already hidden while moderators review it.", None)
            raise RuleViolation("This can't be reported right now.", None)

    # ---------------------------------------------------------------- decisions

    def check_return(self, target, pending: bool) -> None:
        """Before a return: raise RuleViolation when it can't be returned (called before the item closes)."""

    def check_edit(self, target, pending: bool, title: str | None, body: str) -> tuple[str | None, str]:
        """Before an edit: clean and check the moderator's title and body (called before the item closes)."""
        return title, body

    @abstractmethod
    def publish(self, target, moderator: User) -> None:
        """Approve content waiting for review; tell the author."""

    @abstractmethod
    def return_to_author(self, target, moderator: User, message: str) -> None:
        """Return it privately to its author with `message`; they can edit and resubmit."""

    @abstractmethod
    def edit_and_publish(self, target, moderator: User, title: str | None, body: str, note: str,
                         pending: bool) -> Edit:
        """Publish the moderator's edited version; the original stays in private history."""

    @abstractmethod
    def remove(self, target, moderator: User, note: str) -> None:
        """Take it off the site (the author can still read it); tell the author."""

    @abstractmethod
    def hide(self, target) -> None:
        """Hide published content while moderators look at reports; tell the author."""

    @abstractmethod
    def restore(self, target, moderator: User) -> None:
        """Make content hidden by reports visible again; tell the author."""

    @abstractmethod
    def undo(self, target, moderator: User, undone: Undone) -> None:
        """Put the content back as it was before `undone`."""


# ---------------------------------------------------------------- the registry

def register_kind(name: str, kind: ModeratedKind, *, app: Flask) -> None:
    """Called once per app by the content package's blueprint (`bp.record_once`)."""
    if not name.isidentifier() or not name.islower() or len(name) > MAX_NAME:
        raise ValueError(f"a moderated kind's name is a short lower-case word, not {name!r}")
    registry = app.extensions.setdefault(EXTENSION_KEY, {})
    if name in registry:
        raise ValueError(f"moderated kind {name!r} is already registered")
    kind.name = name
    registry[name] = kind


def registered_kinds() -> dict[str, ModeratedKind]:
    """In registration order (the order of the queue's filters)."""
    return current_app.extensions.get(EXTENSION_KEY, {})


def kind_named(name: str | None) -> ModeratedKind | None:
    return registered_kinds().get(name or "")


def kind_for(target) -> ModeratedKind:
    """The registered kind of a content object (what writers and reporters pass)."""
    for kind in registered_kinds().values():
        if isinstance(target, kind.model):
            return kind
    raise LookupError(f"{type(target).__name__} is not a registered moderated kind")


def pending_kind(name: str) -> str:
    """The queue item kind for content of this kind waiting for review: "pending_post"."""
    return PENDING_PREFIX + name


def queue_kinds() -> dict[str, str]:
    """Every queue item kind and its label, in the queue's order."""
    labels = {pending_kind(k.name): f"Pending {k.plural}" for k in registered_kinds().values()}
    labels.update({"report": "Reports and flags", "crisis": "Crisis"})
    return labels


# ---------------------------------------------------------------- an item's content

@dataclass
class Content:
    """A queue item's content: its kind (None: not registered) and the row (None: gone)."""

    kind: ModeratedKind | None
    target: Any = None

    @property
    def unknown(self) -> bool:
        return self.kind is None

    @property
    def missing(self) -> bool:
        return self.kind is not None and self.target is None

    @property
    def gone(self) -> bool:
        """Nothing to decide: unknown kind, row deleted, or taken back by its author."""
        return self.kind is None or self.target is None or self.kind.is_gone(self.target)

    @property
    def place(self) -> Place | None:
        return self.kind.place(self.target) if self.kind is not None and self.target is not None else None


_CACHE = "_moderated_content"  # a plain attribute on the item instance (not a column)


def load_contents(items) -> None:
    """Load the content of a page of items: one `kind.load` per kind present (constant queries)."""
    wanted: dict[str, list] = {}
    for item in items:
        if item.content_kind and _CACHE not in item.__dict__:
            wanted.setdefault(item.content_kind, []).append(item)
    for name, group in wanted.items():
        kind = kind_named(name)
        rows = kind.load(sorted({i.target_id for i in group})) if kind is not None else {}
        for item in group:
            item.__dict__[_CACHE] = Content(kind, rows.get(item.target_id))


def content_of(item: ModerationItem) -> Content | None:
    """The item's content (None for items about a member rather than content)."""
    if not item.content_kind:
        return None
    if _CACHE not in item.__dict__:
        load_contents([item])
    return item.__dict__[_CACHE]
