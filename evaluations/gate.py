"""The publish gate: with `require_evaluation` in the twin's publish policy, a version goes live only
with a finished evaluation run of its exact content (spec hash) on the configured provider that meets
the policy. Registered as a publish check, so every channel (API, admin, command) applies it; its
blocks are overridable by a user with `personas.override_publish_gate` and a reason (audited).

A rollback to an earlier version is exempt, like the approvals check: it must stay possible in an
emergency, and that version went live before.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.providers import configured_provider
from evaluations.models import EvalRun
from evaluations.selectors import latest_finished_run
from personas.publish_checks import PublishBlock, PublishCandidate, register_publish_check

CHECK_NAME = "evaluation"


@dataclass(frozen=True)
class EvaluationPolicy:
    require_evaluation: bool = False
    min_pass_rate: float = 1.0
    allow_regressions: bool = False
    min_compliance: float | None = None


def evaluation_policy_for(twin, candidate: PublishCandidate | None = None) -> EvaluationPolicy:
    from governance.selectors import publish_policy_for, publish_policy_for_candidate

    policy = (publish_policy_for_candidate(candidate) if candidate is not None else publish_policy_for(twin)).row
    return EvaluationPolicy(
        require_evaluation=policy.require_evaluation, min_pass_rate=policy.min_pass_rate,
        allow_regressions=policy.allow_regressions, min_compliance=policy.min_compliance,
    )


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    reasons: tuple[str, ...]
    run: EvalRun | None


def gate_verdict(persona_spec, policy: EvaluationPolicy | None = None) -> GateVerdict:
    """Whether `persona_spec`'s evaluations meet its twin's policy, and why not (also shown in the admin)."""
    policy = policy or evaluation_policy_for(persona_spec.twin)
    provider = configured_provider()
    run = latest_finished_run(persona_spec, provider=provider.name, model=provider.model)
    version = persona_spec.version
    if run is None:
        pending = EvalRun.objects.filter(persona_spec=persona_spec, spec_hash=persona_spec.spec_hash,
                                         status__in=EvalRun.UNFINISHED).first()
        why = (f"run {pending.pk} is still {pending.status}" if pending
               else "none has run yet: run an evaluation first")
        return GateVerdict(False, (f"Version {version} needs a finished evaluation run of its exact content on "
                                   f"{provider.name} ({provider.model}); {why}.",), pending)
    summary, reasons = run.summary or {}, []
    pass_rate = summary.get("pass_rate")
    if pass_rate is None or pass_rate < policy.min_pass_rate:
        reasons.append(f"its evaluation run {run.pk} passed {summary.get('passed', 0)} of {summary.get('cases', 0)} "
                       f"cases ({_percent(pass_rate)}), below the required {_percent(policy.min_pass_rate)}.")
    regressions = summary.get("regressions") or []
    if regressions and not policy.allow_regressions:
        reasons.append(f"its evaluation run {run.pk} has {len(regressions)} regression(s) against the active "
                       f"version: {', '.join(regressions[:5])}{'…' if len(regressions) > 5 else ''}.")
    compliance = summary.get("compliance_mean")
    if policy.min_compliance is not None and (compliance is None or compliance < policy.min_compliance):
        reasons.append(f"its evaluation run {run.pk} has a mean compliance of {_percent(compliance)}, below the "
                       f"required {_percent(policy.min_compliance)}.")
    return GateVerdict(not reasons, tuple(f"Version {version}: {reason}" for reason in reasons), run)


def _percent(value) -> str:
    return "none" if value is None else f"{value:.0%}"


@register_publish_check(CHECK_NAME)
def evaluation_gate(candidate: PublishCandidate):
    if candidate.action == "rollback":
        return
    policy = evaluation_policy_for(candidate.twin, candidate)
    if not policy.require_evaluation:
        return
    verdict = gate_verdict(candidate.persona_spec, policy)
    for reason in verdict.reasons:
        yield PublishBlock(CHECK_NAME, reason, overridable=True,
                           details={"run_id": str(verdict.run.pk) if verdict.run else None})
