"""POST /api/twins/{id}/persona-specs/{version}/preview: what a chat turn would send, before publishing."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from tests.factories import api_client, demo_admin, make_user
from tests.personas.builders import example_spec, new_twin

MESSAGE = "Should we offer a free pilot to our first enterprise customer?"


@pytest.fixture
def owner(acme):
    return make_user(acme, "preview-owner")


@pytest.fixture
def twin(acme, owner):
    with schema_context("acme"):
        return new_twin(owner, name="Maya", system_prompt="Settings text that must never be sent.")


@pytest.fixture
def client(acme, owner):
    return api_client(acme, owner)


def specs(twin) -> str:
    return f"/api/twins/{twin.pk}/persona-specs"


def test_the_preview_is_byte_for_byte_what_chat_sends_after_publishing(client, twin):
    version = client.post(specs(twin), {"spec": example_spec(custom_instructions="Be brief.")},
                          format="json").json()["persona_spec"]["version"]
    preview = client.post(f"{specs(twin)}/{version}/preview", {"message": MESSAGE}, format="json")
    assert preview.status_code == 200
    body = preview.json()
    assert set(body) == {"system_prompt", "prompt_fingerprint", "trace"}
    assert body["trace"]["persona_spec_version"] == version and body["trace"]["intent_label"] == "advice_or_stance"
    assert body["trace"]["interaction_context"] == "owner_chat"  # the caller owns the twin, as chat decides
    assert body["system_prompt"].endswith("## CUSTOM INSTRUCTIONS\n\nBe brief.")
    assert "Settings text" not in body["system_prompt"]

    assert client.post(f"{specs(twin)}/{version}/publish").status_code == 200
    turn = client.post(f"/api/twins/{twin.pk}/chat", {"message": MESSAGE}, format="json").json()
    assert turn["trace"]["prompt_fingerprint"] == body["prompt_fingerprint"]
    assert turn["trace"]["module_ids"] == body["trace"]["module_ids"]
    with schema_context("acme"):
        from chat.models import PromptSnapshot

        assert PromptSnapshot.objects.get(pk=body["prompt_fingerprint"]).text == body["system_prompt"]


def test_context_and_intent_can_be_chosen(client, twin):
    version = client.post(specs(twin), {"spec": example_spec()}, format="json").json()["persona_spec"]["version"]
    public = client.post(f"{specs(twin)}/{version}/preview", {
        "message": MESSAGE, "interaction_context": "public_share", "intent_label": "meta_or_system"},
        format="json").json()
    assert public["trace"]["interaction_context"] == "public_share"
    assert public["trace"]["intent_label"] == "meta_or_system"
    assert "member of the public" in public["system_prompt"]
    owner = client.post(f"{specs(twin)}/{version}/preview", {"message": MESSAGE}, format="json").json()
    assert owner["prompt_fingerprint"] != public["prompt_fingerprint"]


@pytest.mark.parametrize("body, path", [
    ({}, "/message"), ({"message": ""}, "/message"), ({"message": "x" * 8001}, "/message"),
    ({"message": "hi", "interaction_context": "nope"}, "/interaction_context"),
    ({"message": "hi", "intent_label": "nope"}, "/intent_label"),
])
def test_bad_preview_bodies_are_400_with_their_path(client, twin, body, path):
    version = client.post(specs(twin), {"spec": example_spec()}, format="json").json()["persona_spec"]["version"]
    response = client.post(f"{specs(twin)}/{version}/preview", body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == path


def test_a_version_that_does_not_compile_is_a_409_with_its_problems(client, twin):
    with schema_context("acme"):
        PersonaSpec.objects.create(twin=twin, version="9.9.9", version_major=9, version_minor=9, version_patch=9,
                                   spec={"constitution": "not a list"}, spec_hash="x" * 64)
    response = client.post(f"{specs(twin)}/9.9.9/preview", {"message": "hi"}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["path"] == "/constitution"


def test_preview_needs_view_access_and_is_invisible_to_another_tenant(acme, globex, client, twin):
    version = client.post(specs(twin), {"spec": example_spec()}, format="json").json()["persona_spec"]["version"]
    url = f"{specs(twin)}/{version}/preview"
    assert client.post(f"{specs(twin)}/7.7.7/preview", {"message": "hi"}, format="json").status_code == 404
    assert api_client(acme, make_user(acme)).post(url, {"message": "hi"}, format="json").status_code == 404
    assert api_client(globex, demo_admin(globex)).post(url, {"message": "hi"}, format="json").status_code == 404
    assert api_client(acme).post(url, {"message": "hi"}, format="json").status_code == 401
