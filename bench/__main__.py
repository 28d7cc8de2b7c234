"""`make bench`: the persona compiler, the compliance check, the intent classifier and the chat runtime,
printed as a table and written to bench/results.json. Quote medians and ratios from one run: the machine is shared and noisy."""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

from bench import (
    chat_bench,
    compiler_bench,
    compliance_bench,
    eval_bench,
    intent_bench,
    stream_bench,
    tenants_bench,
    throughput_bench,
)

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> None:
    rounds = int(os.environ.get("BENCH_CHAT_ROUNDS", "150"))
    compiler = compiler_bench.run()
    compiler_bench.print_table(compiler)
    compliance = compliance_bench.run()
    compliance_bench.print_table(compliance)
    intents = intent_bench.run()
    intent_bench.print_table(intents)

    chat_bench.setup_django()
    token, spec_twin, legacy_twin, owner_id = chat_bench.fresh_bench_tenant()
    chat = chat_bench.chat_latency(token, spec_twin, legacy_twin, rounds)
    queries = chat_bench.query_counts(token, owner_id)
    evaluation = eval_bench.run(spec_twin)
    streamed = stream_bench.run(token, spec_twin, int(os.environ.get("BENCH_STREAM_ROUNDS", "30")))
    throughput = throughput_bench.run(token, throughput_bench.typical_twin(owner_id))
    compiled_sizes = tenants_bench.compiled_cache_sizes()

    print("\nChat request over HTTP (gunicorn, 1 worker, offline provider, messages stored)")
    print(f"  {'path':<16}{'median ms':>12}{'p95 ms':>10}")
    for label in ("persona_spec", "legacy"):
        print(f"  {label:<16}{chat['median_ms'][label]:>12.3f}{chat['p95_ms'][label]:>10.3f}")
    verdict = "meets" if chat["meets_target"] else "MISSES"
    print(f"  ratio spec/legacy {chat['ratio_spec_over_legacy']:.3f} ({verdict} the ≤ 1.10 target), "
          f"{chat['requests_per_path']} requests per path")

    print("\nSQL statements per request (SET search_path excluded; BEGIN/COMMIT counted)")
    counts = queries["queries_per_request"]
    targets = chat_bench.STATEMENT_TARGETS
    print(f"  {'endpoint':<20}{'10 versions':>12}{'1,000 versions':>16}{'target':>10}")
    for endpoint in counts[10]:
        target = targets.get(endpoint)
        verdict = "" if target is None else f"≤ {target} " + (
            "meets" if max(counts[10][endpoint], counts[1000][endpoint]) <= target else "MISSES")
        print(f"  {endpoint:<20}{counts[10][endpoint]:>12}{counts[1000][endpoint]:>16}  {verdict}")
    print(f"  equal for 10 and 1,000 versions: {queries['equal_for_10_and_1000_versions']}")
    eval_bench.print_table(evaluation)
    stream_bench.print_table(streamed)
    throughput_bench.print_table(throughput)
    print("\nCached compiled spec per active twin, pickled (Redis memory per twin): "
          + ", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in compiled_sizes.items()))

    results = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "compiler": compiler,
        "compliance": compliance,
        "intent_classifier": intents,
        "chat_http": chat,
        "evaluation_run": evaluation,
        "chat_stream": streamed,
        "throughput": throughput,
        "compiled_spec_pickled_bytes": compiled_sizes,
        **queries,
    }
    if RESULTS.exists():  # `make bench-tenants` keeps its own section: it runs separately (much longer)
        earlier = json.loads(RESULTS.read_text())
        if "tenants" in earlier:
            results["tenants"] = earlier["tenants"]
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
