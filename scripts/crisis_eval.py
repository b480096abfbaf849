"""Evaluate the crisis detector on tests/data/crisis_eval.tsv.

    .venv/bin/python scripts/crisis_eval.py            # tables for dev and test, exit 1 if test misses targets
    .venv/bin/python scripts/crisis_eval.py --misses   # also list the dev half's misses and false alarms

Recall: the fraction of crisis sentences flagged at all (any category); the
"same category" column is how often the sentence's own category was among
those found. False-alarm rate: the fraction of negative sentences flagged.
Patterns are tuned on the dev half only; the test half is for measuring.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from board.moderation.crisis import CATEGORIES, categories  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "crisis_eval.tsv"
TARGET_RECALL = 0.95
TARGET_FALSE_ALARMS = 0.10
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Row:
    split: str
    label: str      # crisis | negative
    category: str   # a crisis category, or a hard-negative kind
    text: str


@dataclass
class Result:
    rows: list[tuple[Row, list[str]]]

    def crisis(self):
        return [(r, found) for r, found in self.rows if r.label == "crisis"]

    def negatives(self):
        return [(r, found) for r, found in self.rows if r.label == "negative"]

    @property
    def recall(self) -> float:
        rows = self.crisis()
        return sum(1 for _, found in rows if found) / len(rows) if rows else 1.0

    @property
    def false_alarms(self) -> float:
        rows = self.negatives()
        return sum(1 for _, found in rows if found) / len(rows) if rows else 0.0

    def meets_targets(self) -> bool:
        return self.recall >= TARGET_RECALL and self.false_alarms <= TARGET_FALSE_ALARMS


def load_rows(path: Path = EVAL_FILE) -> list[Row]:
    rows = []
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    if header != ["split", "label", "category", "text"]:
        raise ValueError(f"{path}: unexpected header {header}")
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        split, label, category, text = line.split("\t")
        if split not in SPLITS or label not in ("crisis", "negative"):
            raise ValueError(f"{path}:{n}: bad split/label {split!r} {label!r}")
        if label == "crisis" and category not in CATEGORIES:
            raise ValueError(f"{path}:{n}: unknown category {category!r}")
        rows.append(Row(split, label, category, text))
    return rows


def evaluate(split: str, rows: list[Row] | None = None) -> Result:
    rows = load_rows() if rows is None else rows
    return Result([(r, categories(r.text)) for r in rows if r.split == split])


def table(split: str, result: Result) -> str:
    out = [f"== {split} half: {len(result.rows)} sentences =="]
    out.append(f"{'crisis category':<20} {'n':>4} {'recall':>7} {'same category':>14}")
    by_cat = defaultdict(list)
    for r, found in result.crisis():
        by_cat[r.category].append((r, found))
    for c in CATEGORIES:
        rows = by_cat.get(c, [])
        if not rows:
            out.append(f"{c:<20} {0:>4} {'-':>7} {'-':>14}")
            continue
        hit = sum(1 for _, f in rows if f) / len(rows)
        same = sum(1 for r, f in rows if r.category in f) / len(rows)
        out.append(f"{c:<20} {len(rows):>4} {hit:>7.3f} {same:>14.3f}")
    out.append(f"{'hard-negative kind':<20} {'n':>4} {'false alarms':>13}")
    by_kind = defaultdict(list)
    for r, found in result.negatives():
        by_kind[r.category].append((r, found))
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        fa = sum(1 for _, f in rows if f) / len(rows)
        out.append(f"{kind:<20} {len(rows):>4} {fa:>13.3f}")
    n_c, n_n = len(result.crisis()), len(result.negatives())
    caught = sum(1 for _, f in result.crisis() if f)
    flagged = sum(1 for _, f in result.negatives() if f)
    out.append(f"overall: recall {result.recall:.3f} ({caught}/{n_c}), "
               f"false alarms {result.false_alarms:.3f} ({flagged}/{n_n})")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list the dev half's misses and false alarms")
    parser.add_argument("--test-misses", action="store_true",
                        help="also list the test half's (only after measuring it; do not tune on them)")
    args = parser.parse_args(argv)
    rows = load_rows()
    results = {split: evaluate(split, rows) for split in SPLITS}
    for split in SPLITS:
        print(table(split, results[split]))
        if args.misses and (split == "dev" or args.test_misses):
            for r, found in results[split].crisis():
                if not found:
                    print(f"  MISS  [{r.category}] {r.text}")
            for r, found in results[split].negatives():
                if found:
                    print(f"  FALSE [{r.category}] {r.text}  -> {', '.join(found)}")
        print()
    test = results["test"]
    ok = test.meets_targets()
    print(f"test-half targets: recall >= {TARGET_RECALL}, false alarms <= {TARGET_FALSE_ALARMS}: "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
