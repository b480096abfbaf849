"""Moderation services (placeholder until the moderation issue).

`screen` decides what happens to new or edited content; `after_write` queues it.
"""
from __future__ import annotations

from board.moderation.rules import PUBLISH, Verdict, evaluate


def screen(author, text: str, kind: str, context: dict | None = None) -> Verdict:
    return evaluate(author, text, {"kind": kind, **(context or {})})


def after_write(*, author, verdict: Verdict, post=None, story=None) -> None:
    """Queue the content for moderators when the verdict asks for it."""
    return None


def status_for(verdict: Verdict) -> str:
    return "published" if verdict.action in (PUBLISH, "flag") else "pending"
