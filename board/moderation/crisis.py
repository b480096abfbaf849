"""Crisis detector: finds wording that may mean someone is at risk of suicide or self-harm.

Pure and rules-only (no model, no database). Categories follow the clinicians'
Columbia Suicide Severity Rating Scale (C-SSRS), plus self-harm and "someone else
at risk" (a carer writing about their partner, a parent, a child)::

    from board.moderation.crisis import detect, categories
    detect("i dnt want to be here no more")
    # [CrisisMatch(category='wish_dead', start=2, end=29, words='dnt want to be here no more')]

How it works (all linear in the length of the text):

1. **Normalise with an index map.** Every character is NFKD-decomposed,
   combining marks, zero-width and other format characters (bidi controls such
   as U+202E, soft hyphens) are dropped, and the rest is case-folded. Each
   output character remembers the index of the original character it came
   from, so matches are reported as offsets into the text the member wrote.
2. **Tokenise and de-obfuscate.** Words are split out; letters spelled apart
   ("k i l l", "k.i.l.l", "s-u-i-c-i-d-e") are joined when the result is a word
   the patterns use; leetspeak inside words ("k1ll", "su1c1de", "$uicide"),
   stretched letters ("diiiie"), texting spellings ("dnt", "wana", "u", "2nite"),
   contractions ("i'm" → "i am", "do not" → "dont") and a few common typos are
   mapped to one canonical spelling (the lexicon in the data file).
3. **Match patterns over canonical tokens.** The patterns are data, in
   ``board/data/crisis_patterns.toml``: each has a category, one or more phrases
   in a small token DSL (see below), and optional ``unless_before`` /
   ``unless_after`` exceptions. By default a pattern is *negatable*: a negator
   ("not", "never", "dont", "no longer", …) in the three words before it, in
   the same clause, cancels it ("I'm not suicidal", "I don't want to die").
   Patterns that carry their own negation ("I don't want to live") say
   ``negatable = false``. Gaps inside a pattern never skip over a negator or a
   clause boundary. Each category's phrases are compiled into one alternation.
4. **Someone else.** A first-person match lying inside a "someone else at
   risk" match ("my mum says she doesn't want to be here anymore") is reported
   once, as ``other_at_risk``.

Pattern DSL (over canonical tokens, lower case, contractions expanded)::

    word         one token; ``*`` inside a word is a wildcard (``stockpil*``, ``*day``)
    (a b|c)      alternatives (each a sequence of tokens)
    x?           optional item
    {MACRO}      a macro from [macros]
    ~N           up to N words (never a negator, never across , or .)
    ~~N          up to N words, may cross commas (not full stops)
    !(a|b)       not followed by …
    ^            start of a sentence      $   end of a clause (, . or end of text)
    ,            a comma token

False alarms cost a moderator a minute; misses can cost a life. The patterns
lean towards recall, but the evaluation set (tests/data/crisis_eval.tsv,
``make crisis-eval``) keeps the hard negatives that are everyday talk in a
metastatic cancer community (hospice, funerals, stopping treatment with the
oncologist, "this fatigue is killing me") from being flagged.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

CATEGORIES: tuple[str, ...] = (
    "wish_dead", "suicidal_thoughts", "method", "intent_plan", "preparation", "self_harm", "other_at_risk",
)
CUSTOM = "custom"
CATEGORY_LABELS: dict[str, str] = {
    "wish_dead": "Wish to be dead or not wake up",
    "suicidal_thoughts": "Thoughts of ending their life",
    "method": "Method or means",
    "intent_plan": "Intent or plan",
    "preparation": "Preparation or farewell",
    "self_harm": "Self-harm",
    "other_at_risk": "Someone else at risk",
    CUSTOM: "Crisis phrase added by admins",
}

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis_patterns.toml"


@dataclass(frozen=True)
class CrisisMatch:
    category: str   # one of CATEGORIES or "custom"
    start: int      # offsets into the original text
    end: int
    words: str      # text[start:end]


# ---------------------------------------------------------------- normalisation

_DROP_CATEGORIES = {"Cf", "Cc", "Mn", "Me", "Cs", "Co", "Cn"}


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """What one original character becomes: decomposed, marks and invisibles dropped, case-folded."""
    if ch in "\n\t\r":
        return "\n" if ch == "\n" else " "
    if unicodedata.category(ch) in _DROP_CATEGORIES:
        return ""
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(c) or unicodedata.category(c) in _DROP_CATEGORIES:
            continue
        out.append(c.casefold())
    return "".join(out)


def normalise(text: str) -> tuple[str, list[int]]:
    """(normalised text, index of the original character behind each normalised character)."""
    if text.isascii():
        folded = text.lower()
        if "\r" in folded or "\t" in folded or any(ord(c) < 32 and c != "\n" for c in folded):
            folded = "".join(c if c == "\n" or ord(c) >= 32 else " " for c in folded)
        return folded, list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            o = ord(ch)
            chars.append(ch.lower() if o >= 32 or ch == "\n" else " ")
            index.append(i)
            continue
        folded = _fold_char(ch)
        for c in folded:
            chars.append(c)
            index.append(i)
    return "".join(chars), index


# ---------------------------------------------------------------- data

@dataclass(frozen=True)
class _Entry:
    category: str
    regex: re.Pattern
    negatable: bool
    unless_before: re.Pattern | None
    unless_after: re.Pattern | None
    source: str


@dataclass(frozen=True)
class _Rules:
    entries: dict[str, tuple[_Entry, ...]]
    combined: dict[str, re.Pattern]
    negators: frozenset[str]
    spellings: dict[str, tuple[str, ...]]
    bigrams: dict[tuple[str, str], str]
    vocab: frozenset[str]
    squeezed: dict[str, str]
    fuzzy: dict[str, str]
    leet: dict[int, str]
    homoglyphs: dict[int, str]
    global_before: re.Pattern | None


_DSL_TOKEN = re.compile(r"\s*(!\(|\(|\)|\||\?|\{[A-Z0-9_]+\}|~~\d+|~\d+|\^|\$|,|[a-z0-9*]+)")


class _DSL:
    """Compiles the token DSL (see the module docstring) into a regex over 'tok tok tok ' strings."""

    def __init__(self, macros: dict[str, str], negators: Iterable[str]):
        self.macros = macros
        neg = "|".join(sorted(map(re.escape, negators), key=len, reverse=True))
        self.gap_word = rf"(?:(?!(?:{neg}) )[^ .,]+ )"
        self.gap_word_comma = rf"(?:(?!(?:{neg}) )[^ .]+ )"
        self.words: set[str] = set()
        self._macro_cache: dict[str, str] = {}

    def compile(self, source: str, _depth: int = 0) -> str:
        tokens = self._lex(source)
        pos, out = self._alt(tokens, 0, _depth)
        if pos != len(tokens):
            raise ValueError(f"crisis pattern: unexpected {tokens[pos]!r} in {source!r}")
        return out

    @staticmethod
    def _lex(source: str) -> list[str]:
        tokens, pos = [], 0
        source = source.strip()
        while pos < len(source):
            m = _DSL_TOKEN.match(source, pos)
            if not m:
                raise ValueError(f"crisis pattern: cannot read {source[pos:]!r} in {source!r}")
            tokens.append(m.group(1))
            pos = m.end()
            while pos < len(source) and source[pos].isspace():
                pos += 1
        return tokens

    def _alt(self, tokens, pos, depth):
        branches = []
        pos, seq = self._seq(tokens, pos, depth)
        branches.append(seq)
        while pos < len(tokens) and tokens[pos] == "|":
            pos, seq = self._seq(tokens, pos + 1, depth)
            branches.append(seq)
        return pos, branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    def _seq(self, tokens, pos, depth):
        parts = []
        while pos < len(tokens) and tokens[pos] not in (")", "|"):
            tok = tokens[pos]
            if tok in ("(", "!("):
                pos, inner = self._alt(tokens, pos + 1, depth)
                if pos >= len(tokens) or tokens[pos] != ")":
                    raise ValueError("crisis pattern: missing )")
                atom = f"(?:{inner})" if tok == "(" else f"(?!{inner})"
                pos += 1
            elif tok.startswith("{"):
                atom = f"(?:{self._macro(tok[1:-1], depth)})"
                pos += 1
            elif tok.startswith("~~"):
                atom = f"{self.gap_word_comma}{{0,{int(tok[2:])}}}"
                pos += 1
            elif tok.startswith("~"):
                atom = f"{self.gap_word}{{0,{int(tok[1:])}}}"
                pos += 1
            elif tok == "^":
                atom = r"(?:^|(?<=\. ))"
                pos += 1
            elif tok == "$":
                atom = r"(?=[.,] |$)"
                pos += 1
            elif tok == ",":
                atom = ", "
                pos += 1
            else:
                if "*" not in tok:
                    self.words.add(tok)
                atom = "".join("[^ ]*" if c == "*" else re.escape(c) for c in tok) + " "
                pos += 1
            if pos < len(tokens) and tokens[pos] == "?":
                atom = f"(?:{atom})?"
                pos += 1
            parts.append(atom)
        return pos, "".join(parts)

    def _macro(self, name, depth):
        if depth > 10:
            raise ValueError(f"crisis pattern: macro {name} is recursive")
        if name not in self._macro_cache:
            if name not in self.macros:
                raise ValueError(f"crisis pattern: unknown macro {{{name}}}")
            self._macro_cache[name] = self.compile(self.macros[name], depth + 1)
        return self._macro_cache[name]


def _squeeze(word: str, keep: int) -> str:
    """Runs of the same letter cut down to `keep` ("diiiie" → "die" with keep=1)."""
    return re.sub(r"(.)\1+", (lambda m: m.group(1) * keep) if keep > 1 else r"\1", word)


_RUN2 = re.compile(r"(.)\1")
_RUN3 = re.compile(r"(.)\1\1")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=4)
def _load(path: str = str(PATTERNS_FILE)) -> _Rules:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    lex = data.get("lexicon", {})
    negators = frozenset(lex.get("negators", ()))
    dsl = _DSL(data.get("macros", {}), negators)

    entries: dict[str, list[_Entry]] = {c: [] for c in CATEGORIES}
    for i, item in enumerate(data.get("pattern", ())):
        category = item["category"]
        if category not in entries:
            raise ValueError(f"crisis pattern {i}: unknown category {category!r}")
        sources = item["pattern"] if isinstance(item["pattern"], list) else [item["pattern"]]
        before = item.get("unless_before")
        after = item.get("unless_after")
        before_re = re.compile(r"(?<![^ ])(?:" + dsl.compile(before) + ")") if before else None
        after_re = re.compile(dsl.compile(after)) if after else None
        for source in sources:
            entries[category].append(_Entry(
                category=category,
                regex=re.compile(dsl.compile(source)),
                negatable=bool(item.get("negatable", True)),
                unless_before=before_re,
                unless_after=after_re,
                source=source,
            ))
    combined = {
        c: re.compile(r"(?<![^ ])(?:" + "|".join(e.regex.pattern for e in es) + ")")
        for c, es in entries.items() if es
    }

    spellings = {k: tuple(v.split()) for k, v in lex.get("spellings", {}).items()}
    bigrams = {tuple(k.split()): v for k, v in lex.get("bigrams", {}).items()}
    vocab = set(dsl.words) | set(lex.get("words", ())) | set(negators)
    for value in spellings.values():
        vocab.update(value)
    vocab.update(bigrams.values())
    vocab = frozenset(vocab)
    squeezed: dict[str, str] = {}
    for word in sorted(vocab):
        squeezed.setdefault(_squeeze(word, 1), word)
    for word in sorted(spellings):
        squeezed.setdefault(_squeeze(word, 1), word)
    fuzzy: dict[str, str] = {}
    for word in lex.get("fuzzy", ()):
        for d in _deletes(word):
            fuzzy.setdefault(d, word)
        fuzzy.setdefault(word, word)
    leet = {ord(k): v for k, v in lex.get("leet", {}).items()}
    homoglyphs = {ord(k): v for k, v in lex.get("homoglyphs", {}).items()}
    global_src = lex.get("global_unless_before")
    global_before = re.compile(r"(?<![^ ])(?:" + dsl.compile(global_src) + ")") if global_src else None
    return _Rules(
        entries={c: tuple(es) for c, es in entries.items()},
        combined=combined, negators=negators, spellings=spellings, bigrams=bigrams,
        vocab=vocab, squeezed=squeezed, fuzzy=fuzzy, leet=leet, homoglyphs=homoglyphs,
        global_before=global_before,
    )


def rules() -> _Rules:
    """The shipped patterns, loaded once."""
    return _load()


# ---------------------------------------------------------------- tokens

_SEP = r"[ \t.\-_*·•,'’`~+|/\\]"
_TOKEN = re.compile(
    # letters spelled apart: k i l l, k.i.l.l, s-u-i-c-i-d-e
    rf"(?P<run>(?<![^\W_])[^\W_](?:{_SEP}{{1,3}}[^\W_]){{2,}}(?![^\W_]))"
    # a word, with apostrophes / leetspeak joiners inside: don't, k!ll, $uicide, k*ll
    r"|(?P<word>[@$]?[^\W_]+(?:['’‘`*@$!|][^\W_]+)*)"
    r"|(?P<stop>[.!?;:\n…]+)"
    r"|(?P<comma>[,()\u2013\u2014\[\]\"“”]| - )"
)
_WORD_ONLY = re.compile(r"[@$]?[^\W_]+(?:['’‘`*@$!|][^\W_]+)*|[.!?;:\n…]+|[,()\u2013\u2014\[\]\"“”]| - ")
_APOSTROPHES = str.maketrans("", "", "'’‘`")
MAX_TOKEN = 40


@lru_cache(maxsize=65536)
def _canon(raw: str) -> tuple[str, ...]:
    """Canonical tokens for one written word (usually one; "wanna" → ("want", "to"))."""
    r = rules()
    if len(raw) > MAX_TOKEN:
        return (raw,)
    if "'" in raw or "’" in raw or "‘" in raw:
        quoted = raw.replace("’", "'").replace("‘", "'")
        if quoted in r.spellings:
            return r.spellings[quoted]
    word = raw.translate(_APOSTROPHES)
    if not word.isascii() and any("a" <= c <= "z" for c in word):
        word = word.translate(r.homoglyphs)
    if word in r.spellings:
        return r.spellings[word]
    if word in r.vocab:
        return (word,)
    if "*" in word:
        found = _wildcard(word, r)
        if found:
            return found
        word = word.replace("*", "")
    if not word.isalpha():
        leet = word.translate(r.leet)
        if leet.isalpha() and any(c.isalpha() for c in word):
            word = leet
            if word in r.spellings:
                return r.spellings[word]
            if word in r.vocab:
                return (word,)
        else:
            return (word,)
    if word.endswith("in") and word + "g" in r.vocab:  # cuttin, killin, endin
        return (word + "g",)
    twice = _squeeze(word, 2)
    if twice != word:
        if twice in r.spellings:
            return r.spellings[twice]
        if twice in r.vocab:
            return (twice,)
    # Stretched letters ("diiiie", "killlll") or a missing double ("kil"); a word
    # with an ordinary double letter ("fell", "too") is left alone.
    once = _squeeze(word, 1)
    stretched = _RUN3.search(word) is not None
    if once in r.squeezed and len(word) >= 3 and (stretched or _RUN2.search(word) is None):
        target = r.squeezed[once]
        return r.spellings.get(target, (target,))
    if len(word) >= 5:
        for candidate in (word, *_deletes(word)):
            target = r.fuzzy.get(candidate)
            if target and target[0] == word[0] and abs(len(target) - len(word)) <= 1:
                return (target,)
    return (word,)


def _wildcard(word: str, r: _Rules) -> tuple[str, ...] | None:
    """k*ll → kill: a star stands for one hidden letter."""
    if len(word) > 20 or word.count("*") > 3:
        return None
    pattern = re.compile("".join("." if c == "*" else re.escape(c) for c in word))
    hits = sorted(w for w in r.vocab if len(w) == len(word) and pattern.fullmatch(w))
    return (hits[0],) if len(hits) == 1 else None


def _accept_run(letters: str) -> tuple[int, int] | None:
    """Which part of a run of spaced-out letters forms a known word (start, end), if any."""
    r = rules()
    for a, b in ((0, len(letters)), (1, len(letters)), (0, len(letters) - 1)):
        if b - a < 3:
            continue
        canon = _canon(letters[a:b])
        if len(canon) > 1 or canon[0] in r.vocab and len(canon[0]) >= 3:
            return a, b
    return None


@dataclass
class _Tokens:
    text: str            # "tok tok . tok , tok "
    starts: list[int]    # offset of each token in `text`
    orig: list[tuple[int, int]]  # original (start, end) of each token
    words: list[str]
    normalised: str      # the normalised text the tokens came from
    index: list[int]     # original index of each normalised character


def tokenise(text: str) -> _Tokens:
    s, index = normalise(text)
    toks: list[tuple[str, int, int]] = []  # canonical token, normalised start, normalised end

    def add_word(raw, a, b):
        for c in _canon(raw):
            toks.append((c, a, b))

    def plain(segment_start, segment_end):
        for m in _WORD_ONLY.finditer(s, segment_start, segment_end):
            g = m.group(0)
            if g[0].isalnum() or g[0] in "@$":
                add_word(g, m.start(), m.end())
            elif g[0] in ".!?;:\n…":
                toks.append((".", m.start(), m.end()))
            else:
                toks.append((",", m.start(), m.end()))

    for m in _TOKEN.finditer(s):
        kind = m.lastgroup
        if kind == "run":
            letters = [(mm.start(), mm.group(0)) for mm in re.finditer(r"[^\W_]", m.group(0))]
            word = "".join(c for _, c in letters)
            span = _accept_run(word)
            if span is None:
                plain(m.start(), m.end())
                continue
            a, b = span
            base = m.start()
            if a:
                plain(base, base + letters[a][0])
            first, last = base + letters[a][0], base + letters[b - 1][0] + 1
            add_word(word[a:b], first, last)
            if b < len(letters):
                plain(last, m.end())
        elif kind == "word":
            add_word(m.group(0), m.start(), m.end())
        elif kind == "stop":
            toks.append((".", m.start(), m.end()))
        else:
            toks.append((",", m.start(), m.end()))

    # two-word spellings: "do not" → "dont", "any more" → "anymore"
    bigrams = rules().bigrams
    if bigrams:
        merged: list[tuple[str, int, int]] = []
        for tok in toks:
            if merged and (merged[-1][0], tok[0]) in bigrams:
                prev = merged.pop()
                merged.append((bigrams[(prev[0], tok[0])], prev[1], tok[2]))
            else:
                merged.append(tok)
        toks = merged

    # drop repeated punctuation tokens, then build "tok tok tok " with offsets
    parts, starts, orig, words = [], [], [], []
    pos = 0
    for word, a, b in toks:
        if word in (".", ",") and words and words[-1] in (".", ","):
            if word == "." and words[-1] == ",":
                words[-1] = "."
                parts[-1] = ". "
            continue
        starts.append(pos)
        parts.append(word + " ")
        pos += len(word) + 1
        orig.append((index[a], index[b - 1] + 1))
        words.append(word)
    return _Tokens("".join(parts), starts, orig, words, s, index)


# ---------------------------------------------------------------- matching

NEGATION_WINDOW = 3
BEFORE_WINDOW = 6


def _window_before(toks: _Tokens, i: int, size: int) -> list[str]:
    out = []
    j = i - 1
    while j >= 0 and len(out) < size and toks.words[j] not in (".", ","):
        out.append(toks.words[j])
        j -= 1
    return out[::-1]


def _valid(entry: _Entry, toks: _Tokens, start_tok: int, end_pos: int, r: _Rules) -> bool:
    if entry.negatable and any(w in r.negators for w in _window_before(toks, start_tok, NEGATION_WINDOW)):
        return False
    if entry.unless_before is not None or r.global_before is not None:
        window = _window_before(toks, start_tok, BEFORE_WINDOW)
        text = " ".join(window) + " "
        for regex in (entry.unless_before, r.global_before):
            if window and regex is not None and regex.search(text):
                return False
    if entry.unless_after is not None and entry.unless_after.match(toks.text, end_pos):
        return False
    return True


def _find(category: str, toks: _Tokens, r: _Rules, tok_at: dict[int, int]) -> list[tuple[int, int]]:
    """(first token, last token) of each accepted match of `category`, non-overlapping."""
    combined = r.combined.get(category)
    if combined is None:
        return []
    found = []
    pos = 0
    text = toks.text
    while True:
        m = combined.search(text, pos)
        if m is None:
            break
        start = m.start()
        start_tok = tok_at[start]
        best_end = -1
        for entry in r.entries[category]:
            mm = entry.regex.match(text, start)
            if mm and mm.end() > start and mm.end() > best_end and _valid(entry, toks, start_tok, mm.end(), r):
                best_end = mm.end()
        if best_end > 0:
            end_tok = bisect_right(toks.starts, best_end - 1) - 1
            found.append((start_tok, end_tok))
            pos = best_end
        else:
            pos = start + len(toks.words[start_tok]) + 1
    return found


def _letters(s: str, r: _Rules) -> tuple[str, list[int], list[int]]:
    """Letters and digits only, leetspeak and look-alike letters mapped, runs squeezed
    ("D.A.R.K  b r i d g e", "gr3y r00m", "Rooooom"), with each letter's first and last
    position in `s`. Custom phrases are matched on this form."""
    out: list[str] = []
    first: list[int] = []
    last: list[int] = []
    for i, ch in enumerate(s):
        if not ch.isalnum():
            continue
        c = ch.translate(r.leet).translate(r.homoglyphs)
        if out and out[-1] == c:
            last[-1] = i
            continue
        out.append(c)
        first.append(i)
        last.append(i)
    return "".join(out), first, last


@lru_cache(maxsize=256)
def _custom_regex(phrases: tuple[str, ...]) -> re.Pattern | None:
    r = rules()
    keys = set()
    for phrase in phrases:
        key = _letters(normalise(phrase)[0], r)[0]
        if len(key) >= 2:
            keys.add(key)
    if not keys:
        return None
    return re.compile("|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)))


def _custom_matches(s: str, regex: re.Pattern, r: _Rules) -> list[tuple[int, int]]:
    """(start, end) in `s` of each custom phrase, starting and ending on word boundaries."""
    letters, first, last = _letters(s, r)
    found = []
    pos = 0
    while True:
        m = regex.search(letters, pos)
        if m is None:
            break
        a, b = first[m.start()], last[m.end() - 1] + 1
        if (a == 0 or not s[a - 1].isalnum()) and (b == len(s) or not s[b].isalnum()):
            found.append((a, b))
            pos = m.end()
        else:
            pos = m.start() + 1
    return found


def detect(text: str, extra_phrases: Iterable[str] = ()) -> list[CrisisMatch]:
    """All crisis matches in text, sorted by start, non-overlapping per category.

    extra_phrases are admin-added crisis phrases (category "custom"), matched with the
    same normalisation/obfuscation tolerance.
    """
    if not text:
        return []
    extra = tuple(p for p in extra_phrases if p and p.strip())
    r = rules()
    toks = tokenise(text)
    if not toks.words and not extra:
        return []
    tok_at = {p: i for i, p in enumerate(toks.starts)}
    spans: dict[str, list[tuple[int, int]]] = {c: _find(c, toks, r, tok_at) for c in CATEGORIES}

    # Someone else at risk: the first-person phrase inside it is not reported again.
    others = spans["other_at_risk"]
    if others:
        for category in CATEGORIES[:-1]:
            spans[category] = [
                (a, b) for a, b in spans[category] if not any(oa <= a and b <= ob for oa, ob in others)
            ]

    matches = []
    for category, found in spans.items():
        for a, b in found:
            start, end = toks.orig[a][0], toks.orig[b][1]
            matches.append(CrisisMatch(category, start, end, text[start:end]))

    if extra:
        regex = _custom_regex(extra)
        if regex is not None:
            for a, b in _custom_matches(toks.normalised, regex, r):
                start, end = toks.index[a], toks.index[b - 1] + 1
                matches.append(CrisisMatch(CUSTOM, start, end, text[start:end]))
    matches.sort(key=lambda m: (m.start, m.end, m.category))
    return matches


def categories(text: str, extra_phrases: Iterable[str] = ()) -> list[str]:
    """The distinct categories found, in CATEGORIES order ("custom" last)."""
    found = {m.category for m in detect(text, extra_phrases)}
    return [c for c in (*CATEGORIES, CUSTOM) if c in found]
