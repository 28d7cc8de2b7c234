"""Reads of evaluations: a twin's cases, the suite a run executes, runs and their baselines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from evaluations.models import EvalCase, EvalResult, EvalRun
from personas.models import PersonaSpec
from personas.permissions import SpecAction, require


@dataclass(frozen=True)
class SuiteItem:
    key: str
    source: str
    name: str
    message: str
    case: EvalCase | None = None
    interaction_context: str | None = None
    expected_intent: str | None = None
    expect: dict = field(default_factory=dict)


def eval_case_list(*, twin, user) -> QuerySet[EvalCase]:
    require(user, SpecAction.VIEW, twin)
    return EvalCase.objects.filter(twin=twin).order_by("name")


def eval_case_get(*, twin, user, case_id) -> EvalCase:
    try:
        return eval_case_list(twin=twin, user=user).get(pk=case_id)
    except (EvalCase.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise NotFound("Evaluation case not found.") from None


def suite_for(twin, persona_spec: PersonaSpec) -> list[SuiteItem]:
    """The twin's active written cases (by name), then one case per canonical example of the version:
    its prompt as the message, routed to its intent label (so a twin with no written cases still
    has a suite)."""
    items = [
        SuiteItem(key=str(case.pk), source=EvalResult.Source.CASE, name=case.name, message=case.message, case=case,
                  interaction_context=case.interaction_context or None,
                  expected_intent=case.expected_intent or None, expect=case.expect or {})
        for case in EvalCase.objects.filter(twin=twin, active=True).order_by("name")
    ]
    for index, example in enumerate(persona_spec.spec.get("canonical_examples") or []):
        if not isinstance(example, dict) or not isinstance(example.get("prompt"), str):
            continue
        example_id = example.get("id") or f"/canonical_examples/{index}"
        items.append(SuiteItem(
            key=f"spec_example:{example_id}", source=EvalResult.Source.SPEC_EXAMPLE,
            name=f"canonical example {example_id}", message=example["prompt"],
            expected_intent=example.get("intent_label"),
        ))
    return items


def suite_size(twin, persona_spec: PersonaSpec) -> int:
    return len(suite_for(twin, persona_spec))


def eval_run_list(*, persona_spec: PersonaSpec, user) -> QuerySet[EvalRun]:
    require(user, SpecAction.VIEW, persona_spec.twin)
    return EvalRun.objects.filter(persona_spec=persona_spec).order_by("-created_at", "-id")


def eval_run_get(*, twin, user, run_id) -> EvalRun:
    require(user, SpecAction.VIEW, twin)
    try:
        return EvalRun.objects.select_related("persona_spec", "requested_by").get(pk=run_id, twin=twin)
    except (EvalRun.DoesNotExist, ValueError, ValidationError):  # ValidationError: not a UUID
        raise NotFound("Evaluation run not found.") from None


def latest_finished_run(persona_spec: PersonaSpec, *, exclude_pk=None, provider: str | None = None,
                        model: str | None = None) -> EvalRun | None:
    """The newest run of exactly this content that finished (passed or failed), on `provider`/`model`
    when given."""
    runs = EvalRun.objects.filter(persona_spec=persona_spec, spec_hash=persona_spec.spec_hash,
                                  status__in=[EvalRun.Status.PASSED, EvalRun.Status.FAILED])
    if provider is not None:
        runs = runs.filter(provider=provider, model=model)
    if exclude_pk is not None:
        runs = runs.exclude(pk=exclude_pk)
    return runs.order_by("-finished_at", "-created_at").first()


def latest_run(persona_spec: PersonaSpec) -> EvalRun | None:
    return EvalRun.objects.filter(persona_spec=persona_spec).order_by("-created_at", "-id").first()


def baseline_outcomes(run: EvalRun) -> dict:
    """{case key: passed} of the latest finished run of the twin's active version (the run regressions
    are measured against), with its id under "__run_id__"; empty when there is none."""
    active = PersonaSpec.objects.of_twin(run.twin_id).active().first()
    if active is None:
        return {}
    baseline = latest_finished_run(active, exclude_pk=run.pk)
    if baseline is None:
        return {}
    outcomes = dict(baseline.results.values_list("case_key", "passed"))
    outcomes["__run_id__"] = str(baseline.pk)
    return outcomes


def unpicked(run: EvalRun) -> bool:
    """Queued for longer than `EVAL_UNPICKED_AFTER_SECONDS`: no worker has taken it."""
    return run.status == EvalRun.Status.QUEUED and (
        timezone.now() - run.created_at > timedelta(seconds=settings.EVAL_UNPICKED_AFTER_SECONDS))
