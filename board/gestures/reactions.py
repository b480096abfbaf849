"""The fixed set of reactions, chosen for people answering hard news, and their words.

"Like" is the wrong word under a post about progression or a death, so Circle has
none: five gestures a member can give once each per post or story, and take back.
Pure data and phrasing; no database, no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass

from board.models.gestures import REACTION_KINDS


@dataclass(frozen=True)
class ReactionKind:
    name: str          # stored, and sent as the form's `reaction`
    emoji: str
    label: str         # on the button
    one: str           # "{n} person …" (accessible count)
    many: str          # "{n} people …"
    said_one: str      # notification verb for one member ("June sent love on …")
    said_many: str     # for several ("June and 2 others sent love on …")
    after_thing: str = ""  # optional words after the thing ("… your post helpful")

    def count_phrase(self, n: int) -> str:
        return f"1 person {self.one}" if n == 1 else f"{n} people {self.many}"


REACTIONS: dict[str, ReactionKind] = {
    "love": ReactionKind("love", "❤️", "Sending love", "sent love", "sent love",
                         "sent love on", "sent love on"),
    "hugs": ReactionKind("hugs", "🤗", "Hugs", "sent a hug", "sent hugs",
                         "sent you a hug on", "sent you hugs on"),
    "thinking": ReactionKind("thinking", "🙏", "Thinking of you", "is thinking of you", "are thinking of you",
                             "is thinking of you after reading", "are thinking of you after reading"),
    "helped": ReactionKind("helped", "💡", "This helped", "found this helpful", "found this helpful",
                           "found", "found", after_thing=" helpful"),
    "strength": ReactionKind("strength", "💪", "You've got this", "said “You've got this”",
                             "said “You've got this”", "said “You've got this” on", "said “You've got this” on"),
}
assert tuple(REACTIONS) == REACTION_KINDS  # one list of names: the model's CHECK constraint uses it too


def notification_text(kind: str, first_name: str, others: int, thing: str) -> str:
    """'June and 2 others sent love on your post in “Scan day”' (`thing` already says which)."""
    reaction = REACTIONS[kind]
    if others <= 0:
        who, verb = first_name, reaction.said_one
    else:
        who = f"{first_name} and {others} other{'s' if others != 1 else ''}"
        verb = reaction.said_many
    return f"{who} {verb} {thing}{reaction.after_thing}."
