"""Accuracy and cost of the intent classifier (`personas.intents.classify`).

Run from the repository root: `python -m bench.intent_bench` prints a table; `run()` returns the same
figures as a JSON-ready dict (merged into bench/results.json by `make bench`).

* accuracy   on the held-out split of tests/personas/data/intents.jsonl, per label, for the shipped
             classifier (rules, then model) and for each half alone, which is why both are shipped
* classify   µs per message over every labelled message, one call at a time (target ≤ 200 µs median)
* long       a 50 KB paste with the question at its end (only its head and tail are read)
* load       reading the model's weight table, once per process
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from bench.compiler_bench import _timed
from personas.intents import INTENT_LABELS, classify
from personas.intents.features import has_words, normalize
from personas.intents.model import MODEL_PATH, model_from_dict, shipped_model
from personas.intents.rules import rule_label

DATA = Path(__file__).resolve().parents[1] / "tests" / "personas" / "data" / "intents.jsonl"
TARGET_MEDIAN_US = 200.0
LONG_MESSAGE = "Revenue grew in every region and the team shipped on time. " * 850 + "\nShould we raise now?"


def _examples() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _accuracy(rows: list[dict], predict) -> dict:
    right, total = Counter(), Counter()
    for row in rows:
        total[row["label"]] += 1
        right[row["label"]] += predict(row["text"]) == row["label"]
    return {
        "overall": round(sum(right.values()) / len(rows), 3),
        "per_label": {label: round(right[label] / total[label], 3) for label in INTENT_LABELS},
        "per_label_counts": {label: f"{right[label]}/{total[label]}" for label in INTENT_LABELS},
    }


def _rules_only(text: str) -> str:
    # What a rules-only classifier does: the first matching rule, else the fallback label.
    return rule_label(normalize(text)) or shipped_model().fallback_label


def _model_only(text: str) -> str:
    normalized = normalize(text)
    return shipped_model().predict(normalized)[0] if has_words(normalized) else shipped_model().fallback_label


def _load_ms(rounds: int = 10) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        model_from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
        samples.append((time.perf_counter() - started) * 1000)
    return round(sorted(samples)[len(samples) // 2], 2)


def run(repeat: int = 20_000) -> dict:
    examples = _examples()
    heldout = [row for row in examples if row["split"] == "heldout"]
    texts = [row["text"] for row in examples]
    shipped_model()
    sources = Counter(classify(row["text"]).source for row in heldout)
    cases = {
        "classify": _timed(lambda i: classify(texts[i % len(texts)]), repeat, warmup=1000),
        "long": _timed(lambda i: classify(LONG_MESSAGE), max(100, repeat // 20), warmup=50),
    }
    median = cases["classify"]["median_us"]
    return {
        "benchmark": "intent_classifier",
        "data": "tests/personas/data/intents.jsonl",
        "examples": {"train": len(examples) - len(heldout), "heldout": len(heldout)},
        "accuracy_heldout": _accuracy(heldout, lambda text: classify(text).label),
        "accuracy_heldout_rules_only": _accuracy(heldout, _rules_only)["overall"],
        "accuracy_heldout_model_only": _accuracy(heldout, _model_only)["overall"],
        "heldout_sources": dict(sources),
        "cases_us": cases,
        "model_load_ms": _load_ms(),
        "model_bytes": MODEL_PATH.stat().st_size,
        "model_features": len(shipped_model().weights),
        "target_median_us": TARGET_MEDIAN_US,
        "meets_target": median <= TARGET_MEDIAN_US,
        "python": platform.python_version(),
    }


def print_table(results: dict) -> None:
    accuracy = results["accuracy_heldout"]
    print(f"\nintent classifier on the held-out split of {results['data']} "
          f"({results['examples']['heldout']} messages; trained on {results['examples']['train']})")
    width = max(map(len, INTENT_LABELS))
    print(f"  {'label':<{width}}  {'accuracy':>8}  {'right':>7}")
    for label in INTENT_LABELS:
        print(f"  {label:<{width}}  {accuracy['per_label'][label]:>8.3f}  {accuracy['per_label_counts'][label]:>7}")
    print(f"  {'all':<{width}}  {accuracy['overall']:>8.3f}   (rules only {results['accuracy_heldout_rules_only']:.3f}, "
          f"model only {results['accuracy_heldout_model_only']:.3f}; decided by {results['heldout_sources']})")
    print(f"  {'case':<{width}}  {'median µs':>10}  {'p95 µs':>10}  {'runs':>7}")
    for name, label in (("classify", "classify / message"), ("long", "classify / 50 KB paste")):
        case = results["cases_us"][name]
        print(f"  {label:<{width}}  {case['median_us']:>10.2f}  {case['p95_us']:>10.2f}  {case['iterations']:>7}")
    verdict = "meets" if results["meets_target"] else "MISSES"
    print(f"  classify {verdict} the {results['target_median_us']:.0f} µs target; weight table "
          f"{results['model_bytes']:,} bytes, {results['model_features']:,} features, loads in {results['model_load_ms']} ms")


def main(argv: list[str]) -> None:
    results = run(int(argv[0])) if argv else run()
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
