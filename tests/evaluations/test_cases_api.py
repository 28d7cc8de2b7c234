"""The eval-cases endpoints: validation like specs, JSON Lines round trip, permissions, tenants."""

from __future__ import annotations

import json

from django_tenants.utils import schema_context

from evaluations.models import EvalCase
from tests.factories import api_client, demo_admin, make_user

CASE = {"name": "pilot", "message": "Should we offer a free pilot?", "expected_intent": "advice_or_stance",
        "expect": {"must_include_any": ["pilot"], "max_words": 180}, "tags": ["pricing"]}


def cases(twin) -> str:
    return f"/api/twins/{twin.pk}/eval-cases"


def test_create_read_update_delete(eval_client, eval_twin):
    created = eval_client.post(cases(eval_twin), CASE, format="json")
    assert created.status_code == 201
    body = created.json()
    assert {key: body[key] for key in CASE} == CASE and body["active"] is True and body["interaction_context"] is None
    url = f"{cases(eval_twin)}/{body['id']}"
    assert eval_client.get(url).json()["name"] == "pilot"
    patched = eval_client.patch(url, {"expect": {"should_clarify": True}, "active": False}, format="json").json()
    assert patched["expect"] == {"should_clarify": True} and patched["active"] is False
    assert patched["message"] == CASE["message"]  # untouched fields stay
    assert eval_client.get(cases(eval_twin)).json()["count"] == 1
    assert eval_client.delete(url).status_code == 204
    assert eval_client.get(url).status_code == 404


def test_invalid_cases_are_400_with_every_path_and_nothing_stored(eval_client, eval_twin):
    response = eval_client.post(cases(eval_twin), {"name": "", "message": "hi", "expect": {"structure": "poem"},
                                                   "bogus": 1}, format="json")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["/name", "/expect/structure", "/bogus"]
    eval_client.post(cases(eval_twin), CASE, format="json")
    duplicate = eval_client.post(cases(eval_twin), CASE, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["path"] == "/name"
    with schema_context("acme"):
        assert EvalCase.objects.filter(twin=eval_twin).count() == 1


def test_json_lines_round_trip_upserts_by_name_and_refuses_all_on_one_bad_line(eval_client, eval_twin):
    lines = "\n".join(json.dumps({**CASE, "name": name}) for name in ("a", "b")) + "\n"
    imported = eval_client.post(f"{cases(eval_twin)}/import", lines, content_type="application/x-ndjson")
    assert imported.status_code == 200 and imported.json() == {"created": 2, "updated": 0, "unchanged": 0}
    exported = eval_client.get(f"{cases(eval_twin)}/export")
    assert exported["Content-Type"].startswith("application/x-ndjson")
    text = exported.content.decode()
    assert [json.loads(line)["name"] for line in text.splitlines()] == ["a", "b"]
    again = eval_client.post(f"{cases(eval_twin)}/import", {"jsonl": text}, format="json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    changed = text.replace('"max_words": 180', '"max_words": 90', 1) + json.dumps({**CASE, "name": "c"})
    assert eval_client.post(f"{cases(eval_twin)}/import", changed,
                            content_type="application/x-ndjson").json() == {"created": 1, "updated": 1, "unchanged": 1}
    bad = changed + "\n" + json.dumps({**CASE, "name": "d", "expect": {"min_words": -1}})
    refused = eval_client.post(f"{cases(eval_twin)}/import", bad, content_type="application/x-ndjson")
    assert refused.status_code == 400 and refused.json()["errors"][0]["path"] == "/3/expect/min_words"
    with schema_context("acme"):
        assert sorted(EvalCase.objects.filter(twin=eval_twin).values_list("name", flat=True)) == ["a", "b", "c"]


def test_permissions_and_another_tenant(acme, globex, eval_client, eval_twin):
    eval_client.post(cases(eval_twin), CASE, format="json")
    viewer = api_client(acme, make_user(acme, perms=["personas.view_personaspec"]))
    assert viewer.get(cases(eval_twin)).json()["count"] == 1
    assert viewer.post(cases(eval_twin), {**CASE, "name": "x"}, format="json").status_code == 403
    assert api_client(acme, make_user(acme)).get(cases(eval_twin)).status_code == 404
    globex_admin = api_client(globex, demo_admin(globex))
    assert globex_admin.get(cases(eval_twin)).status_code == 404
    assert globex_admin.post(f"{cases(eval_twin)}/import", {"jsonl": ""}, format="json").status_code == 404
    with schema_context("globex"):
        assert not EvalCase.objects.exists()
