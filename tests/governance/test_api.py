"""The publish policy and approval endpoints over the test client on tenant hosts."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from governance.models import Approval, PolicyChange, PublishPolicy
from governance.services import approval_record
from personas.models import AuditEvent
from personas.transitions import persona_spec_publish
from tests.factories import api_client, make_user
from tests.governance.conftest import require_approvals

GATE_DEFAULTS = {"require_evaluation": False, "min_pass_rate": 1.0, "allow_regressions": False, "min_compliance": None}
POLICY_FIELDS = {"require_approval", "approvals_required", *GATE_DEFAULTS, "source", "updated_at", "updated_by"}
APPROVAL_FIELDS = {"id", "version", "spec_hash", "reviewer", "decision", "comment", "created_at",
                   "matches_current_content"}


def policy_url(twin) -> str:
    return f"/api/twins/{twin.pk}/publish-policy"


def approvals_url(twin, version="1.0.0") -> str:
    return f"/api/twins/{twin.pk}/persona-specs/{version}/approvals"


# --- publish policy ---------------------------------------------------------------------------------

def test_a_twins_policy_says_where_it_comes_from(acme, twin, owner, policy_admin):
    client = api_client(acme, owner)
    body = client.get(policy_url(twin)).json()
    assert body == {"require_approval": False, "approvals_required": 1, **GATE_DEFAULTS, "source": "default",
                    "updated_at": None, "updated_by": None}
    with schema_context("acme"):
        PublishPolicy.objects.create(twin=None, require_approval=True, approvals_required=2, updated_by=policy_admin)
    body = client.get(policy_url(twin)).json()
    assert set(body) == POLICY_FIELDS
    assert (body["source"], body["approvals_required"], body["updated_by"]) == ("tenant", 2, "gov-policy-admin")
    assert client.get("/api/publish-policy").json()["source"] == "tenant"
    with schema_context("acme"):
        require_approvals(twin, 3)
    assert client.get(policy_url(twin)).json()["source"] == "twin"
    assert client.get("/api/publish-policy").json()["approvals_required"] == 2


def test_put_sets_the_twins_policy_with_an_audit_event(acme, twin, owner, policy_admin):
    client = api_client(acme, policy_admin)
    response = client.put(policy_url(twin), {"require_approval": True, "approvals_required": 2}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["source"], body["require_approval"], body["approvals_required"], body["updated_by"]) == (
        "twin", True, 2, "gov-policy-admin")
    with schema_context("acme"):
        event = AuditEvent.objects.get(twin=twin)
    assert (event.action, event.channel) == ("policy_change", "api")
    assert event.details["after"] == {"require_approval": True, "approvals_required": 2, **GATE_DEFAULTS,
                                      "source": "twin"}
    trail = api_client(acme, owner).get(f"/api/twins/{twin.pk}/audit-events").json()["results"]
    assert trail[0]["action"] == "policy_change" and trail[0]["details"]["before"]["source"] == "default"


def test_put_sets_the_tenant_default(acme, twin, policy_admin, owner):
    response = api_client(acme, policy_admin).put("/api/publish-policy/", {"require_approval": True,
                                                                          "approvals_required": 1}, format="json")
    assert response.status_code == 200 and response.json()["source"] == "tenant"
    assert api_client(acme, owner).get(policy_url(twin) + "/").json()["require_approval"] is True
    with schema_context("acme"):
        assert PolicyChange.objects.filter(twin=None).count() == 1


@pytest.mark.parametrize("body, path", [
    ({"require_approval": True, "approvals_required": 0}, "/approvals_required"),
    ({"require_approval": True, "approvals_required": 11}, "/approvals_required"),
    ({"require_approval": True, "approvals_required": "two"}, "/approvals_required"),
    ({"approvals_required": 2}, "/require_approval"),
    ({"require_approval": "perhaps", "approvals_required": 2}, "/require_approval"),
])
def test_put_validates_with_json_pointer_paths_and_writes_nothing(acme, twin, policy_admin, body, path):
    for url in (policy_url(twin), "/api/publish-policy"):
        response = api_client(acme, policy_admin).put(url, body, format="json")
        assert response.status_code == 400
        assert path in {error["path"] for error in response.json()["errors"]}
    with schema_context("acme"):
        assert not PublishPolicy.objects.filter(twin=twin).exists()
        assert not PublishPolicy.objects.filter(twin=None).exists()


def test_put_needs_the_permission_the_owner_included(acme, twin, owner, in_acme):
    with schema_context("acme"):
        require_approvals(twin, 1)
        publisher = make_user(acme, perms=["personas.publish_personaspec", "governance.view_publishpolicy"])
    body = {"require_approval": False, "approvals_required": 1}
    for user in (owner, publisher):
        for url in (policy_url(twin), "/api/publish-policy"):
            response = api_client(acme, user).put(url, body, format="json")
            assert response.status_code == 403
            assert "may not change publish policies" in response.json()["detail"]
    with schema_context("acme"):
        assert PublishPolicy.objects.get(twin=twin).require_approval
        assert not AuditEvent.objects.filter(twin=twin).exists()


def test_who_may_not_see_the_twin_gets_404_and_anonymous_401(acme, twin):
    stranger = make_user(acme)
    assert api_client(acme, stranger).get(policy_url(twin)).status_code == 404
    assert api_client(acme, stranger).get("/api/publish-policy").status_code == 200
    assert api_client(acme).get("/api/publish-policy").status_code == 401
    assert api_client(acme).get(policy_url(twin)).status_code == 401


# --- approvals ------------------------------------------------------------------------------------

def test_post_records_an_approval(acme, draft, twin, rob):
    response = api_client(acme, rob).post(approvals_url(twin), {"decision": "approve", "comment": "Good."},
                                          format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == APPROVAL_FIELDS
    assert (body["version"], body["spec_hash"], body["reviewer"], body["decision"], body["comment"],
            body["matches_current_content"]) == ("1.0.0", draft.spec_hash, "rob", "approve", "Good.", True)
    with schema_context("acme"):
        assert AuditEvent.objects.filter(twin=twin).first().action == "approve"


def test_get_lists_decisions_newest_first_with_the_status(acme, draft, twin, rob, sam):
    with schema_context("acme"):
        require_approvals(twin, 2)
        approval_record(persona_spec=draft, reviewer=rob, decision="approve")
        approval_record(persona_spec=draft, reviewer=sam, decision="request_changes", comment="Shorter, please.")
    client = api_client(acme, rob)
    body = client.get(approvals_url(twin)).json()
    assert body["status"] == {"required": 2, "approved_by": ["rob"], "changes_requested_by": ["sam"],
                              "satisfied": False, "policy_source": "twin"}
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [(row["reviewer"], row["decision"]) for row in body["results"]] == [
        ("sam", "request_changes"), ("rob", "approve")]
    page = client.get(approvals_url(twin) + "/", {"page_size": 1}).json()
    assert page["count"] == 2 and page["next"] and len(page["results"]) == 1
    assert page["status"]["approved_by"] == ["rob"]  # the status is the version's, whatever the page


def test_the_author_cannot_approve_and_nothing_is_written(acme, draft, twin, author):
    response = api_client(acme, author).post(approvals_url(twin), {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You wrote version 1.0.0: someone else must review it."
    with schema_context("acme"):
        assert not Approval.objects.filter(persona_spec=draft).exists()
        assert list(AuditEvent.objects.filter(twin=twin).values_list("action", flat=True)) == ["create"]


def test_the_owner_without_the_permission_cannot_approve(acme, draft, twin, owner):
    response = api_client(acme, owner).post(approvals_url(twin), {"decision": "approve"}, format="json")
    assert response.status_code == 403 and "approve permission" in response.json()["detail"]
    with schema_context("acme"):
        assert not Approval.objects.filter(persona_spec=draft).exists()


def test_a_request_for_changes_needs_a_comment(acme, draft, twin, rob):
    client = api_client(acme, rob)
    response = client.post(approvals_url(twin), {"decision": "request_changes"}, format="json")
    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["/comment"]
    response = client.post(approvals_url(twin), {"decision": "veto", "comment": "x" * 2001}, format="json")
    assert {error["path"] for error in response.json()["errors"]} == {"/decision", "/comment"}
    with schema_context("acme"):
        assert not Approval.objects.filter(persona_spec=draft).exists()


def test_only_drafts_can_be_reviewed_and_unknown_versions_are_404(acme, draft, twin, owner, rob):
    with schema_context("acme"):
        persona_spec_publish(persona_spec=draft, actor=owner)
    client = api_client(acme, rob)
    response = client.post(approvals_url(twin), {"decision": "approve"}, format="json")
    assert response.status_code == 409 and "only drafts can be reviewed" in response.json()["detail"]
    assert client.post(approvals_url(twin, "9.9.9"), {"decision": "approve"}, format="json").status_code == 404
    assert client.get(approvals_url(twin, "9.9.9")).status_code == 404


def test_every_path_answers_with_and_without_trailing_slash(acme, draft, twin, rob, policy_admin):
    client = api_client(acme, rob)
    for suffix in ("", "/"):
        assert client.post(approvals_url(twin) + suffix, {"decision": "approve"}, format="json").status_code == 201
        assert client.get(approvals_url(twin) + suffix).status_code == 200
        assert client.get(policy_url(twin) + suffix).status_code == 200
        assert client.get("/api/publish-policy" + suffix).status_code == 200
        for url in (policy_url(twin), "/api/publish-policy"):
            body = {"require_approval": True, "approvals_required": 1}
            assert api_client(acme, policy_admin).put(url + suffix, body, format="json").status_code == 200


# --- tenants ----------------------------------------------------------------------------------------

def test_another_tenants_users_and_tokens_never_reach_acmes_twin(acme, globex, draft, twin):
    with schema_context("globex"):
        globex_admin = make_user(globex, "gov-globex-admin", superuser=True)
    client = api_client(globex, globex_admin)  # on globex's host: acme's twin does not exist there
    assert client.get(policy_url(twin)).status_code == 404
    assert client.put(policy_url(twin), {"require_approval": False, "approvals_required": 1},
                      format="json").status_code == 404
    assert client.get(approvals_url(twin)).status_code == 404
    assert client.post(approvals_url(twin), {"decision": "approve"}, format="json").status_code == 404
    acme_host = api_client(acme)
    acme_host.credentials(**client._credentials)  # globex's token on acme's host: unknown there
    assert acme_host.get(policy_url(twin)).status_code == 401
    assert acme_host.post(approvals_url(twin), {"decision": "approve"}, format="json").status_code == 401
    with schema_context("acme"):
        assert not Approval.objects.filter(persona_spec=draft).exists()


def test_the_schema_documents_the_endpoints(acme, owner):
    schema = api_client(acme, owner).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "put"} <= set(paths["/api/publish-policy/"])
    assert {"get", "put"} <= set(paths["/api/twins/{twin_id}/publish-policy/"])
    approvals = paths["/api/twins/{twin_id}/persona-specs/{version}/approvals/"]
    assert {"get", "post"} <= set(approvals)
    components = schema["components"]["schemas"]
    assert {"status", "results", "count"} <= set(components["ApprovalPage"]["properties"])
    assert set(components["PublishPolicy"]["properties"]) == POLICY_FIELDS


# --- removing a twin's own policy -------------------------------------------------------------------

def test_delete_puts_the_twin_back_on_the_tenant_default_with_an_audit_event(acme, twin, owner, policy_admin):
    client = api_client(acme, policy_admin)
    assert client.put("/api/publish-policy", {"require_approval": True, "approvals_required": 2},
                      format="json").status_code == 200
    assert client.put(policy_url(twin), {"require_approval": True, "approvals_required": 3},
                      format="json").status_code == 200
    response = client.delete(policy_url(twin))
    assert response.status_code == 200
    assert (response.json()["source"], response.json()["approvals_required"]) == ("tenant", 2)
    assert client.get(policy_url(twin)).json()["source"] == "tenant"
    with schema_context("acme"):
        assert not PublishPolicy.objects.filter(twin=twin).exists()
        removal = AuditEvent.objects.filter(twin=twin).latest("id")
        change = PolicyChange.objects.filter(twin=twin).latest("id")
    assert (removal.action, removal.channel, removal.actor_username) == ("policy_change", "api", "gov-policy-admin")
    assert (removal.details["before"]["source"], removal.details["before"]["approvals_required"]) == ("twin", 3)
    assert (removal.details["after"]["source"], removal.details["after"]["approvals_required"]) == ("tenant", 2)
    assert (change.before, change.after) == (removal.details["before"], removal.details["after"])


def test_delete_without_a_policy_of_its_own_changes_and_writes_nothing(acme, twin, policy_admin):
    response = api_client(acme, policy_admin).delete(policy_url(twin))
    assert response.status_code == 200
    assert response.json()["source"] == "default"
    with schema_context("acme"):
        assert not AuditEvent.objects.filter(twin=twin).exists()
        assert not PolicyChange.objects.filter(twin=twin).exists()


def test_delete_needs_the_permission_the_owner_included_and_hides_other_tenants(acme, globex, twin, owner):
    with schema_context("acme"):
        require_approvals(twin, 1)
    response = api_client(acme, owner).delete(policy_url(twin))
    assert response.status_code == 403
    assert "may not change publish policies" in response.json()["detail"]
    assert api_client(acme, make_user(acme)).delete(policy_url(twin)).status_code == 404  # may not see the twin
    globex_admin = make_user(globex, "globex-policy-admin", perms=["governance.change_publishpolicy",
                                                                   "governance.view_publishpolicy", "twins.view_twin"])
    assert api_client(globex, globex_admin).delete(policy_url(twin)).status_code == 404
    with schema_context("acme"):
        assert PublishPolicy.objects.get(twin=twin).require_approval
        assert not AuditEvent.objects.filter(twin=twin).exists()
