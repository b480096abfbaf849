"""The fixed lists stories are filed under: themes and the prompts a story may answer.

Data only (slug → label). Slugs appear in shared URLs (`/stories?theme=hope`),
so never rename one; add new entries instead.
"""
from __future__ import annotations

THEMES: dict[str, str] = {
    "coping-and-outlook": "Coping and outlook",
    "newly-diagnosed": "Newly diagnosed",
    "treatment-experiences": "Treatment experiences",
    "side-effects": "Side effects",
    "family-and-friends": "Family and friends",
    "caregiving": "Caregiving",
    "work-and-money": "Work and money",
    "faith-and-meaning": "Faith and meaning",
    "exercise-rest-and-wellness": "Exercise, rest and wellness",
    "advocacy-and-giving-back": "Advocacy and giving back",
    "hope": "Hope",
}

PROMPTS: dict[str, str] = {
    "what-helped-most": "What helped you most after your diagnosis?",
    "advice-for-newly-diagnosed": "What would you tell someone newly diagnosed?",
    "hard-days": "How do you take care of yourself on hard days?",
    "what-gives-hope": "What gives you hope?",
}


def theme_label(slug: str) -> str:
    return THEMES.get(slug, slug)


def prompt_label(slug: str) -> str:
    return PROMPTS.get(slug, "")


def ordered_themes(slugs) -> list[str]:
    """Theme slugs in catalogue order (unknown ones dropped)."""
    chosen = set(slugs)
    return [slug for slug in THEMES if slug in chosen]


def display_title(story) -> str:
    """The title to show: the author's, or a plain one naming the first theme (never the author)."""
    if story.title:
        return story.title
    for slug in ordered_themes(story.theme_slugs):
        return f"A story: {THEMES[slug]}"
    return "A member's story"
