"""POST /api/twins/{id}/chat and the conversation endpoints, on real tenant schemas and real HTTP peers."""

from __future__ import annotations

import socket
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from chat.models import Conversation, Message, PromptSnapshot
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import api_client, data_queries, demo_admin, make_user
from tests.fake_model import fake_model
from tests.personas.builders import example_spec, new_twin

TRACE_FIELDS = {"persona_spec_version", "prompt_source", "fallback_reason", "intent_label", "intent_confidence",
                "intent_source", "interaction_context",
                "module_ids",
                "few_shot_ids", "prompt_fingerprint", "provider", "model", "latency_ms", "banned_phrase_hits", "compliance"}
QUESTION = "Should we offer a free pilot to our first enterprise customer?"


@pytest.fixture
def owner(acme):
    return make_user(acme, "chat-owner")


@pytest.fixture
def twin(acme, owner):
    with schema_context("acme"):
        return new_twin(owner, name="Maya", persona_profile="Direct.", public_intro="I'm Maya's twin.")


def chat(client, twin, message=QUESTION, **body):
    return client.post(f"/api/twins/{twin.pk}/chat", {"message": message, **body}, format="json")


def test_chat_reply_and_trace_with_an_active_spec(client, twin, published):
    response = chat(client, twin)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"conversation_id", "reply", "trace"}
    assert set(body["trace"]) == TRACE_FIELDS
    assert body["trace"]["persona_spec_version"] == "1.0.0"
    assert body["trace"]["prompt_source"] == "persona_spec"
    assert body["trace"]["provider"] == "offline"
    assert "free pilot tells you nothing" in body["reply"]  # the matching canonical example


def test_the_trace_says_how_the_intent_was_decided(client, twin, published):
    greeting = chat(client, twin, "Hi Maya! Hope you had a great weekend :)").json()
    factual = chat(client, twin, "How much cash did we burn in October?").json()

    assert {key: greeting["trace"][key] for key in ("intent_label", "intent_source", "intent_confidence")} == {
        "intent_label": "meta_or_system", "intent_source": "rule", "intent_confidence": 1.0,
    }
    # Small talk gets the twin's introduction, not the fundraising example it used to get.
    assert greeting["reply"] == example_spec()["identity_voice"]["public_intro"]
    assert factual["trace"]["intent_label"] == "factual_with_evidence"
    assert factual["trace"]["intent_source"] == "model"
    assert 0 < factual["trace"]["intent_confidence"] < 1
    stored = client.get(f"/api/twins/{twin.pk}/conversations/{factual['conversation_id']}").json()["messages"][1]["trace"]
    assert stored["intent_source"] == "model"


def test_a_reply_carries_its_compliance_with_the_version(client, twin, published):
    trace = chat(client, twin).json()["trace"]

    # The canonical example the offline responder returns keeps to every rule that applies.
    assert trace["compliance"] == {
        "score": 1.0,
        "violations": [],
        "rules_checked": ["banned_phrase", "length", "hedging", "anti_example_copy"],
    }


def test_a_reply_breaking_the_spec_scores_low_with_its_violations(client, twin, owner,
                                                                  django_capture_on_commit_callbacks):
    spec = example_spec()
    spec["canonical_examples"][0]["response"] = (
        "Great question! There are many factors to consider, and every startup is unique."
    )
    with schema_context("acme"), django_capture_on_commit_callbacks(execute=True):
        persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=spec), actor=owner)

    body = chat(client, twin).json()

    compliance = body["trace"]["compliance"]
    assert [violation["rule"] for violation in compliance["violations"]] == ["banned_phrase", "anti_example_copy"]
    assert compliance["score"] == 0.25  # 1 - (3 + 3) / (3 + 1 + 1 + 3)
    assert body["trace"]["banned_phrase_hits"] == ["Great question!"]
    with schema_context("acme"):
        assert Message.objects.get(conversation_id=body["conversation_id"], role="assistant").trace["compliance"] == (
            compliance
        )


def test_a_legacy_reply_is_not_checked(client, twin):
    assert chat(client, twin).json()["trace"]["compliance"] is None


def test_messages_and_the_prompt_are_stored(client, twin, published):
    body = chat(client, twin).json()
    with schema_context("acme"):
        conversation = Conversation.objects.get(pk=body["conversation_id"])
        assert conversation.interaction_context == "owner_chat"
        user_message, reply = conversation.messages.all()
        assert (user_message.role, user_message.content, user_message.trace) == ("user", QUESTION, {})
        assert reply.role == "assistant" and reply.trace == body["trace"]
        snapshot = PromptSnapshot.objects.get(pk=body["trace"]["prompt_fingerprint"])
        assert "## CONSTITUTION" in snapshot.text


def test_conversation_continues_and_is_listed(client, twin, published):
    first = chat(client, twin).json()
    second = chat(client, twin, "How much should we raise?", conversation_id=first["conversation_id"])
    assert second.json()["conversation_id"] == first["conversation_id"]
    detail = client.get(f"/api/twins/{twin.pk}/conversations/{first['conversation_id']}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["messages"][0]["trace"] is None and set(detail["messages"][1]["trace"]) == TRACE_FIELDS
    listed = client.get(f"/api/twins/{twin.pk}/conversations").json()
    assert [c["id"] for c in listed["results"]] == [first["conversation_id"]]


@pytest.mark.parametrize("prompt_source", ["persona_spec", "legacy"])
def test_the_response_is_the_stored_reply_and_its_whole_trace(request, client, twin, prompt_source):
    if prompt_source == "persona_spec":
        request.getfixturevalue("published")
    body = chat(client, twin).json()
    with schema_context("acme"):
        reply = Message.objects.get(conversation_id=body["conversation_id"], role="assistant")
    assert reply.trace["prompt_source"] == prompt_source
    assert body == {"conversation_id": str(reply.conversation_id), "reply": reply.content, "trace": reply.trace}


def test_the_documented_response_is_the_one_served(acme):
    schema = api_client(acme).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert set(components["ChatResponse"]["properties"]) == {"conversation_id", "reply", "trace"}
    assert set(components["Trace"]["properties"]) == TRACE_FIELDS


def test_legacy_twin_reply_says_so_in_the_trace(client, twin):
    trace = chat(client, twin).json()["trace"]
    assert trace["prompt_source"] == "legacy" and trace["persona_spec_version"] is None
    assert trace["fallback_reason"] == "no active persona spec"


def test_the_next_message_after_a_publish_uses_the_new_version(client, twin, owner, published):
    assert chat(client, twin).json()["trace"]["persona_spec_version"] == "1.0.0"
    client.post(f"/api/twins/{twin.pk}/persona-specs", {"spec": example_spec()}, format="json")
    # The API request commits nothing inside the test transaction; run its on_commit refresh.
    with schema_context("acme"):
        from personas.models import PersonaSpec
        from personas.selectors import active_spec_cache_refresh

        PersonaSpec.objects.filter(twin=twin, version="1.0.1").get()
    assert client.post(f"/api/twins/{twin.pk}/persona-specs/1.0.1/publish").status_code == 200
    with schema_context("acme"):
        active_spec_cache_refresh(twin.pk)
    assert chat(client, twin).json()["trace"]["persona_spec_version"] == "1.0.1"


@pytest.mark.parametrize("message, status", [("", 400), ("   ", 400), ("x" * 8001, 400), ("x" * 8000, 200)])
def test_message_length_limits(client, twin, message, status):
    response = chat(client, twin, message)
    assert response.status_code == status
    if status == 400:
        assert response.json()["errors"][0]["path"] == "/message"


def test_missing_message_and_bad_conversation_id_are_400(client, twin):
    assert client.post(f"/api/twins/{twin.pk}/chat", {}, format="json").json()["errors"][0]["path"] == "/message"
    response = chat(client, twin, conversation_id="not-a-uuid")
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "/conversation_id"


def test_a_conversation_of_another_twin_or_user_is_404(acme, client, twin, owner):
    conversation_id = chat(client, twin).json()["conversation_id"]
    with schema_context("acme"):
        other_twin = new_twin(owner, name="Other")
    assert chat(client, other_twin, conversation_id=conversation_id).status_code == 404
    assert client.get(f"/api/twins/{other_twin.pk}/conversations/{conversation_id}").status_code == 404
    colleague = api_client(acme, make_user(acme, perms=["twins.view_twin"]))
    assert chat(colleague, twin, conversation_id=conversation_id).status_code == 404
    assert colleague.get(f"/api/twins/{twin.pk}/conversations/{conversation_id}").status_code == 404
    assert chat(client, twin, conversation_id=str(uuid.uuid4())).status_code == 404


def test_a_hidden_twin_is_404(acme, twin):
    assert chat(api_client(acme, make_user(acme)), twin).status_code == 404


def test_another_tenant_sees_nothing(acme, globex, client, twin):
    conversation_id = chat(client, twin).json()["conversation_id"]
    globex_admin = api_client(globex, demo_admin(globex))
    assert chat(globex_admin, twin).status_code == 404
    assert globex_admin.get(f"/api/twins/{twin.pk}/conversations/{conversation_id}").status_code == 404
    with schema_context("globex"):
        assert not Message.objects.filter(conversation_id=conversation_id).exists()


def test_chat_needs_credentials(acme, twin):
    assert chat(api_client(acme), twin).status_code == 401


@override_settings(CHAT_THROTTLE_RATE="2/min")
def test_chat_is_throttled_per_user_and_tenant(acme, globex, client, twin):
    assert [chat(client, twin).status_code for _ in range(3)] == [200, 200, 429]
    throttled = chat(client, twin)
    assert "Retry-After" in throttled and throttled.json()["detail"]
    # The same user id in another tenant has its own budget.
    globex_client = api_client(globex, demo_admin(globex))
    with schema_context("globex"):
        from twins.models import Twin

        globex_twin = Twin.objects.first()
    assert chat(globex_client, globex_twin).status_code == 200


def test_queries_per_chat_request(client, twin, published):
    chat(client, twin)  # warm the cache and the token
    with CaptureQueriesContext(connection) as captured:
        assert chat(client, twin).status_code == 200
    statements = [" ".join(q.split()[:3]) for q in data_queries(captured)]
    # The host's route is cached (core/tenant_routes.py); the turn is one statement writing the
    # conversation, the prompt snapshot (here never marked stored: the test's transaction never
    # commits) and both messages (chat/turn_writes.py), so no transaction or savepoint is needed.
    tables = ["knox_authtoken", "twins_twin", "chat_conversation"]
    assert len(statements) == len(tables), statements
    for statement, table in zip(data_queries(captured), tables):
        assert table in statement, (table, statement[:80])
    write = data_queries(captured)[-1]
    assert all(table in write for table in ("chat_conversation", "chat_promptsnapshot", "chat_message"))
    assert not any("personas_personaspec" in q for q in data_queries(captured)), "the warm cache answers"


# --- the openai provider against a real OpenAI-compatible server --------------------------------

def test_openai_provider_receives_the_compiled_system_prompt(client, twin, published):
    with fake_model(lambda message: "Pilots should be paid.") as (base_url, log):
        with override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=base_url, LLM_API_KEY="sk-test",
                               LLM_MODEL="test-model"):
            response = chat(client, twin)
    assert response.status_code == 200
    body = response.json()
    assert body["reply"] == "Pilots should be paid."
    assert (body["trace"]["provider"], body["trace"]["model"]) == ("openai", "test-model")
    request = log.requests[0]
    assert request["authorization"] == "Bearer sk-test"
    messages = request["body"]["messages"]
    assert messages[0]["role"] == "system" and messages[-1] == {"role": "user", "content": QUESTION}
    with schema_context("acme"):
        stored_prompt = PromptSnapshot.objects.get(pk=body["trace"]["prompt_fingerprint"]).text
    assert messages[0]["content"] == stored_prompt
    assert "## CONSTITUTION" in stored_prompt and "Never fabricate sources" in stored_prompt


def test_openai_endpoint_down_is_a_502_and_nothing_is_stored(client, twin):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    with override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=f"http://127.0.0.1:{dead_port}/v1",
                           LLM_TIMEOUT_SECONDS=2):
        response = chat(client, twin)
    assert response.status_code == 502
    assert response.json()["detail"]
    with schema_context("acme"):
        assert not Conversation.objects.filter(twin=twin).exists()


def test_openai_endpoint_too_slow_is_a_502(client, twin):
    with fake_model(lambda message: "Too late.", delay_s=3) as (base_url, _):
        with override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=base_url, LLM_TIMEOUT_SECONDS=0.5):
            response = chat(client, twin)
    assert response.status_code == 502
    assert "0.5" in response.json()["detail"] or "time" in response.json()["detail"].lower()


def test_a_stored_prompt_is_not_sent_again(client, twin, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = chat(client, twin).json()
    with CaptureQueriesContext(connection) as captured:
        second = chat(client, twin).json()
    assert second["trace"]["prompt_fingerprint"] == first["trace"]["prompt_fingerprint"]
    assert not any("chat_promptsnapshot" in q for q in data_queries(captured))
    with schema_context("acme"):
        assert PromptSnapshot.objects.filter(pk=first["trace"]["prompt_fingerprint"]).count() == 1
