"""Executing one evaluation run, inside its tenant's schema (the task sets it).

Each case goes through the renderer chat uses (`personas.prompting`, for the version under test as if
it were active) and the configured provider (`chat.runtime.answer`), with at most
`EVAL_CONCURRENCY` calls in flight and the provider's own timeout and retry. Prompts are rendered
and results written in the calling thread; the worker threads only wait on the model, so they need
no database connection. A provider failure marks that case, not the run; the run as a whole has a
time limit, after which the cases not answered are recorded as not run and the run is an error.
A run cancelled meanwhile (`evaluations.services.eval_run_cancel`) stops asking within
`CANCEL_CHECK_SECONDS` and keeps its status: every status change here applies only to an unfinished run.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chat.llm import LLMError
from chat.providers import configured_provider
from chat.runtime import answer
from evaluations.checks import DEFAULT_MIN_COMPLIANCE, Check, case_checks
from evaluations.models import EvalCase, EvalResult, EvalRun
from evaluations.selectors import baseline_outcomes, suite_for
from personas.prompting import DEFAULT_INTERACTION_CONTEXT, SystemPrompt, preview_system_prompt
from personas.spec import SpecValidationError

logger = logging.getLogger(__name__)

# How often a running run looks whether it was cancelled: one small query at most this often.
CANCEL_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class PlannedCase:
    """One case of a run, with its prompt rendered and nothing asked yet."""

    position: int
    key: str
    case: EvalCase | None
    source: str
    name: str
    message: str
    expected_intent: str | None
    expect: dict
    prompt: SystemPrompt
    min_compliance: float | None


@dataclass(frozen=True)
class Outcome:
    planned: PlannedCase
    reply: str
    trace: dict
    error: str = ""


def execute_run(run_id) -> EvalRun:
    """Run every case of `run_id` and record its results; returns the finished run."""
    run = EvalRun.objects.select_related("persona_spec__twin__owner", "twin__owner").get(pk=run_id)
    if run.finished:
        return run
    try:
        planned = _plan(run)
    except SpecValidationError as exc:
        return _finish(run, EvalRun.Status.ERROR, error=f"version {run.version} does not compile: {exc}")
    started = EvalRun.objects.filter(pk=run.pk, status__in=EvalRun.UNFINISHED).update(
        status=EvalRun.Status.RUNNING, started_at=timezone.now(), progress_total=len(planned), progress_done=0)
    if not started:  # cancelled while its prompts were rendered
        run.refresh_from_db()
        return run
    if not planned:
        return _finish(run, EvalRun.Status.ERROR, error="nothing to evaluate: the twin has no active cases and "
                                                        "the version no canonical examples")
    outcomes, timed_out = _ask_all(run, planned)
    if _cancelled(run):
        run.refresh_from_db()
        return run
    return _summarise(run, outcomes, timed_out)


def _plan(run: EvalRun) -> list[PlannedCase]:
    persona_spec = run.persona_spec
    persona_spec.twin = run.twin
    min_compliance = _policy_min_compliance(run.twin)
    planned = []
    for position, item in enumerate(suite_for(run.twin, persona_spec)):
        prompt = preview_system_prompt(
            persona_spec, message=item.message,
            interaction_context=item.interaction_context or DEFAULT_INTERACTION_CONTEXT,
            intent_label=None,
        )
        planned.append(PlannedCase(
            position=position, key=item.key, case=item.case, source=item.source, name=item.name,
            message=item.message, expected_intent=item.expected_intent, expect=item.expect, prompt=prompt,
            min_compliance=(min_compliance if item.source == EvalResult.Source.SPEC_EXAMPLE else None),
        ))
    return planned


def _policy_min_compliance(twin) -> float:
    from evaluations.gate import evaluation_policy_for

    policy = evaluation_policy_for(twin)
    return policy.min_compliance if policy.min_compliance is not None else DEFAULT_MIN_COMPLIANCE


def _ask_all(run: EvalRun, planned: list[PlannedCase]) -> tuple[list[Outcome], list[PlannedCase]]:
    provider = configured_provider()
    deadline = time.monotonic() + settings.EVAL_RUN_TIME_LIMIT_SECONDS
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, settings.EVAL_CONCURRENCY), thread_name_prefix="eval")
    try:
        pending = {pool.submit(_ask, run.twin, item, provider): item for item in planned}
        next_cancel_check = time.monotonic() + CANCEL_CHECK_SECONDS
        while pending:
            now = time.monotonic()
            if now >= deadline:
                break
            if now >= next_cancel_check:
                if _cancelled(run):
                    break
                next_cancel_check = now + CANCEL_CHECK_SECONDS
            timeout = min(deadline, next_cancel_check) - now
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                outcome = future.result()
                outcomes.append(outcome)
                _record(run, outcome)
        timed_out = list(pending.values())
        for future in pending:
            future.cancel()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes, timed_out


def _cancelled(run: EvalRun) -> bool:
    return EvalRun.objects.filter(pk=run.pk, status=EvalRun.Status.CANCELLED).exists()


def _ask(twin, item: PlannedCase, provider) -> Outcome:
    """In a worker thread: only the model call and pure checks, no database."""
    try:
        answered = answer(twin=twin, prompt=item.prompt, message=item.message, provider=provider)
    except LLMError as exc:
        return Outcome(item, "", dict(item.prompt.trace), error=f"{exc.kind}: {exc.message}")
    except Exception as exc:  # a provider bug costs this case, never the run
        logger.exception("evaluation case %s failed", item.key)
        return Outcome(item, "", dict(item.prompt.trace), error=f"{exc.__class__.__name__}: {exc}")
    return Outcome(item, answered.completion.text, answered.trace)


def _checks(outcome: Outcome) -> list[Check]:
    item = outcome.planned
    if outcome.error:
        return [Check("provider", False, outcome.error)]
    return case_checks(
        expect=item.expect, expected_intent=item.expected_intent, intent_label=outcome.trace.get("intent_label"),
        reply=outcome.reply, banned_phrase_hits=outcome.trace.get("banned_phrase_hits", []),
        compliance=outcome.trace.get("compliance"), min_compliance=item.min_compliance,
    )


def _record(run: EvalRun, outcome: Outcome) -> None:
    item, checks = outcome.planned, _checks(outcome)
    with transaction.atomic():
        EvalResult.objects.create(
            run=run, position=item.position, case_key=item.key, case=item.case, source=item.source,
            name=item.name, message=item.message, intent_label=outcome.trace.get("intent_label") or "",
            reply=outcome.reply, prompt_fingerprint=outcome.trace.get("prompt_fingerprint", ""),
            compliance=outcome.trace.get("compliance") or {}, checks=[check.as_dict() for check in checks],
            passed=all(check.passed for check in checks), latency_ms=outcome.trace.get("latency_ms") or 0,
            error=outcome.error,
        )
        EvalRun.objects.filter(pk=run.pk).update(progress_done=F("progress_done") + 1)


def _summarise(run: EvalRun, outcomes: list[Outcome], timed_out: list[PlannedCase]) -> EvalRun:
    for item in timed_out:
        check = Check("time_limit", False, f"not answered within the run's {settings.EVAL_RUN_TIME_LIMIT_SECONDS} s")
        EvalResult.objects.create(
            run=run, position=item.position, case_key=item.key, case=item.case, source=item.source, name=item.name,
            message=item.message, checks=[check.as_dict()], passed=False, error="time limit",
        )
    results = list(run.results.values("case_key", "passed", "compliance"))
    passed = sum(1 for result in results if result["passed"])
    scores = [result["compliance"]["score"] for result in results if result["compliance"].get("score") is not None]
    baseline = baseline_outcomes(run)
    regressions = sorted(r["case_key"] for r in results if not r["passed"] and baseline.get(r["case_key"]) is True)
    summary = {
        "cases": len(results),
        "passed": passed,
        "failed": len(results) - passed,
        "pass_rate": round(passed / len(results), 4) if results else None,
        "compliance_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "regressions": regressions,
        "baseline_run_id": baseline.get("__run_id__"),
    }
    if timed_out:
        return _finish(run, EvalRun.Status.ERROR, summary=summary,
                       error=f"time limit of {settings.EVAL_RUN_TIME_LIMIT_SECONDS} s reached with "
                             f"{len(timed_out)} case(s) unanswered")
    return _finish(run, EvalRun.Status.PASSED if passed == len(results) else EvalRun.Status.FAILED, summary=summary)


def _finish(run: EvalRun, status: str, *, summary: dict | None = None, error: str = "") -> EvalRun:
    # Only an unfinished run: a cancellation that came first stands.
    EvalRun.objects.filter(pk=run.pk, status__in=EvalRun.UNFINISHED).update(
        status=status, summary=summary or {}, error=error, finished_at=timezone.now())
    run.refresh_from_db()
    return run
