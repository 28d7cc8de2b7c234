"""An evaluation run of 100 cases against an OpenAI-compatible server on 127.0.0.1 that answers after
200 ms: the runner's wall time against the ideal 100 × 200 ms ÷ EVAL_CONCURRENCY (target: within 25%).

Run inside `make bench` after the bench tenant exists (it uses the twin with the max spec: its 30
canonical examples plus 70 written cases make the 100).
"""

from __future__ import annotations

import time

CASES = 100
DELAY_S = 0.2
TARGET_OVERHEAD = 0.25


def run(spec_twin_id: str) -> dict:
    from django.conf import settings
    from django_tenants.utils import schema_context

    from evaluations.models import EvalCase, EvalRun
    from evaluations.runner import execute_run
    from personas.models import PersonaSpec
    from tests.fake_model import fake_model

    concurrency = settings.EVAL_CONCURRENCY
    with schema_context("bench"):
        spec = PersonaSpec.objects.of_twin(spec_twin_id).active().select_related("twin").get()
        examples = len(spec.spec.get("canonical_examples") or [])
        EvalCase.objects.filter(twin_id=spec_twin_id).delete()
        EvalCase.objects.bulk_create(EvalCase(twin_id=spec_twin_id, name=f"bench case {index:03}",
                                              message=f"Question {index}: should we raise a seed round now?")
                                     for index in range(CASES - examples))
        with fake_model(lambda message: "Raise only what buys the next two proof points.", delay_s=DELAY_S) as (
                url, log):
            saved = (settings.LLM_PROVIDER, settings.LLM_BASE_URL, settings.LLM_MODEL)
            settings.LLM_PROVIDER, settings.LLM_BASE_URL, settings.LLM_MODEL = "openai", url, "bench-model"
            try:
                eval_run = EvalRun.objects.create(
                    twin=spec.twin, persona_spec=spec, version=spec.version, spec_hash=spec.spec_hash,
                    provider="openai", model="bench-model", progress_total=CASES)
                started = time.perf_counter()
                finished = execute_run(eval_run.pk)
                wall = time.perf_counter() - started
            finally:
                settings.LLM_PROVIDER, settings.LLM_BASE_URL, settings.LLM_MODEL = saved
    ideal = CASES * DELAY_S / concurrency
    return {
        "cases": finished.summary.get("cases"),
        "status": finished.status,
        "concurrency": concurrency,
        "max_in_flight": log.max_in_flight,
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "ratio": round(wall / ideal, 3),
        "meets_target": wall <= ideal * (1 + TARGET_OVERHEAD),
    }


def print_table(results: dict) -> None:
    verdict = "meets" if results["meets_target"] else "MISSES"
    print(f"\nEvaluation run: {results['cases']} cases, model answering after {DELAY_S * 1000:.0f} ms, "
          f"concurrency {results['concurrency']} (max in flight {results['max_in_flight']})")
    print(f"  wall {results['wall_s']:.2f} s against ideal {results['ideal_s']:.2f} s: ratio {results['ratio']:.3f} "
          f"({verdict} the ≤ {1 + TARGET_OVERHEAD:.2f} target)")
