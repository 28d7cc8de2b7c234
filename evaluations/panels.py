"""The "Evaluation" panel on a version's review page (registered with personas' review panels): the
version's latest run beside the active version's, case by case (regressions first, failing checks
highlighted), a "Run evaluation" button saying how many model calls it will make, the progress of a
running run (with a button to cancel it), and the publish gate's verdict."""

from __future__ import annotations

from django.urls import reverse

from chat.providers import configured_provider
from evaluations.gate import evaluation_policy_for, gate_verdict
from evaluations.models import EvalRun
from evaluations.selectors import latest_finished_run, latest_run, suite_size, unpicked
from personas.models import PersonaSpec
from personas.permissions import SpecAction, may
from personas.review_panels import ReviewPanel, register_review_panel

TEMPLATE = "admin/evaluations/evaluation_panel.html"


def evaluation_panel_context(request, persona_spec) -> dict:
    run = latest_run(persona_spec)
    active = PersonaSpec.objects.of_twin(persona_spec.twin_id).active().first()
    active_run = latest_finished_run(active) if active is not None and active.pk != persona_spec.pk else None
    provider = configured_provider()
    policy = evaluation_policy_for(persona_spec.twin)
    return {
        "run": run,
        "running": run is not None and not run.finished,
        "unpicked": run is not None and unpicked(run),
        "rows": _rows(run, active_run) if run is not None and run.finished else [],
        "active": active,
        "active_run": active_run,
        "model_calls": suite_size(persona_spec.twin, persona_spec),
        "provider": provider,
        "may_run": may(request.user, SpecAction.ADD, persona_spec.twin),
        "run_url": reverse("admin:evaluations_evalrun_request", args=[persona_spec.pk]),
        "policy": policy,
        "gate": gate_verdict(persona_spec, policy) if policy.require_evaluation else None,
        "run_admin_url": reverse("admin:evaluations_evalrun_change", args=[run.pk]) if run else None,
        "cancel_url": reverse("admin:evaluations_evalrun_cancel", args=[run.pk]) if run else None,
    }


def _rows(run: EvalRun, active_run: EvalRun | None) -> list[dict]:
    """Case by case: this run's result and the active version's; regressions first, then failures."""
    baseline = {result.case_key: result for result in active_run.results.all()} if active_run else {}
    rows = []
    for result in run.results.all():
        before = baseline.get(result.case_key)
        regression = before is not None and before.passed and not result.passed
        rows.append({"result": result, "before": before, "regression": regression,
                     "failed_checks": [check for check in result.checks if not check["passed"]]})
    rows.sort(key=lambda row: (not row["regression"], row["result"].passed, row["result"].position))
    return rows


register_review_panel(ReviewPanel("evaluation", TEMPLATE, evaluation_panel_context, order=20))
