"""The approval rule, added to every publish, re-publish and rollback on every channel.

When the twin's effective policy requires approval, a version may go live only with enough distinct
reviewers whose latest decision approves its exact content (`governance.selectors.approval_status`),
and no reviewer whose latest decision asks for changes. Nobody can waive this: the blocks are not
overridable.

A rollback to a version that was live before is exempt: it restores content the twin already ran,
and an emergency rollback must never wait for a review. A "rollback" to an older version that was
never published is new content going live, and needs its approvals like any publish.
"""

from __future__ import annotations

from governance.selectors import approval_status, publish_policy_for_candidate
from personas.models import AuditEvent, PersonaSpec
from personas.publish_checks import PublishBlock, PublishCandidate, register_publish_check

CHECK_NAME = "approvals"


def _approvals(count: int) -> str:
    return f"{count} approval" if count == 1 else f"{count} approvals"


@register_publish_check(CHECK_NAME)
def approvals_check(candidate: PublishCandidate):
    persona_spec = candidate.persona_spec
    if candidate.action == AuditEvent.Action.ROLLBACK and persona_spec.published_at is not None:
        return
    policy = publish_policy_for_candidate(candidate)
    if not policy.approvals_needed:
        return
    status = approval_status(persona_spec, policy)
    for username, comment in status.changes_requested:
        yield PublishBlock(CHECK_NAME, f"Changes were requested by {username}: {comment}",
                           details={"changes_requested_by": username})
    if status.missing:
        yield PublishBlock(CHECK_NAME, _missing_message(status), details={
            "required": status.required, "approved_by": status.approved_by})


def _missing_message(status) -> str:
    version = status.persona_spec.version
    if status.approved_by:
        has = f"it has {len(status.approved_by)} (by {', '.join(status.approved_by)})"
    else:
        has = "it has none"
    message = f"Version {version} needs {_approvals(status.required)} of its exact content; {has}."
    if status.persona_spec.status != PersonaSpec.Status.DRAFT:
        return (f"{message} It is no longer a draft, so it cannot be reviewed: duplicate it as a new draft "
                f"and have that one approved.")
    ask = status.reviewers_to_ask()
    if ask:
        return f"{message} Ask: {', '.join(ask)}."
    return f"{message} Nobody else may approve it yet: grant someone the approve permission (Persona approvers)."
