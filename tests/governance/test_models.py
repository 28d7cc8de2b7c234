"""What the database keeps whatever the application does: approvals and policy changes are
append-only, a tenant has one default policy, the policy's bounds, and a request for changes has a
comment. Each refusal is checked in a savepoint, so the test goes on."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from governance.models import Approval, PolicyChange, PublishPolicy
from governance.services import approval_record


def refused(run) -> bool:
    try:
        with transaction.atomic():
            run()
    except IntegrityError:
        return True
    return False


def test_approvals_are_append_only(draft, rob):
    approval = approval_record(persona_spec=draft, reviewer=rob, decision="approve", comment="Good.")
    assert refused(lambda: Approval.objects.filter(pk=approval.pk).update(comment="Edited."))
    assert refused(lambda: Approval.objects.filter(pk=approval.pk).update(spec_hash="0" * 64))
    assert refused(lambda: Approval.objects.filter(pk=approval.pk).delete())
    assert Approval.objects.get(pk=approval.pk).comment == "Good."


def test_only_a_deleted_reviewers_link_may_be_cleared(draft, rob):
    approval = Approval.objects.create(persona_spec=draft, sequence=1, spec_hash=draft.spec_hash, reviewer=rob,
                                       reviewer_username="rob", decision="approve")
    assert refused(lambda: Approval.objects.filter(pk=approval.pk).update(reviewer=None, comment="x"))
    with connection.cursor() as cursor:  # what Django's on_delete=SET_NULL does when the user is deleted
        cursor.execute("UPDATE governance_approval SET reviewer_id = NULL WHERE id = %s", [approval.pk])
    kept = Approval.objects.get(pk=approval.pk)
    assert (kept.reviewer_id, kept.reviewer_username) == (None, "rob")


def test_policy_changes_are_append_only(twin, policy_admin):
    change = PolicyChange.objects.create(actor=policy_admin, actor_username="x", channel="api", twin=twin,
                                         before={}, after={})
    assert refused(lambda: PolicyChange.objects.filter(pk=change.pk).update(after={"require_approval": False}))
    assert refused(lambda: PolicyChange.objects.filter(pk=change.pk).delete())


def test_a_tenant_has_at_most_one_default_policy_and_a_twin_one_policy(twin):
    PublishPolicy.objects.create(twin=None)
    assert refused(lambda: PublishPolicy.objects.create(twin=None))
    PublishPolicy.objects.create(twin=twin)
    assert refused(lambda: PublishPolicy.objects.create(twin=twin))


@pytest.mark.parametrize("count", [0, 11])
def test_approvals_required_stays_between_1_and_10(twin, count):
    assert refused(lambda: PublishPolicy.objects.create(twin=twin, approvals_required=count))


def test_a_request_for_changes_without_a_comment_is_refused(draft, rob):
    assert refused(lambda: Approval.objects.create(persona_spec=draft, sequence=1, spec_hash=draft.spec_hash,
                                                   reviewer=rob, reviewer_username="rob", decision="request_changes"))
    assert refused(lambda: Approval.objects.create(persona_spec=draft, sequence=1, spec_hash=draft.spec_hash,
                                                   reviewer=rob, reviewer_username="rob", decision="veto",
                                                   comment="No."))
