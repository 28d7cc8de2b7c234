"""The persona spec endpoints over the test client on tenant hosts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from personas.models import AuditEvent, PersonaSpec
from tests.factories import api_client, demo_admin, make_user
from tests.personas.builders import example_spec, new_twin

ROW_FIELDS = {"id", "twin_id", "version", "status", "spec", "spec_hash", "source", "notes", "created_by",
              "created_at", "published_at", "published_by"}


@pytest.fixture
def owner(acme):
    return make_user(acme, "api-owner")


@pytest.fixture
def twin(acme, owner):
    with schema_context("acme"):
        return new_twin(owner, public_intro="Hello", persona_profile="Plain-spoken.")


@pytest.fixture
def client(acme, owner):
    return api_client(acme, owner)


def base(twin) -> str:
    return f"/api/twins/{twin.pk}/persona-specs"


def post_spec(client, twin, **body):
    return client.post(base(twin), {"spec": example_spec(), **body}, format="json")


def test_create_returns_the_draft_row_and_a_prompt_plan_preview(client, twin):
    response = post_spec(client, twin, notes="first cut")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert set(body["persona_spec"]) == ROW_FIELDS
    assert body["persona_spec"]["version"] == "1.0.0"
    assert body["persona_spec"]["notes"] == "first cut"
    assert body["persona_spec"]["created_by"] == "api-owner"
    preview = body["prompt_plan_preview"]
    assert preview["persona_spec_version"] == "1.0.0"
    assert [s["name"] for s in preview["sections"]][:2] == ["CONSTITUTION", "DECISION POLICY"]
    assert preview["rendered"].startswith("## CONSTITUTION")
    assert len(preview["fingerprint"]) == 64


def test_every_path_answers_with_and_without_trailing_slash(client, twin):
    assert client.post(base(twin) + "/", {"spec": example_spec()}, format="json").status_code == 201
    assert client.post(base(twin) + "/1.0.0/publish", format="json").status_code == 200
    for path in ("", "/", "/active", "/active/", "/1.0.0", "/1.0.0/"):
        assert client.get(base(twin) + path).status_code == 200, path
    assert client.post(base(twin) + "/generate/", {}, format="json").status_code == 201


def test_invalid_spec_is_400_with_every_problem(client, twin):
    spec = example_spec(constitution=["ok", ""])
    spec["procedural_modules"][0]["few_shot_ids"] = ["ex9"]
    response = client.post(base(twin), {"spec": spec}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"path": "/procedural_modules/0/few_shot_ids/0", "message": "unknown canonical example id 'ex9'"} in errors
    assert "/constitution/1" in {e["path"] for e in errors}
    with schema_context("acme"):
        assert not PersonaSpec.objects.filter(twin=twin).exists()


@pytest.mark.parametrize("body, path", [({}, "/spec"), ({"spec": example_spec(), "version": "1.0"}, "/version"),
                                        ({"spec": "text"}, "")])
def test_bad_bodies_are_400(client, twin, body, path):
    response = client.post(base(twin), body, format="json")
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]


def test_existing_version_is_409(client, twin):
    post_spec(client, twin, version="2.0.0")
    response = post_spec(client, twin, version="2.0.0")
    assert response.status_code == 409
    assert "2.0.0" in response.json()["detail"]


def test_list_is_newest_first_by_semver_and_paginated(client, twin):
    for version in ("1.0.2", "1.0.10", "1.0.9", "0.9.0"):
        post_spec(client, twin, version=version)
    body = client.get(base(twin)).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [row["version"] for row in body["results"]] == ["1.0.10", "1.0.9", "1.0.2", "0.9.0"]
    page = client.get(base(twin) + "?page_size=2&page=2").json()
    assert [row["version"] for row in page["results"]] == ["1.0.2", "0.9.0"]


def test_list_runs_a_constant_number_of_queries(client, twin, owner):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(base(twin) + "?page_size=100").status_code == 200
        return len(captured)

    post_spec(client, twin)
    few = queries_for_list()
    for _ in range(12):
        post_spec(client, twin)
    assert queries_for_list() == few


def test_active_before_and_after_publish(client, twin):
    assert client.get(base(twin) + "/active").json() == {"active": False, "spec": None}
    post_spec(client, twin)
    response = client.post(base(twin) + "/1.0.0/publish")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["previous_active_version"] is None
    active = client.get(base(twin) + "/active").json()
    assert active["active"] is True and active["spec"]["version"] == "1.0.0"
    assert active["spec"]["published_by"] == "api-owner"


def test_publish_then_rollback(client, twin):
    post_spec(client, twin)
    post_spec(client, twin)
    client.post(base(twin) + "/1.0.0/publish")
    assert client.post(base(twin) + "/1.0.1/publish").json()["previous_active_version"] == "1.0.0"
    rollback = client.post(base(twin) + "/1.0.0/publish").json()
    assert rollback["previous_active_version"] == "1.0.1" and rollback["persona_spec"]["status"] == "active"
    with schema_context("acme"):
        assert list(AuditEvent.objects.filter(twin=twin).values_list("action", flat=True)[:3]) == [
            "rollback", "publish", "publish"]


def test_publish_answers_what_it_recorded_and_keeps_the_reason(client, twin):
    post_spec(client, twin)
    post_spec(client, twin)
    assert client.post(base(twin) + "/1.0.1/publish").json()["action"] == "publish"
    rollback = client.post(base(twin) + "/1.0.0/publish", {"reason": "1.0.1 hedges too much"}, format="json").json()
    assert rollback["action"] == "rollback"
    republish = client.post(base(twin) + "/1.0.1/publish", {"reason": "hedging was the model"}, format="json")
    assert republish.json()["action"] == "republish" and republish.json()["previous_active_version"] == "1.0.0"
    again = client.post(base(twin) + "/1.0.1/publish").json()
    assert again["action"] == "" and again["previous_active_version"] == "1.0.1"  # already active: no change
    events = client.get(f"/api/twins/{twin.pk}/audit-events").json()["results"]
    assert [(e["action"], e["reason"]) for e in events[:2]] == [
        ("republish", "hedging was the model"), ("rollback", "1.0.1 hedges too much")]
    too_long = client.post(base(twin) + "/1.0.0/publish", {"reason": "x" * 2001}, format="json")
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["path"] == "/reason"


def test_generate_drafts_from_the_twin_and_can_auto_publish(client, twin):
    response = client.post(base(twin) + "/generate", {"notes": "from data"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["persona_spec"]["source"] == "generated"
    assert "settings.persona_profile" in body["generated_from"]
    assert body["prompt_plan_preview"]["rendered"]
    published = client.post(base(twin) + "/generate", {"auto_publish": True}, format="json").json()
    assert published["status"] == "active" and published["persona_spec"]["version"] == "1.0.1"


def test_retrieve_one_version(client, twin):
    post_spec(client, twin)
    row = client.get(base(twin) + "/1.0.0").json()
    assert set(row) == ROW_FIELDS and row["spec"]["version"] == "1.0.0"


@pytest.mark.parametrize("path, method", [("/9.9.9", "get"), ("/9.9.9/publish", "post"), ("/nonsense", "get")])
def test_unknown_version_is_404(client, twin, path, method):
    response = getattr(client, method)(base(twin) + path)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_unknown_twin_is_404(client):
    response = client.get("/api/twins/00000000-0000-0000-0000-000000000000/persona-specs")
    assert response.status_code == 404


def test_no_credentials_is_401(acme, twin):
    assert api_client(acme).get(base(twin)).status_code == 401
    assert api_client(acme).post(base(twin), {"spec": example_spec()}, format="json").status_code == 401


def test_permissions(acme, client, twin):
    post_spec(client, twin)
    stranger = api_client(acme, make_user(acme))
    assert stranger.get(base(twin)).status_code == 404  # may not even know the twin exists
    viewer = api_client(acme, make_user(acme, perms=["personas.view_personaspec"]))
    assert viewer.get(base(twin)).status_code == 200
    assert viewer.post(base(twin), {"spec": example_spec()}, format="json").status_code == 403
    assert viewer.post(base(twin) + "/1.0.0/publish").status_code == 403
    drafter = api_client(acme, make_user(acme, perms=["personas.view_personaspec", "personas.add_personaspec"]))
    assert drafter.post(base(twin), {"spec": example_spec()}, format="json").status_code == 201
    assert drafter.post(base(twin) + "/1.0.0/publish").status_code == 403
    assert drafter.post(base(twin) + "/generate", {"auto_publish": True}, format="json").status_code == 403
    publisher = api_client(acme, make_user(acme, perms=["personas.view_personaspec",
                                                        "personas.publish_personaspec"]))
    assert publisher.post(base(twin) + "/1.0.0/publish").status_code == 200


def test_specs_are_invisible_from_the_other_tenant(acme, globex, client, twin):
    post_spec(client, twin)
    globex_admin = api_client(globex, demo_admin(globex))
    assert globex_admin.get(base(twin)).status_code == 404
    assert globex_admin.get(base(twin) + "/1.0.0").status_code == 404
    assert globex_admin.get(base(twin) + "/active").status_code == 404
    assert globex_admin.post(base(twin) + "/1.0.0/publish").status_code == 404
    assert globex_admin.post(base(twin), {"spec": example_spec()}, format="json").status_code == 404


def test_json_schema_of_v1_is_served(acme):
    response = api_client(acme).get("/api/schemas/persona-spec-v1.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["$id"].endswith("persona-spec-v1.json")
    assert "procedural_modules" in schema["properties"]


def test_publish_conditioned_on_the_active_version(client, twin):
    post_spec(client, twin)
    post_spec(client, twin)
    assert client.post(base(twin) + "/1.0.0/publish", {"expected_active_version": None}, format="json").status_code == 200
    stale = client.post(base(twin) + "/1.0.1/publish", {"expected_active_version": None}, format="json")
    assert stale.status_code == 409
    assert "1.0.0" in stale.json()["detail"]
    assert client.get(base(twin) + "/active").json()["spec"]["version"] == "1.0.0"
    ok = client.post(base(twin) + "/1.0.1/publish", {"expected_active_version": "1.0.0"}, format="json")
    assert ok.status_code == 200 and ok.json()["previous_active_version"] == "1.0.0"


def test_audit_events_of_a_twin(acme, globex, client, twin):
    post_spec(client, twin)
    client.post(base(twin) + "/1.0.0/publish")
    events = client.get(f"/api/twins/{twin.pk}/audit-events").json()
    assert set(events) == {"count", "next", "previous", "results"}
    assert [(e["action"], e["version"], e["actor"], e["channel"]) for e in events["results"]] == [
        ("publish", "1.0.0", "api-owner", "api"), ("create", "1.0.0", "api-owner", "api")]
    viewer = api_client(acme, make_user(acme, perms=["twins.view_twin"]))
    assert viewer.get(f"/api/twins/{twin.pk}/audit-events").status_code == 403
    assert api_client(acme, make_user(acme)).get(f"/api/twins/{twin.pk}/audit-events").status_code == 404
    assert api_client(globex, demo_admin(globex)).get(f"/api/twins/{twin.pk}/audit-events").status_code == 404


def test_version_counter_at_its_limit_is_a_409_and_nothing_is_stored(client, twin):
    assert post_spec(client, twin, version="1.0.2147483647").status_code == 201
    with schema_context("acme"):
        before = PersonaSpec.objects.filter(twin=twin).count()
    for response in (post_spec(client, twin), client.post(base(twin) + "/generate", {}, format="json")):
        assert response.status_code == 409, response.content
        assert response.json()["detail"] == (
            "No patch number left after 1.0.2147483647: give a version explicitly, e.g. 1.1.0.")
    with schema_context("acme"):
        assert PersonaSpec.objects.filter(twin=twin).count() == before
    assert post_spec(client, twin, version="1.1.0").status_code == 201


def test_not_found_message_clips_an_echoed_version(client, twin):
    response = client.get(f"{base(twin)}/1.0.{'9' * 5000}")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert len(detail) < 100 and "…" in detail
