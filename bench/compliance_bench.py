"""Per-reply cost of the persona compliance check (`personas.compliance.check_compliance`).

Run from the repository root: `python -m bench.compliance_bench` prints a table; `run()` returns the
same figures as a JSON-ready dict (merged into bench/results.json by `make bench`).

All cases use personas/fixtures/persona_spec_max.json and replies of exactly 200 words, spread
evenly over the eight intent labels:

* check      four kinds of reply (plain prose; a bulleted list; one saying a banned phrase; one full of
             hedges and words of the anti-examples), what every chat reply pays (target ≤ 50 µs median)
* clean      the plain prose reply only: no rule finds anything to look at twice
* profile    building the compliance profile, done once per version inside `precompile`
"""

from __future__ import annotations

import json
import pickle
import platform
import sys
from pathlib import Path

from bench.compiler_bench import _timed
from personas.compiler import precompile
from personas.compliance import check_compliance, compliance_profile
from personas.spec import INTENT_LABELS, parse_spec

FIXTURE = Path(__file__).resolve().parents[1] / "personas" / "fixtures" / "persona_spec_max.json"
TARGET_MEDIAN_US = 50.0
REPLY_WORDS = 200
MESSAGE = "What is your view on our pricing strategy and hiring plans for the next round?"

_PROSE = (
    "Start with the constraint. Our pricing should follow the value customers see in the first month, "
    "not the cost of the pilot. Charge from day one, because a free pilot hides weak demand and teaches "
    "nothing about willingness to pay. Hire slowly for judgment roles and quickly for execution roles; "
    "the next two proof points decide how much to raise, and runway buys time to reach them."
)
_BULLETS = "\n".join(f"- Point {index}: {_PROSE.split('. ')[index % 4]}." for index in range(12))
_BANNED = _PROSE + " As an AI language model I cannot say. Banned 3 applies here."
_HEDGY = (
    "Maybe the value 4 is right, perhaps not. I think it depends, and it could be that language model "
    "rules might apply; I cannot say, I guess. " + _PROSE
)


def _words(text: str, count: int = REPLY_WORDS) -> str:
    words = text.split()
    return " ".join(words[index % len(words)] for index in range(count)) if "\n" not in text else _lines(text, count)


def _lines(text: str, count: int) -> str:
    lines, total = [], 0
    source = text.splitlines()
    while total < count:
        line = source[len(lines) % len(source)].split()[: count - total]
        lines.append(" ".join(line))
        total += len(line)
    return "\n".join(lines)


REPLIES = {name: _words(text) for name, text in
           (("prose", _PROSE), ("bullets", _BULLETS), ("banned", _BANNED), ("hedgy", _HEDGY))}
REQUESTS = [(intent, reply) for intent in INTENT_LABELS for reply in REPLIES.values()]


def run(repeat: int = 20_000) -> dict:
    raw_spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    compiled = precompile(raw_spec)
    spec = parse_spec(raw_spec)
    assert all(len(reply.split()) == REPLY_WORDS for reply in REPLIES.values())

    def check(index: int) -> object:
        intent, reply = REQUESTS[index % len(REQUESTS)]
        return check_compliance(compiled, intent, reply, MESSAGE)

    clean = REPLIES["prose"]
    cases = {
        "check": _timed(check, repeat, warmup=1000),
        "clean": _timed(lambda i: check_compliance(compiled, INTENT_LABELS[i % 8], clean, MESSAGE), repeat, warmup=1000),
        "profile": _timed(lambda i: compliance_profile(spec, compiled.intents), max(50, repeat // 100), warmup=10),
    }
    results = {
        name: check_compliance(compiled, "advice_or_stance", reply, MESSAGE).as_dict()
        for name, reply in REPLIES.items()
    }
    median = cases["check"]["median_us"]
    return {
        "benchmark": "persona_compliance",
        "fixture": "personas/fixtures/persona_spec_max.json",
        "reply_words": REPLY_WORDS,
        "requests": len(REQUESTS),
        "cases_us": cases,
        "profile_pickled_bytes": len(pickle.dumps(compiled.compliance, protocol=pickle.HIGHEST_PROTOCOL)),
        "sample_results_advice_or_stance": results,
        "target_median_us": TARGET_MEDIAN_US,
        "meets_target": median <= TARGET_MEDIAN_US,
        "python": platform.python_version(),
    }


_LABELS = {
    "check": "check / 200-word reply (4 kinds x 8 intents)",
    "clean": "check / 200-word plain prose reply",
    "profile": "build the profile / version (in precompile)",
}


def print_table(results: dict) -> None:
    width = max(map(len, _LABELS.values()))
    print(f"\npersona compliance on {results['fixture']} ({results['requests']} replies of "
          f"{results['reply_words']} words over 8 intents)")
    print(f"{'case':<{width}}  {'median µs':>10}  {'p95 µs':>10}  {'runs':>7}")
    for key, label in _LABELS.items():
        case = results["cases_us"][key]
        print(f"{label:<{width}}  {case['median_us']:>10.2f}  {case['p95_us']:>10.2f}  {case['iterations']:>7}")
    verdict = "meets" if results["meets_target"] else "MISSES"
    print(f"check {verdict} the {results['target_median_us']:.0f} µs target; "
          f"profile pickled size {results['profile_pickled_bytes']:,} bytes")
    for name, result in results["sample_results_advice_or_stance"].items():
        rules = ", ".join(violation["rule"] for violation in result["violations"]) or "none"
        print(f"  {name:<8} score {result['score']:.3f}, violated: {rules}")


def main(argv: list[str]) -> None:
    results = run(int(argv[0])) if argv else run()
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
