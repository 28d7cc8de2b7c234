"""The "Approvals" panel on a version's review page in the admin (registered with personas' review
panels): the twin's policy, where the version stands, every decision on it, and for a reviewer who
may decide, the form whose buttons post to `ApprovalAdmin.decide_view`."""

from __future__ import annotations

from django.urls import reverse

from governance.selectors import PolicySource, approval_status, approvals_of, publish_policy_for
from governance.services import may_change_publish_policies
from personas.models import PersonaSpec
from personas.permissions import SpecAction, may, users_who_may
from personas.review_panels import ReviewPanel, register_review_panel

TEMPLATE = "admin/governance/approvals_panel.html"


def why_user_may_not_review(user, persona_spec) -> str | None:
    """Why `user` may not approve or request changes on this version, or None when they may
    (the same rules `approval_record` enforces, phrased for the page)."""
    if persona_spec.status != PersonaSpec.Status.DRAFT:
        return f"Only drafts can be reviewed: version {persona_spec.version} is {persona_spec.get_status_display().lower()}."
    if not may(user, SpecAction.APPROVE, persona_spec.twin):
        return "You may not approve versions: that needs the approve permission (the group “Persona approvers”)."
    if persona_spec.created_by_id == user.pk:
        return f"You wrote version {persona_spec.version}: someone else must review it."
    return None


def approvals_panel_context(request, persona_spec) -> dict:
    policy = publish_policy_for(persona_spec.twin)
    status = approval_status(persona_spec, policy)
    refusal = why_user_may_not_review(request.user, persona_spec)
    author = persona_spec.created_by.username if persona_spec.created_by_id else None
    who_can = [name for name in users_who_may(SpecAction.APPROVE, persona_spec.twin) if name != author]
    return {
        "policy": policy,
        "status": status,
        "approvals": list(approvals_of(persona_spec)),
        "may_review": refusal is None,
        "refusal": refusal,
        "who_can": who_can if refusal and persona_spec.status == PersonaSpec.Status.DRAFT else [],
        "decide_url": reverse("admin:governance_approval_decide", args=[persona_spec.pk]),
        "policy_url": _policy_url(request, persona_spec.twin, policy),
    }


def _policy_url(request, twin, policy) -> str | None:
    """Where a user who may change policies edits this twin's: its own policy, or a new one for it."""
    if not may_change_publish_policies(request.user):
        return None
    if policy.source == PolicySource.TWIN:
        return reverse("admin:governance_publishpolicy_change", args=[policy.row.pk])
    return f"{reverse('admin:governance_publishpolicy_add')}?twin={twin.pk}"


register_review_panel(ReviewPanel("approvals", TEMPLATE, approvals_panel_context, order=10))
