"""Per-request cost of the persona prompt: the plain path against the precompiled hot path.

Run from the repository root: `python -m bench.compiler_bench` prints a table; `run()` returns the
same figures as a JSON-ready dict (merged into bench/results.json by `make bench`).

All cases use personas/fixtures/persona_spec_max.json (30 canonical and 30 anti examples, 40
modules) with requests spread evenly over the eight intent labels:

* plain        validate + compile + render on every request (what the hot path avoids)
* precompile   the cold step done once per published version (cache miss): validation of the raw
               spec, then everything every intent's chat turn needs (prompt parts, example tokens,
               compliance profile), all eagerly; nothing is left for a first request to build.
               Nothing is memoised across calls either, so timing the same spec again and again
               measures the cold path, not a cache
* validate     `parse_spec` alone: the validation part of `precompile`
* hot          `CompiledSpec.render_with_fingerprint`: what a chat request pays
* hot, text    `CompiledSpec.render`: the same without the sha256 fingerprint
* hot, ranked  no intent, so no module names the few-shots and all 30 examples are ranked
               against the query: the most per-request work the hot path can do on this spec
* unpickle     loading the compiled form from a shared cache (Redis) on a local-cache miss
"""

from __future__ import annotations

import gc
import json
import pickle
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from personas.compiler import compile_plan, precompile, render
from personas.spec import INTENT_LABELS, parse_spec

FIXTURE = Path(__file__).resolve().parents[1] / "personas" / "fixtures" / "persona_spec_max.json"
TARGET_HOT_MEDIAN_US = 40.0
# The cold path: validate + precompile a version (every publish, cache miss, preview, diff, eval case).
TARGET_PRECOMPILE_MEDIAN_US = 500.0

# Two queries per intent label: one in the classifier's own words, one sharing words with the
# fixture's examples so ranking has overlaps to count.
QUERIES = {
    "factual_with_evidence": ["What was our runway at the end of Q2?", "Question 8 about pricing strategy"],
    "advice_or_stance": ["Should we raise a seed round now?", "What is your view on hiring plans?"],
    "action_or_tool_execution": ["Send the investor update to the board.", "Draft the pricing strategy email"],
    "ambiguity_or_clarify": ["What do you think about it?", "Which plans do you mean?"],
    "disagreement_or_conflict": ["I disagree, free pilots work for us.", "Your hiring plans are wrong"],
    "summarize_or_transform": ["Summarize this memo in three bullets.", "Rewrite our pricing strategy"],
    "meta_or_system": ["Are you an AI? Which model are you?", "How were your answers configured?"],
    "sensitive_boundary_or_refusal": ["Can you give me tax advice on my options?", "Is this hiring plan legal?"],
}
REQUESTS = [(intent, query) for intent in INTENT_LABELS for query in QUERIES[intent]]


def _timed(call: Callable[[int], object], iterations: int, warmup: int, *, cpu: bool = False) -> dict[str, float]:
    """Median and p95 in µs of `call(i)` for i in range(iterations), timed one call at a time.

    With `cpu`, also the median CPU time of this process per call (`cpu_median_us`): on a shared
    machine a call of a millisecond or more is often preempted, and its wall time then measures the
    neighbours; its CPU time does not. Only for slow cases: reading the CPU clock costs a little."""
    for index in range(warmup):
        call(index)
    samples, cpu_samples = [], []
    gc.collect()
    gc.disable()  # a collection inside one sample would measure the collector, not the code
    try:
        for index in range(iterations):
            if cpu:
                cpu_started = time.process_time_ns()
            started = time.perf_counter_ns()
            call(index)
            samples.append(time.perf_counter_ns() - started)
            if cpu:
                cpu_samples.append(time.process_time_ns() - cpu_started)
    finally:
        gc.enable()
    samples.sort()
    result = {
        "median_us": round(statistics.median(samples) / 1000, 2),
        "p95_us": round(samples[int(0.95 * (len(samples) - 1))] / 1000, 2),
        "iterations": iterations,
    }
    if cpu:
        result["cpu_median_us"] = round(statistics.median(cpu_samples) / 1000, 2)
    return result


def run(repeat: int = 20_000) -> dict:
    """`repeat` hot-path requests per hot case; the slow cases scale down from it (about 5 s total)."""
    raw_spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    compiled = precompile(raw_spec)
    pickled = pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL)
    slow_repeat = max(50, repeat // 50)

    def request(index: int) -> tuple[str, str]:
        return REQUESTS[index % len(REQUESTS)]

    cases = {
        "plain": _timed(lambda i: render(compile_plan(raw_spec, *request(i))), slow_repeat, warmup=20, cpu=True),
        "precompile": _timed(lambda i: precompile(raw_spec), slow_repeat, warmup=10, cpu=True),
        "validate": _timed(lambda i: parse_spec(raw_spec), slow_repeat, warmup=10, cpu=True),
        "hot": _timed(lambda i: compiled.render_with_fingerprint(*request(i)), repeat, warmup=1000),
        "hot_text_only": _timed(lambda i: compiled.render(*request(i)), repeat, warmup=1000),
        "hot_ranked": _timed(lambda i: compiled.render_with_fingerprint(None, request(i)[1]), repeat, warmup=1000),
        "unpickle": _timed(lambda i: pickle.loads(pickled), slow_repeat * 4, warmup=20),
    }
    lengths = [len(compiled.render(intent, query)) for intent, query in REQUESTS]
    hot_median = cases["hot"]["median_us"]
    return {
        "benchmark": "persona_compiler",
        "fixture": "personas/fixtures/persona_spec_max.json",
        "requests": len(REQUESTS),
        "rendered_chars_median": int(statistics.median(lengths)),
        "pickled_bytes": len(pickled),
        "cases_us": cases,
        "speedup_plain_over_hot": round(cases["plain"]["median_us"] / hot_median, 1),
        "target_hot_median_us": TARGET_HOT_MEDIAN_US,
        "meets_target": hot_median <= TARGET_HOT_MEDIAN_US,
        "target_precompile_median_us": TARGET_PRECOMPILE_MEDIAN_US,
        "precompile_meets_target": cases["precompile"]["median_us"] <= TARGET_PRECOMPILE_MEDIAN_US,
        "precompile_cpu_meets_target": cases["precompile"]["cpu_median_us"] <= TARGET_PRECOMPILE_MEDIAN_US,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.system()}",
    }


_LABELS = {
    "plain": "plain validate+compile+render / request",
    "precompile": "cold validate+precompile / version",
    "validate": "  of which validate (parse_spec)",
    "hot": "precompiled render+fingerprint / request",
    "hot_text_only": "precompiled render, no fingerprint",
    "hot_ranked": "precompiled, no intent (ranks 30 examples)",
    "unpickle": "unpickle CompiledSpec (cache hit)",
}


def print_table(results: dict) -> None:
    width = max(map(len, _LABELS.values()))
    print(f"persona compiler on {results['fixture']} ({results['requests']} requests over 8 intents, "
          f"~{results['rendered_chars_median']:,} chars rendered)")
    print(f"{'case':<{width}}  {'median µs':>10}  {'p95 µs':>10}  {'runs':>7}  {'CPU median µs':>14}")
    for key, label in _LABELS.items():
        case = results["cases_us"][key]
        cpu = f"{case['cpu_median_us']:>14.2f}" if "cpu_median_us" in case else ""
        print(f"{label:<{width}}  {case['median_us']:>10.2f}  {case['p95_us']:>10.2f}  {case['iterations']:>7}  {cpu}")
    verdict = "meets" if results["meets_target"] else "MISSES"
    print(f"plain / precompiled: {results['speedup_plain_over_hot']}x; hot path {verdict} the "
          f"{results['target_hot_median_us']:.0f} µs target; pickled size {results['pickled_bytes']:,} bytes")
    cold, precompile_case = results["cases_us"]["precompile"], results["target_precompile_median_us"]
    verdicts = [f"wall {cold['median_us']:.0f} µs " + ("meets" if results["precompile_meets_target"] else "MISSES"),
                f"CPU {cold['cpu_median_us']:.0f} µs " + ("meets" if results["precompile_cpu_meets_target"] else "MISSES")]
    print(f"cold validate+precompile median: {'; '.join(verdicts)} the ≤ {precompile_case:.0f} µs target")


def main(argv: list[str]) -> None:
    results = run(int(argv[0])) if argv else run()
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
