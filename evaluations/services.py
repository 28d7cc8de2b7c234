"""Every write of evaluations: cases (one by one and as JSON Lines), run requests and cancellations.

Cases are the spec authors' (they need `personas.add_personaspec` on the twin, or to own it); a run
costs model calls, so asking for one needs the same. Services raise `core.errors`, never responses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chat.providers import configured_provider
from core.errors import Conflict, ValidationFailed
from evaluations.case_schema import CaseDocument, CaseInvalid, parse_case, parse_jsonl
from evaluations.models import EvalCase, EvalRun
from evaluations.selectors import suite_size
from personas.models import PersonaSpec
from personas.permissions import SpecAction, require

STALLED_GRACE_SECONDS = 120
CASE_FIELDS = ("name", "message", "interaction_context", "expected_intent", "expect", "tags", "active")


def case_document(case: EvalCase) -> dict:
    """A stored case as the document a team writes (the API's body, one JSON Lines line)."""
    return {
        "name": case.name, "message": case.message, "interaction_context": case.interaction_context or None,
        "expected_intent": case.expected_intent or None, "expect": dict(case.expect or {}),
        "tags": list(case.tags or []), "active": case.active,
    }


def _validated(data: object, prefix: str = "") -> CaseDocument:
    try:
        return parse_case(data, prefix=prefix)
    except CaseInvalid as invalid:
        raise ValidationFailed("The evaluation case is invalid.", errors=invalid.errors) from None


def _apply(case: EvalCase, document: CaseDocument) -> None:
    stored = document.as_stored()
    case.name, case.message = stored["name"], stored["message"]
    case.interaction_context = stored["interaction_context"] or ""
    case.expected_intent = stored["expected_intent"] or ""
    case.expect, case.tags, case.active = stored["expect"], stored["tags"], stored["active"]


def _save(case: EvalCase) -> EvalCase:
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # the unique (twin, name) constraint
        raise Conflict(f"The twin already has a case named {case.name!r}.",
                       errors=[{"path": "/name", "message": "already used by another case of this twin"}]) from None
    return case


@transaction.atomic
def eval_case_create(*, twin, actor, data: object) -> EvalCase:
    require(actor, SpecAction.ADD, twin)
    case = EvalCase(twin=twin, created_by=actor)
    _apply(case, _validated(data))
    return _save(case)


@transaction.atomic
def eval_case_update(*, case: EvalCase, actor, changes: object) -> EvalCase:
    """PATCH: the changes merged into the stored document, then validated as a whole."""
    require(actor, SpecAction.ADD, case.twin)
    if not isinstance(changes, dict):
        raise ValidationFailed("The changes must be a JSON object.", errors=[{"path": "", "message": "must be an object"}])
    _apply(case, _validated({**case_document(case), **changes}))
    return _save(case)


@transaction.atomic
def eval_case_delete(*, case: EvalCase, actor) -> None:
    require(actor, SpecAction.ADD, case.twin)
    case.delete()


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def eval_cases_import(*, twin, actor, jsonl: str) -> ImportResult:
    """Upsert the cases of a JSON Lines document by name: all of them or, on any problem, none."""
    require(actor, SpecAction.ADD, twin)
    try:
        documents = parse_jsonl(jsonl)
    except CaseInvalid as invalid:
        raise ValidationFailed("The JSON Lines document has invalid cases; nothing was imported.",
                               errors=invalid.errors) from None
    existing = {case.name: case for case in EvalCase.objects.select_for_update().filter(twin=twin)}
    created = updated = unchanged = 0
    for document in documents:
        case = existing.get(document.name)
        if case is None:
            case, created = EvalCase(twin=twin, created_by=actor), created + 1
        elif case_document(case) == {**document.as_stored()}:
            unchanged += 1
            continue
        else:
            updated += 1
        _apply(case, document)
        case.save()
    return ImportResult(created, updated, unchanged)


def eval_cases_export(*, cases) -> str:
    return "".join(json.dumps(case_document(case), ensure_ascii=False, sort_keys=True) + "\n" for case in cases)


@dataclass(frozen=True)
class RunRequest:
    run: EvalRun
    created: bool  # False: a run of the same content and provider was already queued or running


def eval_run_request(*, persona_spec: PersonaSpec, actor) -> RunRequest:
    """Queue a run of `persona_spec` on the configured provider, or answer the one already queued or
    running for the same content and provider (no duplicate model calls)."""
    twin = persona_spec.twin
    require(actor, SpecAction.ADD, twin)
    provider = configured_provider()
    size = suite_size(twin, persona_spec)
    if size > settings.EVAL_MAX_CASES_PER_RUN:
        raise Conflict(
            f"This run would have {size} cases; a run is limited to {settings.EVAL_MAX_CASES_PER_RUN} "
            f"(EVAL_MAX_CASES_PER_RUN). Deactivate some cases.")
    unfinished = dict(twin=twin, spec_hash=persona_spec.spec_hash, provider=provider.name, model=provider.model,
                      status__in=EvalRun.UNFINISHED)
    _abandon_stalled(EvalRun.objects.filter(**unfinished))
    existing = EvalRun.objects.filter(**unfinished).first()
    if existing is not None:
        return RunRequest(existing, created=False)
    try:
        with transaction.atomic():
            run = EvalRun.objects.create(
                twin=twin, persona_spec=persona_spec, version=persona_spec.version, spec_hash=persona_spec.spec_hash,
                provider=provider.name, model=provider.model, requested_by=actor, progress_total=size,
            )
            schema_name = connection.schema_name
            transaction.on_commit(lambda: _enqueue(schema_name, run.pk))
    except IntegrityError:  # a concurrent request queued the same run first (partial unique index)
        return RunRequest(EvalRun.objects.get(**unfinished), created=False)
    return RunRequest(run, created=True)


def eval_run_cancel(*, run: EvalRun, actor) -> EvalRun:
    """Cancel a queued or running run: it is finished at once, as "cancelled", and never counts for the
    publish gate. A queued run is not started (its job finds it finished); a running one stops asking
    the model within a second (`evaluations.runner`), keeping the results it recorded; the calls already
    in flight end on their own, unrecorded. The same permission as asking for a run; Conflict when the
    run has already finished."""
    require(actor, SpecAction.ADD, run.twin)
    cancelled = EvalRun.objects.filter(pk=run.pk, status__in=EvalRun.UNFINISHED).update(
        status=EvalRun.Status.CANCELLED, finished_at=timezone.now(), error=f"Cancelled by {actor.username}.")
    run.refresh_from_db()
    if not cancelled:
        raise Conflict(f"Evaluation run {run.pk} has already finished ({run.status}): nothing to cancel.")
    return run


def _abandon_stalled(runs) -> None:
    """A run still "running" well past the time limit lost its worker (killed, redeployed): it will
    never finish, so it must not stand in for a new run of the same content."""
    cutoff = timezone.now() - timedelta(seconds=settings.EVAL_RUN_TIME_LIMIT_SECONDS + STALLED_GRACE_SECONDS)
    runs.filter(status=EvalRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=EvalRun.Status.ERROR, finished_at=timezone.now(),
        error="The worker stopped before this run finished (it ran past the time limit); run it again.")


def _enqueue(schema_name: str, run_id) -> None:
    from evaluations.tasks import run_evaluation

    run_evaluation.defer(schema_name=schema_name, run_id=str(run_id))
