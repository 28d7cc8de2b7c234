"""The governance services on real PostgreSQL: who may review a version and how, who may change a
publish policy, and what each writes (or, when refused, does not)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.errors import Conflict, PermissionDenied, ValidationFailed
from governance.models import Approval, PolicyChange, PublishPolicy
from governance.selectors import approval_status, publish_policy_for
from governance.services import approval_record, publish_policy_update
from personas.models import AuditEvent
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.governance.conftest import require_approvals
from tests.personas.builders import new_twin


def trail(twin) -> list[tuple]:
    return list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", "actor_username", "version"))


# --- approvals ------------------------------------------------------------------------------------

def test_an_approval_records_the_decision_bound_to_the_content_and_an_audit_event(draft, rob):
    approval = approval_record(persona_spec=draft, reviewer=rob, decision="approve", comment=" Reads well. ",
                               channel="admin")
    assert (approval.spec_hash, approval.reviewer_username, approval.comment, approval.sequence) == (
        draft.spec_hash, "rob", "Reads well.", 1)
    event = AuditEvent.objects.filter(twin=draft.twin).first()
    assert (event.action, event.channel, event.version, event.actor_username, event.reason) == (
        "approve", "admin", "1.0.0", "rob", "Reads well.")
    assert event.details == {"decision": "approve", "comment": "Reads well.", "spec_hash": draft.spec_hash,
                             "approval_id": str(approval.pk)}


def test_the_author_cannot_review_their_own_version_and_nothing_is_written(draft, author):
    before = trail(draft.twin)
    for decision in ("approve", "request_changes"):
        with pytest.raises(PermissionDenied, match="You wrote version 1.0.0: someone else must review it."):
            approval_record(persona_spec=draft, reviewer=author, decision=decision, comment="fine")
    assert not Approval.objects.exists() and trail(draft.twin) == before


def test_approving_needs_the_permission_even_for_the_twins_owner(draft, owner, in_acme):
    drafter = make_user(in_acme, perms=["personas.add_personaspec", "personas.publish_personaspec"])
    for user in (owner, drafter):
        with pytest.raises(PermissionDenied, match="approve permission"):
            approval_record(persona_spec=draft, reviewer=user, decision="approve")
    assert not Approval.objects.exists()


def test_only_drafts_can_be_reviewed(draft, owner, rob):
    persona_spec_publish(persona_spec=draft, actor=owner)
    draft.refresh_from_db()
    before = trail(draft.twin)
    with pytest.raises(Conflict, match="Version 1.0.0 is active: only drafts can be reviewed"):
        approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    assert not Approval.objects.exists() and trail(draft.twin) == before


def test_a_request_for_changes_needs_a_comment(draft, rob):
    with pytest.raises(ValidationFailed) as excinfo:
        approval_record(persona_spec=draft, reviewer=rob, decision="request_changes", comment="   ")
    assert [error["path"] for error in excinfo.value.errors] == ["/comment"]
    with pytest.raises(ValidationFailed) as excinfo:
        approval_record(persona_spec=draft, reviewer=rob, decision="maybe", comment="x" * 2001)
    assert [error["path"] for error in excinfo.value.errors] == ["/decision", "/comment"]
    assert not Approval.objects.exists()
    approval = approval_record(persona_spec=draft, reviewer=rob, decision="request_changes", comment="Too long.")
    assert AuditEvent.objects.filter(twin=draft.twin).first().action == "request_changes"
    assert approval.decision == "request_changes"


def test_decisions_are_numbered_per_version(draft, rob, sam):
    approval_record(persona_spec=draft, reviewer=rob, decision="request_changes", comment="Shorter.")
    approval_record(persona_spec=draft, reviewer=sam, decision="approve")
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    assert list(Approval.objects.order_by("sequence").values_list("sequence", "reviewer_username", "decision")) == [
        (1, "rob", "request_changes"), (2, "sam", "approve"), (3, "rob", "approve")]


# --- approval status ------------------------------------------------------------------------------

def test_the_latest_decision_of_each_reviewer_counts(draft, twin, rob, sam):
    require_approvals(twin, 2)
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    status = approval_status(draft)
    assert (status.required, status.approved_by, status.missing, status.satisfied) == (2, ["rob"], 1, False)
    approval_record(persona_spec=draft, reviewer=sam, decision="approve")
    assert approval_status(draft).satisfied
    approval_record(persona_spec=draft, reviewer=sam, decision="request_changes", comment="Wait: tone.")
    status = approval_status(draft)
    assert (status.approved_by, status.changes_requested, status.satisfied) == (["rob"], [("sam", "Wait: tone.")],
                                                                                 False)


def test_an_approval_of_other_content_does_not_count(draft, twin, rob):
    require_approvals(twin, 1)
    Approval.objects.create(persona_spec=draft, sequence=1, spec_hash="0" * 64, reviewer=rob,
                            reviewer_username="rob", decision="approve")
    status = approval_status(draft)
    assert status.approved_by == [] and not status.satisfied


def test_without_a_policy_requiring_approval_the_status_is_satisfied(draft):
    status = approval_status(draft)
    assert (status.required, status.satisfied, status.policy.source) == (0, True, "default")


# --- publish policies ------------------------------------------------------------------------------

def test_the_effective_policy_is_the_twins_else_the_tenant_default_else_built_in(twin, in_acme):
    other = new_twin(twin.owner, "Other twin")
    policy = publish_policy_for(twin)
    assert (policy.source, policy.require_approval, policy.approvals_required, policy.updated_at) == (
        "default", False, 1, None)
    PublishPolicy.objects.create(twin=None, require_approval=True, approvals_required=3)
    assert (publish_policy_for(twin).source, publish_policy_for(twin).approvals_needed) == ("tenant", 3)
    PublishPolicy.objects.create(twin=twin, require_approval=False, approvals_required=1)
    assert (publish_policy_for(twin).source, publish_policy_for(twin).approvals_needed) == ("twin", 0)
    assert publish_policy_for(other).source == "tenant"


def test_a_policy_change_needs_the_permission_not_ownership(twin, owner):
    require_approvals(twin, 1)
    with pytest.raises(PermissionDenied, match="may not change publish policies"):
        publish_policy_update(twin=twin, actor=owner, require_approval=False)
    with pytest.raises(PermissionDenied):
        publish_policy_update(twin=None, actor=owner, require_approval=False)
    assert publish_policy_for(twin).require_approval and not PolicyChange.objects.filter(actor=owner).exists()


def test_a_twin_policy_change_is_logged_and_in_the_twins_audit_trail(twin, policy_admin):
    PublishPolicy.objects.create(twin=None, require_approval=True, approvals_required=2)
    policy = publish_policy_update(twin=twin, actor=policy_admin, channel="api", approvals_required=3)
    assert (policy.source, policy.require_approval, policy.approvals_required, policy.updated_by) == (
        "twin", True, 3, policy_admin)
    before = {"require_approval": True, "approvals_required": 2, **GATE_DEFAULTS, "source": "tenant"}
    after = {"require_approval": True, "approvals_required": 3, **GATE_DEFAULTS, "source": "twin"}
    event = AuditEvent.objects.get(twin=twin)
    assert (event.action, event.channel, event.actor_username, event.version) == (
        "policy_change", "api", "gov-policy-admin", "")
    assert event.details == {"before": before, "after": after}
    change = PolicyChange.objects.get(twin=twin)
    assert (change.twin, change.before, change.after, change.channel) == (twin, before, after, "api")


GATE_DEFAULTS = {"require_evaluation": False, "min_pass_rate": 1.0, "allow_regressions": False, "min_compliance": None}


def test_a_tenant_default_change_is_logged_without_an_audit_event(twin, policy_admin):
    events = AuditEvent.objects.count()
    publish_policy_update(twin=None, actor=policy_admin, channel="admin", require_approval=True)
    publish_policy_update(twin=None, actor=policy_admin, channel="admin", approvals_required=2)
    changes = list(PolicyChange.objects.filter(twin=None).order_by("id").values_list("twin", "before", "after"))
    assert changes == [
        (None, {"require_approval": False, "approvals_required": 1, **GATE_DEFAULTS, "source": "default"},
         {"require_approval": True, "approvals_required": 1, **GATE_DEFAULTS, "source": "tenant"}),
        (None, {"require_approval": True, "approvals_required": 1, **GATE_DEFAULTS, "source": "tenant"},
         {"require_approval": True, "approvals_required": 2, **GATE_DEFAULTS, "source": "tenant"}),
    ]
    assert AuditEvent.objects.count() == events
    assert PublishPolicy.objects.filter(twin__isnull=True).count() == 1
    assert publish_policy_for(twin).approvals_needed == 2


def test_a_policy_change_that_changes_nothing_writes_nothing(twin, policy_admin):
    publish_policy_update(twin=twin, actor=policy_admin, require_approval=True)
    publish_policy_update(twin=twin, actor=policy_admin, require_approval=True, approvals_required=1)
    assert PolicyChange.objects.filter(twin=twin).count() == 1 and AuditEvent.objects.filter(twin=twin).count() == 1


@pytest.mark.parametrize("fields, path", [({"approvals_required": 0}, "/approvals_required"),
                                          ({"approvals_required": 11}, "/approvals_required"),
                                          ({"require_approval": "perhaps"}, "/require_approval"),
                                          ({"min_pass_rate": 1.5}, "/min_pass_rate"),
                                          ({"min_compliance": -0.1}, "/min_compliance"),
                                          ({"colour": "blue"}, "/colour")])
def test_an_invalid_policy_is_refused_with_its_path_and_nothing_written(twin, policy_admin, fields, path):
    with pytest.raises(ValidationFailed) as excinfo:
        publish_policy_update(twin=twin, actor=policy_admin, **fields)
    assert path in {error["path"] for error in excinfo.value.errors}
    assert not PublishPolicy.objects.filter(twin=twin).exists() and not PolicyChange.objects.filter(twin=twin).exists()


def test_a_policy_in_one_tenant_has_no_effect_in_another(twin, policy_admin, globex):
    publish_policy_update(twin=None, actor=policy_admin, require_approval=True, approvals_required=2)
    with schema_context("globex"):
        globex_twin = new_twin(make_user(globex, "gov-globex-owner"), "Globex twin")
        assert publish_policy_for(globex_twin).source == "default"
        assert not PublishPolicy.objects.exists()
