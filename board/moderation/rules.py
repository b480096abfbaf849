"""Automatic moderation rules: pure functions from (author, text, context) to a Verdict.

Nothing here touches the database, the request or the clock: the moderation
service gathers what the rules need (watched words, the author's recent texts,
limits, "now") into `context`, so every rule can be tested with a table.

Precedence when several rules fire (see `evaluate`):

1. **Crisis language** wins over everything: the text is published, never held
   back, and queued at urgent priority. A false alarm costs a moderator a
   minute; a miss (or a refusal) can cost a life.
2. **block** (a blocked watched phrase, too many links for a new member, the same
   text posted again within minutes): refused with a message; the text stays in
   the author's form.
3. **review** (a watched phrase set to review, a new member's post): held as
   pending until a moderator approves it.
4. **flag** (a watched phrase set to flag): published and queued.
5. otherwise **publish**.

Private messages (kind "message") combine a little differently: see `combine_message`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from board.moderation.crisis import CATEGORY_LABELS, detect

PUBLISH = "publish"
REVIEW = "review"
FLAG = "flag"
BLOCK = "block"
ACTIONS = (PUBLISH, REVIEW, FLAG, BLOCK)
CRISIS = "crisis"  # a watched phrase with this action counts as crisis language

PRIORITY_NORMAL = 0
PRIORITY_HIGH = 1
PRIORITY_URGENT = 2

DUPLICATE_WINDOW = timedelta(minutes=10)
DEFAULT_MAX_LINKS = 2


@dataclass(frozen=True)
class Verdict:
    action: str = PUBLISH          # publish | review | flag | block
    priority: int = PRIORITY_NORMAL
    reasons: tuple[str, ...] = field(default_factory=tuple)
    crisis: bool = False
    message: str = ""              # for block: what the author is told


@dataclass(frozen=True)
class Finding:
    """What one rule found: an action, a reason for moderators, a message for the author."""

    action: str
    reason: str
    message: str = ""
    priority: int = PRIORITY_NORMAL


# ---------------------------------------------------------------- text normalisation

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Characters people put between letters to dodge filters: spaces, dots, dashes, stars…
_SEPARATORS = r"[\s.\-_*·•,'’`~+|/\\]*"


def normalize(text: str) -> str:
    """Case-folded, accents and zero-width characters removed (NFKD), so 'Mïracle' == 'miracle'."""
    text = unicodedata.normalize("NFKD", text or "").translate(_ZERO_WIDTH)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


@lru_cache(maxsize=1024)
def phrase_pattern(phrase: str) -> re.Pattern:
    """A regex for `phrase` that matches on word boundaries and survives simple obfuscation:

    extra spaces or dots between letters ("m i r a c l e", "m.i.r.a.c.l.e"), repeated
    letters ("miiiracle cuuure"), any case and accents.
    """
    letters = [c for c in normalize(phrase) if c.isalnum()]
    body = _SEPARATORS.join(re.escape(c) + "+" for c in letters)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


def find_phrase(phrase: str, text: str) -> str | None:
    """The matching words as they appear in the normalised text, or None."""
    if not phrase.strip():
        return None
    match = phrase_pattern(phrase).search(normalize(text))
    return match.group(0) if match else None


# ---------------------------------------------------------------- crisis language

def crisis_phrases(context: dict) -> tuple[str, ...]:
    """Admins' own crisis phrases: watched words whose action is "crisis"."""
    return tuple(phrase for phrase, action in context.get("watched_words", ()) if action == CRISIS)


def crisis_reasons(text: str, extra_phrases=()) -> list[str]:
    """One reason per crisis match in `text` (empty if none): the category and the exact words."""
    return [f"Crisis language — {CATEGORY_LABELS.get(m.category, m.category)}: “{m.words}”"
            for m in detect(text, extra_phrases)]


def check_crisis(author, text: str, context: dict) -> list[Finding]:
    """Crisis wording, by the detector in `board.moderation.crisis` (staff included: anyone can be at risk)."""
    return [Finding(FLAG, reason, priority=PRIORITY_URGENT)
            for reason in crisis_reasons(text, crisis_phrases(context))]


# ---------------------------------------------------------------- watched words

def check_watched_words(author, text: str, context: dict) -> list[Finding]:
    """`context["watched_words"]`: iterable of (phrase, action). Staff are not screened."""
    if _is_staff(author):
        return []
    findings = []
    for phrase, action in context.get("watched_words", ()):
        if action not in (BLOCK, REVIEW, FLAG):  # "crisis" phrases are check_crisis's
            continue
        if find_phrase(phrase, text):
            message = ""
            if action == BLOCK:
                message = (
                    f"Your post includes “{phrase}”, wording that isn't allowed here because it is "
                    "often used in scams or unsafe medical claims. Please change it and post again — "
                    "your text is still in the form."
                )
            findings.append(Finding(action, f"Watched phrase ({action}): “{phrase}”", message))
    return findings


# ---------------------------------------------------------------- links

_LINK = re.compile(
    r"(?:https?://|ftp://|mailto:|www\.)[^\s<>()\[\]]+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|io|co|shop|store|xyz|top|online|site|ly|me)\b(?:/[^\s<>()\[\]]*)?",
    re.IGNORECASE,
)


def count_links(text: str) -> int:
    return len(_LINK.findall(text or ""))


def check_message_links(author, text: str, context: dict) -> list[Finding]:
    """A private message with a link from a member below trust level 2 waits for a moderator
    (links to "shops", payment pages and off-site chats are how scams reach people)."""
    if context.get("kind") != "message" or _is_staff(author) or _trust(author) >= 2:
        return []
    n = count_links(text)
    if not n:
        return []
    return [Finding(REVIEW, f"{n} link{'s' if n != 1 else ''} in a private message from a member below "
                            "trust level 2")]


def check_links(author, text: str, context: dict) -> list[Finding]:
    """New members (trust level 0) may include at most `max_links` links."""
    if _is_staff(author) or _trust(author) >= 1:
        return []
    limit = context.get("max_links", DEFAULT_MAX_LINKS)
    n = count_links(text)
    if n <= limit:
        return []
    return [Finding(
        BLOCK, f"{n} links from a new member (limit {limit})",
        f"New members can include up to {limit} links in a post; this one has {n}. "
        "Please remove some and post again — your text is still in the form. "
        "The limit lifts after your first few posts are approved.",
    )]


# ---------------------------------------------------------------- duplicates

def _same_text(a: str, b: str) -> bool:
    return " ".join(normalize(a).split()) == " ".join(normalize(b).split())


SHORT_TEXT = 40


def check_duplicate(author, text: str, context: dict) -> list[Finding]:
    """The same text by the same author within 10 minutes is refused (a double submit or spam).

    `context["recent_texts"]`: (text, created_at, thread_id) of this author's recent
    posts (a first post's text is "title\n\nbody", as new threads are screened);
    `context["now"]`; `context["thread_id"]` for a reply. Only new threads and
    replies are checked (an edit may keep its text). Kindness exception: a short
    reply such as "Thinking of you ❤️" may be repeated in *different* threads;
    in the same thread, or when 40+ characters long, it is refused.
    """
    kind = context.get("kind")
    if kind not in ("thread", "reply"):
        return []
    now = context.get("now")
    short = len(" ".join(text.split())) < SHORT_TEXT
    for earlier, created_at, thread_id in context.get("recent_texts", ()):
        if now is not None and created_at is not None and now - created_at > DUPLICATE_WINDOW:
            continue
        if kind == "reply" and short and thread_id != context.get("thread_id"):
            continue
        if _same_text(earlier, text):
            return [Finding(
                BLOCK, "Same text posted again within 10 minutes",
                "You posted exactly this a few minutes ago, so we didn't post it twice. "
                "If you meant to post it somewhere else, please change it a little first.",
            )]
    return []


# ---------------------------------------------------------------- trust

def check_trust(author, text: str, context: dict) -> list[Finding]:
    """Every post by a new member (trust level 0) waits for a moderator. (Not private messages:
    new members can write only to moderators, see board/messages/services.py.)"""
    if context.get("kind") == "message" or _is_staff(author) or _trust(author) >= 1:
        return []
    return [Finding(REVIEW, "New member: first posts are reviewed")]


def _is_staff(author) -> bool:
    return getattr(author, "role", "member") in ("moderator", "admin")


def _trust(author) -> int:
    return int(getattr(author, "trust_level", 0) or 0)


# ---------------------------------------------------------------- combination

RULES = (check_crisis, check_duplicate, check_watched_words, check_links, check_message_links, check_trust)


def evaluate(author, text: str, context: dict | None = None) -> Verdict:
    """Run every rule and combine their findings (see the module docstring for precedence)."""
    context = context or {}
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(author, text, context))
    if context.get("kind") == "message":
        return combine_message(findings)
    return combine(findings)


def combine_message(findings: list[Finding]) -> Verdict:
    """A private message goes to one or a few people, not to the public, so nothing that worries
    a rule reaches them before a moderator has looked: "flag" holds it like "review". Crisis
    language still never refuses the message and is urgent; a message that is crisis wording AND
    a scam pattern or a link is held (urgent) rather than delivered."""
    verdict = combine(findings)
    worrying = [f for f in findings if f.priority < PRIORITY_URGENT and f.action in (REVIEW, FLAG, BLOCK)]
    if verdict.crisis:
        if worrying:
            return Verdict(action=REVIEW, priority=PRIORITY_URGENT, reasons=verdict.reasons, crisis=True)
        return verdict
    if verdict.action == FLAG:
        return Verdict(action=REVIEW, priority=verdict.priority, reasons=verdict.reasons)
    return verdict


def combine(findings: list[Finding]) -> Verdict:
    if not findings:
        return Verdict()
    reasons = tuple(dict.fromkeys(f.reason for f in findings))
    crisis = any(f.priority == PRIORITY_URGENT for f in findings)
    if crisis:
        return Verdict(action=FLAG, priority=PRIORITY_URGENT, reasons=reasons, crisis=True)
    blocks = [f for f in findings if f.action == BLOCK]
    if blocks:
        return Verdict(action=BLOCK, reasons=reasons, message=blocks[0].message)
    priority = max(f.priority for f in findings)
    if any(f.action == REVIEW for f in findings):
        return Verdict(action=REVIEW, priority=priority, reasons=reasons)
    if any(f.action == FLAG for f in findings):
        return Verdict(action=FLAG, priority=priority, reasons=reasons)
    return Verdict(priority=priority, reasons=reasons)
