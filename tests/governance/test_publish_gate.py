"""The approval rule on every publish, on every channel (API, admin, command): what it needs, what it
says is missing, that a refusal changes nothing, and the rollback exemption."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from governance.models import Approval
from governance.services import approval_record, publish_policy_update
from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import PublishBlocked, persona_spec_publish
from tests.factories import api_client, make_user
from tests.governance.conftest import require_approvals
from tests.personas.admin_support import admin_client, run_action, text
from tests.personas.builders import example_spec, new_twin


def statuses(twin) -> dict[str, str]:
    with schema_context("acme"):
        return dict(PersonaSpec.objects.filter(twin=twin).values_list("version", "status"))


def actions(twin) -> list[str]:
    with schema_context("acme"):
        return list(AuditEvent.objects.filter(twin=twin).order_by("id").values_list("action", flat=True))


def blocked_messages(publisher, persona_spec) -> list[str]:
    with pytest.raises(PublishBlocked) as excinfo:
        persona_spec_publish(persona_spec=persona_spec, actor=publisher)
    return [block.message for block in excinfo.value.blocks]


# --- what it needs ----------------------------------------------------------------------------------

def test_without_a_policy_requiring_approval_nothing_changes(draft, publisher):
    assert persona_spec_publish(persona_spec=draft, actor=publisher).changed


def test_a_publish_needs_the_required_approvals_of_distinct_reviewers(draft, twin, rob, sam, publisher):
    require_approvals(twin, 2)
    [message] = blocked_messages(publisher, draft)
    assert message.startswith("Version 1.0.0 needs 2 approvals of its exact content; it has none. Ask: ")
    asked = message.removeprefix("Version 1.0.0 needs 2 approvals of its exact content; it has none. Ask: ")
    assert {"rob", "sam", "admin", "reviewer"} <= set(asked.rstrip(".").split(", "))
    assert "gov-author" not in asked  # the author may approve others' versions, not this one

    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")  # the same reviewer counts once
    [message] = blocked_messages(publisher, draft)
    assert message.startswith("Version 1.0.0 needs 2 approvals of its exact content; it has 1 (by rob). Ask: ")
    assert "rob" not in message.split("Ask: ")[1].split(", ")

    approval_record(persona_spec=draft, reviewer=sam, decision="approve")
    assert persona_spec_publish(persona_spec=draft, actor=publisher).action == "publish"
    assert actions(twin) == ["create", "approve", "approve", "approve", "publish"]


def test_an_approval_of_other_content_does_not_count(draft, twin, rob, publisher):
    require_approvals(twin, 1)
    Approval.objects.create(persona_spec=draft, sequence=1, spec_hash="f" * 64, reviewer=rob,
                            reviewer_username="rob", decision="approve")
    [message] = blocked_messages(publisher, draft)
    assert "needs 1 approval of its exact content; it has none" in message
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    assert persona_spec_publish(persona_spec=draft, actor=publisher).changed


def test_a_request_for_changes_blocks_until_that_reviewer_approves(draft, twin, rob, sam, publisher):
    require_approvals(twin, 1)
    approval_record(persona_spec=draft, reviewer=sam, decision="approve")
    approval_record(persona_spec=draft, reviewer=rob, decision="request_changes", comment="The tone is off.")
    assert blocked_messages(publisher, draft) == ["Changes were requested by rob: The tone is off."]
    approval_record(persona_spec=draft, reviewer=rob, decision="approve", comment="Fine after all.")
    assert persona_spec_publish(persona_spec=draft, actor=publisher).changed


def test_the_latest_decision_wins_an_approval_withdrawn_no_longer_counts(draft, twin, rob, publisher):
    require_approvals(twin, 1)
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    approval_record(persona_spec=draft, reviewer=rob, decision="request_changes", comment="On second thought, no.")
    messages = blocked_messages(publisher, draft)
    assert messages[0] == "Changes were requested by rob: On second thought, no."
    assert "it has none" in messages[1]


def test_the_tenant_default_applies_to_twins_without_their_own_policy(draft, twin, in_acme, publisher, rob):
    admin = make_user(in_acme, "gov-default-admin", perms=["governance.change_publishpolicy"])
    publish_policy_update(twin=None, actor=admin, require_approval=True)
    assert blocked_messages(publisher, draft)
    publish_policy_update(twin=twin, actor=admin, require_approval=False)  # the twin's own policy wins
    assert persona_spec_publish(persona_spec=draft, actor=publisher).changed


def test_when_nobody_else_may_approve_the_message_says_what_to_do(draft, twin, author, publisher):
    from django.contrib.auth import get_user_model

    require_approvals(twin, 1)
    get_user_model().objects.exclude(pk__in=[author.pk, publisher.pk]).update(is_active=False)
    [message] = blocked_messages(publisher, draft)
    assert message == ("Version 1.0.0 needs 1 approval of its exact content; it has none. Nobody else may approve "
                       "it yet: grant someone the approve permission (Persona approvers).")


# --- rollback and re-publish ----------------------------------------------------------------------

@pytest.fixture
def live_history(twin, author, publisher):
    """1.0.0 then 1.0.1 published before the twin required approvals; 1.0.1 is active."""
    first = persona_spec_create(twin=twin, actor=author, spec=example_spec())
    second = persona_spec_create(twin=twin, actor=author, spec=example_spec(constitution=["Be brief."]))
    persona_spec_publish(persona_spec=first, actor=publisher)
    persona_spec_publish(persona_spec=second, actor=publisher)
    require_approvals(twin, 1)
    return PersonaSpec.objects.get(pk=first.pk), PersonaSpec.objects.get(pk=second.pk)


def test_a_rollback_to_a_version_that_was_live_needs_no_approval(live_history, twin, publisher):
    first, second = live_history
    result = persona_spec_publish(persona_spec=first, actor=publisher, reason="Emergency: 1.0.1 misbehaves.")
    assert result.action == "rollback" and statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}


def test_a_republish_needs_approvals_and_says_how_to_get_them(live_history, twin, publisher):
    first, second = live_history
    persona_spec_publish(persona_spec=first, actor=publisher)
    [message] = blocked_messages(publisher, PersonaSpec.objects.get(pk=second.pk))
    assert message == ("Version 1.0.1 needs 1 approval of its exact content; it has none. It is no longer a draft, "
                       "so it cannot be reviewed: duplicate it as a new draft and have that one approved.")
    assert statuses(twin) == {"1.0.0": "active", "1.0.1": "archived"}


def test_a_rollback_to_a_version_never_live_needs_its_approvals(twin, author, publisher, rob):
    older = persona_spec_create(twin=twin, actor=author, spec=example_spec(), version="1.0.0")
    newer = persona_spec_create(twin=twin, actor=author, spec=example_spec(), version="1.1.0")
    persona_spec_publish(persona_spec=newer, actor=publisher)
    require_approvals(twin, 1)
    [message] = blocked_messages(publisher, older)
    assert "Version 1.0.0 needs 1 approval" in message
    approval_record(persona_spec=older, reviewer=rob, decision="approve")
    assert persona_spec_publish(persona_spec=older, actor=publisher).action == "rollback"


# --- every channel refuses, and a refusal changes nothing -------------------------------------------

def test_the_api_refuses_with_409_naming_what_is_missing(acme, draft, twin, rob, sam, publisher):
    require_approvals(twin, 2)
    approval_record(persona_spec=draft, reviewer=rob, decision="approve")
    before = actions(twin)
    response = api_client(acme, publisher).post(f"/api/twins/{twin.pk}/persona-specs/1.0.0/publish", {},
                                                format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"].startswith("Version 1.0.0 cannot be published: Version 1.0.0 needs 2 approvals of its "
                                     "exact content; it has 1 (by rob). Ask: ")
    assert [error["check"] for error in body["errors"]] == ["approvals"]
    assert "sam" in body["errors"][0]["message"]
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == before


def test_the_admin_refuses_with_the_message_and_changes_nothing(acme, draft, twin, publisher):
    require_approvals(twin, 1)
    before = actions(twin)
    client = admin_client(acme, publisher)
    for extra in ({}, {"confirm": "yes", "confirmation_state": "none"}):
        response = run_action(client, "publish_selected", draft, follow=True, **extra)
        html = text(response)
        assert "Could not publish version 1.0.0 of Governed twin. Nothing was changed." in html
        assert "Version 1.0.0 needs 1 approval of its exact content; it has none. Ask: " in html
        assert "persona-confirmation" not in html
    page = text(client.get(f"/admin/personas/personaspec/{draft.pk}/review/"))
    assert "Publish this version" not in page and "needs 1 approval of its exact content" in page
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == before


def test_the_command_refuses_with_the_message_and_changes_nothing(draft, twin, publisher):
    require_approvals(twin, 1)
    before = actions(twin)
    with pytest.raises(CommandError, match="needs 1 approval of its exact content; it has none"):
        call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor=publisher.username)
    assert statuses(twin) == {"1.0.0": "draft"} and actions(twin) == before


def test_generate_with_auto_publish_is_refused_too_and_stores_nothing(twin, publisher):
    from personas.services import persona_spec_generate

    require_approvals(twin, 1)
    with pytest.raises(PublishBlocked):
        persona_spec_generate(twin=twin, actor=publisher, auto_publish=True)
    assert statuses(twin) == {}


def test_a_policy_in_acme_has_no_effect_in_globex(acme, globex, twin, policy_admin):
    publish_policy_update(twin=None, actor=policy_admin, require_approval=True, approvals_required=3)
    with schema_context("globex"):
        globex_owner = make_user(globex, "gov-globex-owner")
        globex_twin = new_twin(globex_owner, "Globex governed twin")
        draft = persona_spec_create(twin=globex_twin, actor=globex_owner, spec=example_spec())
        assert persona_spec_publish(persona_spec=draft, actor=globex_owner).changed
