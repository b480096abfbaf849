# TEMPORARY placeholder until the real detector lands (not committed)
from __future__ import annotations
import re
from dataclasses import dataclass
CATEGORIES = ("wish_dead", "suicidal_thoughts", "method", "intent_plan", "preparation", "self_harm", "other_at_risk")
CATEGORY_LABELS = {"wish_dead": "Wish to be dead or not wake up", "suicidal_thoughts": "Thoughts of ending their life",
  "method": "Method or means", "intent_plan": "Intent or plan", "preparation": "Preparation or farewell",
  "self_harm": "Self-harm", "other_at_risk": "Someone else at risk", "custom": "Crisis phrase added by admins"}
@dataclass(frozen=True)
class CrisisMatch:
    category: str
    start: int
    end: int
    words: str
_P = [("wish_dead", r"want to die|don'?t want to (?:go on|wake up|be here)"), ("suicidal_thoughts", r"kill myself|end my life|end it all|suicid\w*"),
      ("method", r"(?:putting|saving) my (?:pain )?(?:meds|pills) aside"), ("self_harm", r"hurt(?:ing)? myself|cut myself")]
def detect(text, extra_phrases=()):
    out = []
    for cat, p in _P:
        for m in re.finditer(p, text or "", re.I):
            out.append(CrisisMatch(cat, m.start(), m.end(), m.group(0)))
    for ph in extra_phrases:
        for m in re.finditer(re.escape(ph), text or "", re.I):
            out.append(CrisisMatch("custom", m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda m: m.start)
def categories(text, extra_phrases=()):
    found = {m.category for m in detect(text, extra_phrases)}
    return [c for c in (*CATEGORIES, "custom") if c in found]
