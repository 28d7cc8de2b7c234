"""GET …/persona-specs/{a}/diff/{b} and the create response's suggested_version."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.factories import api_client, demo_admin, make_user
from tests.personas.builders import example_spec, new_twin


@pytest.fixture
def owner(acme):
    return make_user(acme, "diff-owner")


@pytest.fixture
def twin(acme, owner):
    with schema_context("acme"):
        return new_twin(owner, name="Maya")


@pytest.fixture
def client(acme, owner):
    return api_client(acme, owner)


def specs(twin) -> str:
    return f"/api/twins/{twin.pk}/persona-specs"


def create(client, twin, spec, **body):
    response = client.post(specs(twin), {"spec": spec, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_diff_reports_structural_changes_by_id_a_prompt_diff_and_a_bump(client, twin):
    base = example_spec()
    create(client, twin, base)
    changed = example_spec()
    module = changed["procedural_modules"][0]
    module["do"] = [*module["do"], "name_the_tradeoff"]
    changed["procedural_modules"].reverse()  # moving modules is not a change
    create(client, twin, changed)
    response = client.get(f"{specs(twin)}/1.0.0/diff/1.0.1", {"message": "Should we offer a free pilot?"})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == ("1.0.0", "1.0.1")
    assert [(c["kind"], c["section"], c["item_id"]) for c in body["changes"]] == [
        ("changed", "procedural_modules", module["id"])]
    assert body["changes"][0]["path"].endswith("/do")
    assert body["changes"][0]["after"] == module["do"]
    assert body["suggested_bump"] == "minor" and body["bump_reasons"]
    assert body["prompt_diff"]["intent"] == "advice_or_stance"
    assert body["size_delta_chars"] > 0
    assert "advice_or_stance" in module["intent_labels"]  # so the advice prompt shows the new step
    unified = body["prompt_diff"]["unified"]
    assert unified.startswith("--- 1.0.0\n+++ 1.0.1\n") and "name_the_tradeoff" in unified


def test_diff_of_equal_content_is_none_and_a_removed_constitution_rule_is_major(client, twin):
    base = example_spec()
    create(client, twin, base)
    create(client, twin, base)
    fewer = example_spec(constitution=base["constitution"][1:])
    create(client, twin, fewer)
    same = client.get(f"{specs(twin)}/1.0.0/diff/1.0.1").json()
    assert same["changes"] == [] and same["suggested_bump"] == "none" and same["prompt_diff"]["unified"] == ""
    major = client.get(f"{specs(twin)}/1.0.1/diff/1.0.2").json()
    assert major["suggested_bump"] == "major"
    assert major["changes"][0]["kind"] == "removed" and "after" not in major["changes"][0]
    reverse = client.get(f"{specs(twin)}/1.0.2/diff/1.0.1").json()
    assert reverse["changes"][0]["kind"] == "added" and "before" not in reverse["changes"][0]


def test_diff_errors(acme, globex, client, twin):
    create(client, twin, example_spec())
    assert client.get(f"{specs(twin)}/1.0.0/diff/1.0.9").status_code == 404
    bad = client.get(f"{specs(twin)}/1.0.0/diff/1.0.0", {"intent": "nope", "context": "x"})
    assert bad.status_code == 400 and [e["path"] for e in bad.json()["errors"]] == ["/intent", "/context"]
    assert api_client(globex, demo_admin(globex)).get(f"{specs(twin)}/1.0.0/diff/1.0.0").status_code == 404
    assert api_client(acme, make_user(acme)).get(f"{specs(twin)}/1.0.0/diff/1.0.0").status_code == 404


def test_create_suggests_the_version_the_changes_deserve(client, twin):
    first = create(client, twin, example_spec())
    assert first["suggested_version"] == "1.0.0" and first["suggestion"]["compared_with"] is None
    client.post(f"{specs(twin)}/1.0.0/publish")
    wording = example_spec()
    wording["identity_voice"] = {**wording.get("identity_voice", {}), "tone": "warmer"}
    patch = create(client, twin, wording)
    assert patch["persona_spec"]["version"] == "1.0.1"  # without a number: still the next patch
    assert (patch["suggested_version"], patch["suggestion"]["bump"]) == ("1.0.1", "patch")
    base = example_spec()
    breaking = create(client, twin, example_spec(constitution=base["constitution"][1:]))
    assert breaking["persona_spec"]["version"] == "1.0.2"
    assert breaking["suggested_version"] == "2.0.0" and breaking["suggestion"]["compared_with"] == "1.0.0"
    assert any("constitution" in reason for reason in breaking["suggestion"]["reasons"])


def test_the_longest_sample_message_fits_a_request_line_and_a_longer_one_is_a_json_400(client, twin):
    """Found by `make fuzz`: an 8,000-character message made gunicorn answer an HTML 414 before the API."""
    from urllib.parse import urlencode

    from gunicorn.config import Config

    from personas.serializers import DIFF_MESSAGE_MAX_LENGTH

    create(client, twin, example_spec())
    create(client, twin, example_spec())
    path = f"{specs(twin)}/1.0.0/diff/1.0.1"
    widest = urlencode({"message": "\U0001f600" * DIFF_MESSAGE_MAX_LENGTH, "intent": "meta_or_system_longest_label",
                        "context": "owner_training"})
    request_line = f"GET {path}/?{widest} HTTP/1.1"
    assert len(request_line.encode()) <= Config().limit_request_line

    assert client.get(path, {"message": "\U0001f600" * DIFF_MESSAGE_MAX_LENGTH}).status_code == 200
    refused = client.get(path, {"message": "x" * (DIFF_MESSAGE_MAX_LENGTH + 1)})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "/message"
