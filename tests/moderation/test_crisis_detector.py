"""The crisis detector (board/moderation/crisis.py): pure functions, no app or database."""
from __future__ import annotations

import time

import pytest

from board.moderation import crisis
from board.moderation.crisis import CATEGORIES, CATEGORY_LABELS, CrisisMatch, categories, detect
from scripts.crisis_eval import TARGET_FALSE_ALARMS, TARGET_RECALL, evaluate, load_rows

# ---------------------------------------------------------------- evaluation set


def test_eval_set_shape():
    rows = load_rows()
    crisis_rows = [r for r in rows if r.label == "crisis"]
    negatives = [r for r in rows if r.label == "negative"]
    assert len(crisis_rows) >= 220 and len(negatives) >= 220
    for split in ("dev", "test"):
        for category in CATEGORIES:
            n = sum(1 for r in crisis_rows if r.split == split and r.category == category)
            assert n >= 12, (split, category, n)
    for category in CATEGORIES:
        assert sum(1 for r in crisis_rows if r.category == category) >= 25
    kinds = {r.category for r in negatives}
    assert {"idiom", "negation", "medical", "planning", "bereavement", "everyday", "other_person_ok"} <= kinds
    assert len({r.text for r in rows}) == len(rows), "duplicate sentences"


def test_test_half_meets_targets():
    result = evaluate("test")
    assert result.recall >= TARGET_RECALL, result.recall
    assert result.false_alarms <= TARGET_FALSE_ALARMS, result.false_alarms


def test_dev_half_meets_targets():
    result = evaluate("dev")
    assert result.recall >= TARGET_RECALL
    assert result.false_alarms <= TARGET_FALSE_ALARMS


# ---------------------------------------------------------------- the issue's examples

ISSUE_CAUGHT = [
    "Third line of treatment failed. I don't want to go on anymore. I haven't told my husband.",
    "my kids would manage better without me",
    "I've started putting my pain meds aside, just in case",
    "i dnt want to be here no more",
    "my dad keeps saying he wants it all to be over",
]
ISSUE_NOT_CAUGHT = [
    "I can't go on holiday this year",
    "I'm not in a dark place, just tired",
    "radiation is killing my energy",
    "we met the hospice team today",
    "I could kill for a coffee",
    "choosing comfort care isn't quitting",
]


@pytest.mark.parametrize("text", ISSUE_CAUGHT)
def test_issue_examples_caught(text):
    assert detect(text)


@pytest.mark.parametrize("text", ISSUE_NOT_CAUGHT)
def test_issue_examples_not_caught(text):
    assert detect(text) == []


def test_issue_example_categories():
    assert categories(ISSUE_CAUGHT[0]) == ["wish_dead"]
    assert "method" in categories(ISSUE_CAUGHT[2])
    assert categories(ISSUE_CAUGHT[4]) == ["other_at_risk"]


# ---------------------------------------------------------------- each category

CAUGHT = [
    ("wish_dead", "I wish I could go to sleep and not wake up"),
    ("wish_dead", "i dnt wana live like this"),
    ("wish_dead", "wnt to die"),
    ("wish_dead", "I want to diiiie"),
    ("wish_dead", "I don't want to live"),
    ("wish_dead", "I don't want to be here"),
    ("wish_dead", "I'm stopping treatment because there's no point in living"),
    ("wish_dead", "I'm stopping treatment because I want to die sooner"),
    ("wish_dead", "I DON'T WANT TO GO ON ANYMORE"),
    ("suicidal_thoughts", "k i l l myself"),
    ("suicidal_thoughts", "k.i.l.l myself"),
    ("suicidal_thoughts", "i want to k1ll myself"),
    ("suicidal_thoughts", "I've been having suicidal thoughts since the scan"),
    ("suicidal_thoughts", "i keep thinking about ending it all"),
    ("method", "I've been stockpiling my oramorph"),
    ("method", "how many of my tablets would it take"),
    ("method", "I keep thinking about the bridge"),
    ("method", "I bought a rope"),
    ("intent_plan", "im gonna do it tonight"),
    ("intent_plan", "I'm going to end it after my birthday"),
    ("intent_plan", "I've picked a date"),
    ("preparation", "this is my last post"),
    ("preparation", "I've written goodbye letters to the kids"),
    ("preparation", "I've been giving my things away"),
    ("self_harm", "I cut myself again last night"),
    ("self_harm", "the urge to self harm is back"),
    ("other_at_risk", "My partner says she wants to end it"),
    ("other_at_risk", "my mum talks about not wanting to wake up"),
    ("other_at_risk", "my husband has been hurting himself"),
]


@pytest.mark.parametrize("category,text", CAUGHT)
def test_category_caught(category, text):
    assert category in categories(text), (text, detect(text))


NOT_CAUGHT = [
    "this fatigue is killing me",
    "I'd die for a decent night's sleep",
    "I'm dying to see my grandson",
    "I never wanted to die, I wanted to live",
    "I don't want to die",
    "I'm not suicidal, I'm sad",
    "I'm not going to hurt myself",
    "my friend from group died last week",
    "what happens if I take an extra dose of my letrozole by mistake",
    "I'm stopping treatment after talking it through with my oncologist",
    "Has anyone written an advance directive?",
    "I've signed a DNR",
    "How does medical assistance in dying work?",
    "We sorted out my will and planned the funeral songs",
    "I'm saving my pills for the trip so I don't run out",
    "Bye everyone, see you after my scan",
    "My partner says she wants to end the lease on our flat",
    "Suicide prevention week is coming up",
]


@pytest.mark.parametrize("text", NOT_CAUGHT)
def test_hard_negative_not_caught(text):
    assert detect(text) == [], detect(text)


def test_negation_is_local():
    assert detect("I don't want to die") == []
    assert categories("I don't want to die, I want to kill myself") == ["suicidal_thoughts"]
    assert categories("I'm not in a dark place. I want to die.") == ["wish_dead"]


# ---------------------------------------------------------------- offsets and words

def _check_offsets(text, matches):
    for m in matches:
        assert isinstance(m, CrisisMatch)
        assert 0 <= m.start < m.end <= len(text)
        assert m.words == text[m.start:m.end]


def test_offsets_point_at_the_original_words():
    text = "Scan was bad.  I want to KILL myself tonight!!"
    matches = detect(text)
    _check_offsets(text, matches)
    words = {m.category: m.words for m in matches}
    assert words["suicidal_thoughts"] == "KILL myself"
    assert "intent_plan" in words
    assert matches == sorted(matches, key=lambda m: m.start)


def test_offsets_with_accents_zero_width_and_case():
    text = "Ça va? Non. Je… I want to k\u200bi\u200bl\u200bl mysélf"
    matches = detect(text)
    _check_offsets(text, matches)
    [m] = matches
    assert m.words == "k\u200bi\u200bl\u200bl mysélf"
    text = "ＩＷＡＮＴ… no: I wánt to DÍE"
    [m] = detect(text)
    assert m.words == "wánt to DÍE" and text[m.start:m.end] == m.words


def test_offsets_with_decomposed_accents_and_bidi():
    text = "e\u0301e\u0301 \u202ei wish i was de\u0301ad\u202c ok"
    [m] = detect(text)
    assert m.words == "wish i was de\u0301ad"


def test_offsets_multiline_and_texting():
    text = "hi all\n\nhonestly i dnt wana b here no more\nsorry"
    [m] = detect(text)
    assert m.words == "dnt wana b here no more"


# ---------------------------------------------------------------- custom phrases

def test_extra_phrases_custom_category():
    assert categories("I'm going to the dark bridge", extra_phrases=["dark bridge"]) == ["custom"]
    matches = detect("the D.A.R.K  b r i d g e again", extra_phrases=["dark bridge"])
    custom = [m for m in matches if m.category == "custom"]
    assert custom and custom[0].words == "D.A.R.K  b r i d g e"


def test_extra_phrases_obfuscation_tolerance():
    assert categories("feeling like the gr3y r00m again", extra_phrases=["grey room"]) == ["custom"]
    assert categories("the grey\u200b room", extra_phrases=["Grey Room"]) == ["custom"]
    assert categories("Gréy Rooooom", extra_phrases=["grey room"]) == ["custom"]
    assert categories("ungrey roomy", extra_phrases=["grey room"]) == []
    assert categories("nothing here", extra_phrases=["", "   ", "!!"]) == []


def test_custom_alongside_builtin():
    cats = categories("i want to die, the grey room", extra_phrases=["grey room"])
    assert cats == ["wish_dead", "custom"]


# ---------------------------------------------------------------- robustness and speed

@pytest.mark.parametrize("text", [
    "", " ", "\n\n", "😀🙏🏽❤️" * 50, "!!!???...,,,", "\u202e\u202d\u200f\u200e", "\u200b" * 100,
    "مرحبا كيف حالك", "你好，我今天很累", "שלום \u202eעולם\u202c", "\ud800", "\x00\x01\x02",
])
def test_no_crisis_in_empty_or_symbol_only_text(text):
    assert detect(text) == []
    assert categories(text) == []


ADVERSARIAL = [
    "k i l l " * 2500,
    "a" * 20000,
    "k.i-l_l*" * 2500,
    "😀🙏🏽" * 7000,
    "\u202ekill myself\u202c " * 1200,
    "i want to kill myself. " * 900,
    "i dont want to die, " * 1000,
    "a b c d e f g " * 1500,
    ". , " * 5000,
    "x" * 19999 + "!",
    "кіll мyself ΚΙΛΛ 殺す " * 1000,
    "my mum my dad my husband he she " * 700,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_input_is_fast(text):
    detect(text)  # warm the caches
    started = time.perf_counter()
    matches = detect(text, extra_phrases=["grey room"])
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, elapsed
    _check_offsets(text, matches)


def test_typical_post_is_fast():
    post = ("Had my scan results today and the liver mets have grown again. My onc wants to try "
            "capecitabine next. Honestly I'm so tired of all of it, the fatigue is killing me and "
            "my husband is trying his best. ") * 8
    detect(post)
    started = time.perf_counter()
    for _ in range(20):
        detect(post)
    assert (time.perf_counter() - started) / 20 < 0.02


def test_labels_and_categories():
    assert set(CATEGORIES) <= set(CATEGORY_LABELS)
    assert CATEGORY_LABELS["custom"] == "Crisis phrase added by admins"
    assert categories("my mum says she doesn't want to be here anymore") == ["other_at_risk"]


def test_patterns_load_once():
    assert crisis.rules() is crisis.rules()
