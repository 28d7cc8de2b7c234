"""The publish gate on evaluation results: refused on the API, the admin and the command until a run of
the exact content meets the policy; the audited override; rollbacks exempt; per tenant."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from evaluations.models import EvalRun
from evaluations.runner import execute_run
from evaluations.services import eval_case_create, eval_run_request
from governance.selectors import publish_policy_for
from governance.services import publish_policy_update
from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import PublishBlocked, persona_spec_publish
from tests.factories import api_client, make_user
from tests.personas.admin_support import admin_client, review_url, run_action, text
from tests.personas.builders import example_spec, new_twin

OVERRIDER_PERMS = ["personas.view_personaspec", "personas.publish_personaspec", "personas.override_publish_gate",
                   "personas.view_auditevent", "twins.view_twin"]


@pytest.fixture
def policy_admin(in_acme):
    return make_user(in_acme, "gate-policy-admin", perms=["governance.change_publishpolicy"])


@pytest.fixture
def gated(in_acme, eval_owner, policy_admin):
    """A twin whose policy requires a passing evaluation, with a draft 1.0.0 and one written case."""
    twin = new_twin(eval_owner, "Gated twin")
    publish_policy_update(twin=twin, actor=policy_admin, require_evaluation=True, min_pass_rate=1.0)
    draft = persona_spec_create(twin=twin, actor=eval_owner, spec=example_spec())
    eval_case_create(twin=twin, actor=eval_owner, data={"name": "greeting", "message": "Hello, who are you?"})
    return twin, draft


def statuses(twin) -> dict[str, str]:
    return dict(PersonaSpec.objects.filter(twin=twin).values_list("version", "status"))


def evaluate(draft, owner, *, fail: bool = False) -> EvalRun:
    run = execute_run(eval_run_request(persona_spec=draft, actor=owner).run.pk)
    if fail:  # the same content failing one case (what a worse model would do)
        result = run.results.first()
        result.passed = False
        result.save()
        summary = {**run.summary, "passed": run.summary["passed"] - 1, "failed": run.summary["failed"] + 1}
        summary["pass_rate"] = round(summary["passed"] / summary["cases"], 4)
        EvalRun.objects.filter(pk=run.pk).update(status="failed", summary=summary)
        run.refresh_from_db()
    return run


def test_without_a_run_the_publish_is_refused_and_names_what_is_missing(gated, eval_owner):
    twin, draft = gated
    with pytest.raises(PublishBlocked) as excinfo:
        persona_spec_publish(persona_spec=draft, actor=eval_owner)
    assert "needs a finished evaluation run of its exact content" in excinfo.value.message
    assert excinfo.value.blocks[0].overridable and statuses(twin) == {"1.0.0": "draft"}


def test_a_failing_run_blocks_with_its_id_and_a_passing_run_of_the_same_content_opens_the_gate(gated, eval_owner):
    twin, draft = gated
    failing = evaluate(draft, eval_owner, fail=True)
    with pytest.raises(PublishBlocked) as excinfo:
        persona_spec_publish(persona_spec=draft, actor=eval_owner)
    assert str(failing.pk) in excinfo.value.message and "below the required 100%" in excinfo.value.message
    passing = evaluate(draft, eval_owner)
    assert passing.status == "passed", passing.summary
    assert persona_spec_publish(persona_spec=draft, actor=eval_owner).changed
    assert statuses(twin) == {"1.0.0": "active"}


def test_a_run_of_other_content_does_not_count(gated, eval_owner):
    twin, draft = gated
    evaluate(draft, eval_owner)
    other = persona_spec_create(twin=twin, actor=eval_owner, spec=example_spec(constitution=["Be brief."]))
    with pytest.raises(PublishBlocked):
        persona_spec_publish(persona_spec=other, actor=eval_owner)


def test_the_api_refuses_with_409_and_the_override_needs_the_permission_and_a_reason(acme, gated, eval_owner):
    twin, draft = gated
    url = f"/api/twins/{twin.pk}/persona-specs/1.0.0/publish"
    owner_client = api_client(acme, eval_owner)
    refused = owner_client.post(url, {}, format="json")
    assert refused.status_code == 409 and refused.json()["errors"][0]["check"] == "evaluation"
    no_permission = owner_client.post(url, {"override_gate": True, "reason": "urgent"}, format="json")
    assert no_permission.status_code == 403  # the owner rule does not cover overriding
    overrider = api_client(acme, make_user(acme, "gate-overrider", perms=OVERRIDER_PERMS))
    no_reason = overrider.post(url, {"override_gate": True}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["path"] == "/reason"
    with schema_context("acme"):
        assert statuses(twin) == {"1.0.0": "draft"}
    done = overrider.post(url, {"override_gate": True, "reason": "Legal deadline; evaluated by hand."}, format="json")
    assert done.status_code == 200 and done.json()["action"] == "publish"
    with schema_context("acme"):
        override = AuditEvent.objects.get(twin=twin, action="gate_override")
        assert (override.reason, override.actor_username) == ("Legal deadline; evaluated by hand.", "gate-overrider")
        assert override.details["blocks"][0]["check"] == "evaluation"


def test_the_admin_refuses_and_offers_the_override_to_who_may(in_acme, gated, eval_owner):
    twin, draft = gated
    publisher = make_user(in_acme, "gate-publisher", perms=OVERRIDER_PERMS[:2] + OVERRIDER_PERMS[3:], staff=True)
    refused = text(run_action(admin_client(in_acme, publisher), "publish_selected", draft, follow=True))
    assert "needs a finished evaluation run" in refused and statuses(twin) == {"1.0.0": "draft"}

    overrider = make_user(in_acme, "gate-admin-overrider", perms=OVERRIDER_PERMS, staff=True)
    client = admin_client(in_acme, overrider)
    page = text(run_action(client, "publish_selected", draft))
    assert 'id="gate-blocks"' in page and 'name="override_gate"' in page
    state = re.search(r'name="confirmation_state" value="([^"]+)"', page).group(1)
    without_reason = text(run_action(client, "publish_selected", draft, follow=True, confirm="yes",
                                     confirmation_state=state, override_gate="yes"))
    assert "A reason is required to override the publish gate." in without_reason
    run_action(client, "publish_selected", draft, follow=True, confirm="yes", confirmation_state=state,
               override_gate="yes", reason="Signed off in the launch review.")
    assert statuses(twin) == {"1.0.0": "active"}
    review = text(client.get(review_url(draft)))
    assert "Published over the publish gate" in review and "Signed off in the launch review." in review


def test_the_command_is_refused_too(gated, eval_owner):
    twin, draft = gated
    with pytest.raises(CommandError, match="needs a finished evaluation run"):
        call_command("publish_persona_spec", str(twin.pk), "1.0.0", actor=eval_owner.username)


def test_a_rollback_is_exempt_and_another_tenant_is_not_gated(gated, eval_owner):
    twin, draft = gated
    evaluate(draft, eval_owner)
    persona_spec_publish(persona_spec=draft, actor=eval_owner)
    newer = persona_spec_create(twin=twin, actor=eval_owner, spec=example_spec(constitution=["Be brief."]))
    evaluate(newer, eval_owner)
    persona_spec_publish(persona_spec=newer, actor=eval_owner)
    assert persona_spec_publish(persona_spec=draft, actor=eval_owner).action == "rollback"  # no run needed again
    with schema_context("globex"):
        assert publish_policy_for(None).require_evaluation is False
