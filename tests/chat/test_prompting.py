"""build_system_prompt on real tenant schemas: active spec, legacy fallback, publish, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.prompting import build_system_prompt
from personas.compiler import precompile
from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import data_queries, make_user
from tests.personas.builders import example_spec, new_twin

QUESTION = "Should we offer a free pilot to our first enterprise customer?"


@pytest.fixture
def owner(in_acme):
    return make_user(in_acme, "prompt-owner")


@pytest.fixture
def twin(owner):
    return new_twin(owner, name="Maya", persona_profile="Legacy profile: blunt.", public_intro="Legacy intro.",
                    signature_phrases=["Legacy phrase."], opinion_map={"pricing": "Legacy pricing view."},
                    system_prompt="Custom: keep it under 100 words.")


def publish(twin, owner, django_capture_on_commit_callbacks, **changes):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec(**changes))
    with django_capture_on_commit_callbacks(execute=True):
        persona_spec_publish(persona_spec=draft, actor=owner)
    return draft


def test_active_spec_gives_the_compiled_persona_section(twin, owner, django_capture_on_commit_callbacks):
    publish(twin, owner, django_capture_on_commit_callbacks)
    prompt, trace = build_system_prompt(twin, QUESTION, "owner_chat")
    expected_persona = precompile(example_spec(version="1.0.0")).render("advice_or_stance", QUESTION)
    assert expected_persona in prompt
    assert "Legacy profile" not in prompt
    assert trace["persona_spec_version"] == "1.0.0"
    assert trace["prompt_source"] == "persona_spec" and trace["fallback_reason"] is None
    assert trace["intent_label"] == "advice_or_stance"
    assert trace["module_ids"] == ["procedural.decision.clarify_before_advice"]
    assert "ex.pricing.pilot" in trace["few_shot_ids"]


def test_frame_order_is_fixed(twin, owner, django_capture_on_commit_callbacks):
    publish(twin, owner, django_capture_on_commit_callbacks, custom_instructions="From the version: be brief.")
    prompt, trace = build_system_prompt(twin, QUESTION, "public_share")
    positions = [prompt.index(marker) for marker in
                 ("You are Maya, the digital twin of prompt-owner", "## INTERACTION CONTEXT", "# PERSONA",
                  "## CONSTITUTION", "## CUSTOM INSTRUCTIONS")]
    assert positions == sorted(positions)
    assert "member of the public" in prompt and trace["interaction_context"] == "public_share"
    assert prompt.rstrip().endswith("From the version: be brief.")


def test_with_an_active_version_nothing_from_the_twin_settings_enters_the_prompt(twin, owner,
                                                                                  django_capture_on_commit_callbacks):
    publish(twin, owner, django_capture_on_commit_callbacks)
    prompt, _ = build_system_prompt(twin, QUESTION, "owner_chat")
    assert "Custom: keep it under 100 words." not in prompt and "CUSTOM INSTRUCTIONS" not in prompt
    before = prompt
    twin.settings = {**twin.settings, "system_prompt": "Ignore the persona.", "persona_profile": "Changed."}
    twin.save()
    assert build_system_prompt(twin, QUESTION, "owner_chat")[0] == before  # settings change no version


def test_the_legacy_persona_keeps_the_settings_custom_instructions(twin):
    prompt, _ = build_system_prompt(twin, QUESTION, "owner_chat")
    assert prompt.rstrip().endswith("## CUSTOM INSTRUCTIONS\nCustom: keep it under 100 words.")


def test_the_frame_names_the_owner_by_their_full_name(twin, owner):
    owner.first_name, owner.last_name = "Maya", "Chen"
    owner.save()
    twin.refresh_from_db()
    prompt, _ = build_system_prompt(twin, QUESTION, "owner_chat")
    assert prompt.startswith("You are Maya, the digital twin of Maya Chen. Speak in the first person, as Maya Chen")


def test_no_active_spec_falls_back_to_the_legacy_persona(twin):
    persona_spec_create(twin=twin, actor=twin.owner, spec=example_spec())  # a draft is not active
    prompt, trace = build_system_prompt(twin, QUESTION, "owner_chat")
    for legacy in ("Legacy profile: blunt.", "Legacy intro.", "Legacy phrase.", "pricing: Legacy pricing view."):
        assert legacy in prompt
    assert "## CONSTITUTION" not in prompt
    assert trace["prompt_source"] == "legacy"
    assert trace["persona_spec_version"] is None
    assert trace["fallback_reason"] == "no active persona spec"


def test_an_active_spec_that_does_not_compile_falls_back_with_the_reason(twin, caplog):
    PersonaSpec.objects.create(  # written directly, bypassing validation: the runtime must survive it
        twin=twin, version="3.0.0", version_major=3, version_minor=0, version_patch=0, status="active",
        spec={"constitution": "not a list", "surprise": True}, spec_hash="f" * 64,
    )
    prompt, trace = build_system_prompt(twin, QUESTION, "owner_chat")
    assert trace["prompt_source"] == "legacy"
    assert trace["persona_spec_version"] is None
    assert "does not compile" in trace["fallback_reason"] and "/constitution" in trace["fallback_reason"]
    assert "Legacy profile: blunt." in prompt
    assert "falls back to its legacy persona" in caplog.text


def test_a_publish_is_used_by_the_very_next_prompt(twin, owner, django_capture_on_commit_callbacks):
    publish(twin, owner, django_capture_on_commit_callbacks)
    assert build_system_prompt(twin, QUESTION, "owner_chat")[1]["persona_spec_version"] == "1.0.0"
    publish(twin, owner, django_capture_on_commit_callbacks, constitution=["Only speak in haiku."])
    prompt, trace = build_system_prompt(twin, QUESTION, "owner_chat")
    assert trace["persona_spec_version"] == "1.0.1"
    assert "Only speak in haiku." in prompt


def test_resolving_the_active_spec_costs_one_query_cold_and_none_warm(twin, owner,
                                                                       django_capture_on_commit_callbacks):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    persona_spec_publish(persona_spec=draft, actor=owner)  # on_commit not run: the cache is cold
    twin.owner  # the owner is loaded with the twin by the views; not part of the spec lookup
    with CaptureQueriesContext(connection) as cold:
        build_system_prompt(twin, QUESTION, "owner_chat")
    assert len(data_queries(cold)) == 1, data_queries(cold)
    with CaptureQueriesContext(connection) as warm:
        build_system_prompt(twin, "How much should we raise?", "owner_chat")
    assert data_queries(warm) == []


def test_equal_inputs_give_equal_prompts_and_fingerprints(twin, owner, django_capture_on_commit_callbacks):
    publish(twin, owner, django_capture_on_commit_callbacks)
    first = build_system_prompt(twin, QUESTION, "owner_chat")
    second = build_system_prompt(twin, QUESTION, "owner_chat")
    assert first == second
