"""Automatic moderation rules: pure functions from (author, text, context) to a Verdict.

Placeholder until the moderation issue: everything is published.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PUBLISH = "publish"
REVIEW = "review"
FLAG = "flag"
BLOCK = "block"


@dataclass(frozen=True)
class Verdict:
    action: str = PUBLISH          # publish | review | flag | block
    priority: int = 0              # 0 normal, 1 high, 2 urgent
    reasons: tuple[str, ...] = field(default_factory=tuple)
    crisis: bool = False
    message: str = ""              # for block: what the author is told


def evaluate(author, text: str, context: dict | None = None) -> Verdict:
    return Verdict()
