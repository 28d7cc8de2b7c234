"""POST /api/twins/{id}/chat as Server-Sent Events: the offline provider streams word by word, the
OpenAI-compatible provider streams what a real (fake) endpoint sends; errors before the stream are
JSON; a stream that fails or is abandoned stores nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from chat.models import Conversation, Message
from tests.chat.sse import parse_events
from tests.chat.test_chat_api import QUESTION, TRACE_FIELDS
from tests.factories import api_client, demo_admin, make_user
from tests.fake_model import fake_model
from tests.personas.builders import new_twin

REPLY = "Here is a straight answer in several words."


@pytest.fixture
def owner(acme):
    return make_user(acme, "stream-owner")


@pytest.fixture
def twin(acme, owner):
    with schema_context("acme"):
        return new_twin(owner, name="Maya", persona_profile="Direct.")


def post(client, twin, body=None, **headers):
    return client.post(f"/api/twins/{twin.pk}/chat", {"message": QUESTION, **(body or {})}, format="json",
                       **headers)


def streamed(client, twin, body=None, **headers):
    response = post(client, twin, {"stream": True, **(body or {})}, **headers)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, parse_events(b"".join(response.streaming_content))


def stored(twin):
    with schema_context("acme"):
        return (Conversation.objects.filter(twin=twin).count(),
                list(Message.objects.filter(conversation__twin=twin).values_list("role", "content")))


def test_the_offline_provider_streams_word_by_word_then_done_with_the_stored_reply(client, twin, published):
    response, events = streamed(client, twin)

    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache" and response["X-Accel-Buffering"] == "no"
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"} and len(names) > 5
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert text == done["reply"] and "free pilot tells you nothing" in text
    assert set(done) == {"conversation_id", "message_id", "reply", "trace"}
    assert set(done["trace"]) == TRACE_FIELDS
    assert done["trace"]["provider"] == "offline" and done["trace"]["persona_spec_version"] == "1.0.0"
    assert done["trace"]["compliance"]["score"] == 1.0  # computed on the whole text
    with schema_context("acme"):
        reply = Message.objects.get(pk=done["message_id"])
    assert reply.content == text and reply.trace == done["trace"]
    assert str(reply.conversation_id) == done["conversation_id"]


def test_a_streamed_reply_is_the_reply_the_json_answer_gives(client, twin, published):
    whole = post(client, twin).json()
    _, events = streamed(client, twin)
    done = events[-1][1]
    assert done["reply"] == whole["reply"]
    assert done["trace"]["compliance"] == whole["trace"]["compliance"]
    assert done["trace"]["prompt_fingerprint"] == whole["trace"]["prompt_fingerprint"]


def test_accept_text_event_stream_asks_for_a_stream_and_stream_false_overrides_it(client, twin):
    response = post(client, twin, HTTP_ACCEPT="text/event-stream")
    assert response.streaming and response["Content-Type"].startswith("text/event-stream")
    events = parse_events(b"".join(response.streaming_content))
    assert events[-1][0] == "done"

    plain = post(client, twin, {"stream": False}, HTTP_ACCEPT="text/event-stream, application/json")
    assert not plain.streaming and set(plain.json()) == {"conversation_id", "reply", "trace"}


def test_a_stream_continues_a_conversation(client, twin):
    _, first = streamed(client, twin)
    conversation_id = first[-1][1]["conversation_id"]
    _, second = streamed(client, twin, {"conversation_id": conversation_id, "message": "And the price?"})
    assert second[-1][1]["conversation_id"] == conversation_id
    assert stored(twin)[0] == 1 and len(stored(twin)[1]) == 4


@pytest.mark.parametrize("accept", ["text/event-stream", "application/json"])
def test_errors_before_the_stream_are_json(acme, client, twin, accept, settings):
    def error(response, status):
        assert response.status_code == status, response.content
        assert not response.streaming and response["Content-Type"] == "application/json"
        return response.json()

    assert error(post(client, twin, {"stream": True, "message": "  "}, HTTP_ACCEPT=accept), 400)["errors"]
    assert error(post(client, twin, {"stream": "maybe"}, HTTP_ACCEPT=accept), 400)["errors"][0]["path"] == "/stream"
    assert error(post(client, twin, {"stream": True, "conversation_id": "8d6f7e52-5b4e-4bb4-9c2a-1a1a1a1a1a1a"},
                      HTTP_ACCEPT=accept), 404)["detail"]
    assert error(post(api_client(acme), twin, {"stream": True}, HTTP_ACCEPT=accept), 401)["detail"]
    assert error(post(api_client(acme, make_user(acme)), twin, {"stream": True}, HTTP_ACCEPT=accept), 404)
    assert stored(twin) == (0, [])

    settings.CHAT_THROTTLE_RATE = "1/min"
    fresh = make_user(acme)  # a budget none of the requests above spent
    with schema_context("acme"):
        own_twin = new_twin(fresh, name="Throttled")
    fresh_client = api_client(acme, fresh)
    streamed(fresh_client, own_twin)
    assert error(post(fresh_client, own_twin, {"stream": True}, HTTP_ACCEPT=accept), 429)["detail"]


def test_a_second_tenant_cannot_stream_to_the_first_tenants_twin(acme, globex, owner, twin):
    globex_admin = api_client(globex, demo_admin(globex))
    response = post(globex_admin, twin, {"stream": True}, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 404 and not response.streaming
    # acme's token on globex's host names no user there.
    acme_token_on_globex = api_client(globex)
    acme_token_on_globex.credentials(HTTP_AUTHORIZATION=api_client(acme, owner)._credentials["HTTP_AUTHORIZATION"])
    assert post(acme_token_on_globex, twin, {"stream": True}).status_code == 401
    assert stored(twin) == (0, [])


def test_the_openai_compatible_provider_streams_what_the_endpoint_sends(client, twin):
    with fake_model(lambda message: REPLY) as (url, log), \
            override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url, LLM_MODEL="fake-model"):
        _, events = streamed(client, twin)
    assert log.requests[0]["body"]["stream"] is True
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert deltas == ["Here ", "is ", "a ", "straight ", "answer ", "in ", "several ", "words."]
    done = events[-1]
    assert done[0] == "done" and done[1]["reply"] == REPLY
    assert done[1]["trace"]["provider"] == "openai" and done[1]["trace"]["model"] == "fake-model"
    assert stored(twin)[1] == [("user", QUESTION), ("assistant", REPLY)]


@pytest.mark.parametrize("how", ["error", "cut"])
def test_a_stream_failing_midway_ends_with_an_error_event_and_stores_nothing(client, twin, how):
    with fake_model(lambda message: REPLY, break_stream=how, break_after=3) as (url, _), \
            override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url):
        _, events = streamed(client, twin)
    assert [name for name, _ in events] == ["delta", "delta", "delta", "error"]
    assert events[-1][1] == {"detail": "The language model endpoint stopped before the reply was complete.",
                             "errors": []}
    assert stored(twin) == (0, [])


def test_an_endpoint_failing_before_the_first_piece_is_a_502_json_error(client, twin):
    with fake_model(lambda message: None) as (url, _), \
            override_settings(LLM_PROVIDER="openai", LLM_BASE_URL=url):
        response = post(client, twin, {"stream": True})
    assert response.status_code == 502 and not response.streaming
    assert response.json()["detail"].startswith("The language model endpoint returned HTTP 500")
    assert stored(twin) == (0, [])


def test_the_schema_documents_the_stream_field_and_the_event_stream_response(tmp_path, db):
    import yaml
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    [chat] = [item["post"] for path, item in schema["paths"].items() if path.rstrip("/?").endswith("/chat")]
    assert set(chat["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert "`done`" in chat["description"] and "`error`" in chat["description"]
    assert schema["components"]["schemas"]["ChatRequestRequest"]["properties"]["stream"]["type"] == "boolean"


def test_a_conversation_deleted_while_its_reply_streams_ends_with_an_error_and_stores_nothing(client, twin):
    _, first = streamed(client, twin)
    conversation_id = first[-1][1]["conversation_id"]
    response = post(client, twin, {"stream": True, "conversation_id": conversation_id, "message": "And then?"})
    body = iter(response.streaming_content)
    assert parse_events(next(body))[0][0] == "delta"
    with schema_context("acme"):
        Conversation.objects.filter(pk=conversation_id).delete()  # say, from another tab
    events = parse_events(b"".join(body))
    assert events[-1] == ("error", {"detail": "The conversation was deleted while its reply was written.",
                                    "errors": []})
    assert stored(twin) == (0, [])
