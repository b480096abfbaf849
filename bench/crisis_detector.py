"""Time board.moderation.crisis.detect() on typical posts and on adversarial input.

    .venv/bin/python bench/crisis_detector.py [--rounds 200]

Typical posts: 200–3,000 characters built from the evaluation set's sentences
(so they hold crisis language and hard negatives in realistic proportions).
Adversarial: 20,000-character inputs meant to make a regex backtrack or a
tokeniser work hard (spaced-out letters, stretched letters, separators,
emoji, bidi controls, homoglyphs, repeated crisis phrases with negations).
Prints p50 / p95 / max in milliseconds (wall clock, this process only).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board.moderation.crisis import detect  # noqa: E402
from scripts.crisis_eval import load_rows  # noqa: E402

ADVERSARIAL = {
    "spaced 'k i l l '": "k i l l " * 2500,
    "'a' * 20000": "a" * 20000,
    "alternating separators": "k.i-l_l*" * 2500,
    "emoji only": "😀🙏🏽❤️" * 4000,
    "punctuation only": "!?.,;:" * 3334,
    "bidi + crisis": "\u202ekill myself\u202c " * 1200,
    "zero-width between letters": "k\u200bi\u200bl\u200bl " * 2500,
    "crisis phrase repeated": "i want to kill myself tonight. " * 650,
    "negated phrase repeated": "i dont want to die, " * 1000,
    "single letters": "a b c d e f g " * 1430,
    "one 20k word": "x" * 20000,
    "homoglyphs, mixed scripts": "кіll мyself ΚΙΛΛ 殺す " * 1000,
    "subjects without verbs": "my mum my dad my husband he she " * 625,
    "stretched letters": "diiiiiiiiiiiiiiiiiie " * 1000,
}


def typical_posts(n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    sentences = [r.text for r in load_rows()]
    posts = []
    for _ in range(n):
        target = rng.randint(200, 3000)
        parts, size = [], 0
        while size < target:
            s = rng.choice(sentences)
            parts.append(s)
            size += len(s) + 1
        posts.append(" ".join(parts)[:target])
    return posts


def timings(texts, rounds: int) -> list[float]:
    out = []
    for i in range(rounds):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        detect(text)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p50 = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   max {ms[-1]:7.2f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)

    posts = typical_posts(args.rounds)
    detect("warm up the pattern cache")
    cold = timings(posts, len(posts))      # first sight of each post (word caches filling)
    warm = timings(posts, len(posts))
    print(f"typical posts, {len(posts)} posts of 200-3000 chars (mean {statistics.mean(map(len, posts)):.0f})")
    print(f"  first pass   {summary(cold)}")
    print(f"  second pass  {summary(warm)}")
    print("adversarial, 20,000 characters (5 runs each)")
    worst = 0.0
    for name, text in ADVERSARIAL.items():
        text = text[:20000]
        ms = timings([text], 5)
        worst = max(worst, max(ms))
        print(f"  {name:<28} {summary(ms)}")
    print(f"worst adversarial run: {worst:.1f} ms (test bound 500 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
