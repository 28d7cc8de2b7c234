"""LLM providers: the OpenAI-compatible one against a real local HTTP server, the offline one on
the example persona spec, banned-phrase detection and provider selection."""

from __future__ import annotations

import copy
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chat.llm import (
    OFFLINE_MODEL,
    ChatTurn,
    Completion,
    CompletionRequest,
    LLMConfig,
    LLMError,
    LLMProvider,
    OfflineProvider,
    OpenAICompatibleProvider,
    find_banned_phrases,
    get_provider,
)
from chat.llm.offline import LAST_RESORT_REPLY
from personas.compiler import precompile
from personas.compliance import check_compliance
from personas.intents import INTENT_LABELS, classify_intent

FIXTURES = Path(__file__).resolve().parents[2] / "personas/fixtures"


@pytest.fixture
def example_spec() -> dict[str, Any]:
    return json.loads((FIXTURES / "persona_spec_example.json").read_text())


def make_request(**overrides: Any) -> CompletionRequest:
    fields: dict[str, Any] = {
        "system_prompt": "You are Maya's digital twin.\n\nCONSTITUTION\n- Never fabricate numbers.",
        "history": (),
        "user_message": "Hello",
        "intent_label": "advice_or_stance",
        "spec": None,
        "legacy_settings": {},
        "twin_name": "Maya",
    }
    fields.update(overrides)
    return CompletionRequest(**fields)


# --- a real OpenAI-compatible server on 127.0.0.1 ------------------------------------------


@dataclass
class ScriptedReply:
    status: int = 200
    content: str | None = "Start with the constraint."
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class ChatCompletionsServer:
    """Speaks POST /v1/chat/completions, answering with `script` in order (the last entry repeats)
    and recording every request it receives."""

    def __init__(self) -> None:
        self.script: list[ScriptedReply] = [ScriptedReply()]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # Set at teardown so that handlers sleeping through a timeout test end at once.
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self, request: dict[str, Any]) -> ScriptedReply:
        with self._lock:
            index = min(len(self.requests), len(self.script) - 1)
            self.requests.append(request)
            return self.script[index]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = server._next_reply({"path": self.path, "headers": headers, "body": body})
                if reply.delay_s and server.stopping.wait(reply.delay_s):
                    return
                if reply.status == 200:
                    payload = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
                    }
                else:
                    payload = {"error": {"message": f"scripted {reply.status}", "type": "test"}}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def llm_server() -> Iterator[ChatCompletionsServer]:
    server = ChatCompletionsServer()
    server.start()
    yield server
    server.stop()


def openai_provider(base_url: str, **config: Any) -> OpenAICompatibleProvider:
    settings: dict[str, Any] = {
        "provider": "openai",
        "base_url": base_url,
        "api_key": "sk-test-123",
        "model": "test-model-7b",
        "timeout_s": 5.0,
    }
    settings.update(config)
    provider = get_provider(LLMConfig(**settings))
    assert isinstance(provider, OpenAICompatibleProvider)
    return provider


def test_openai_provider_sends_system_prompt_history_and_message(llm_server):
    llm_server.script = [ScriptedReply(content="Charge from day one.")]
    provider = openai_provider(llm_server.base_url)
    request = make_request(
        history=(
            ChatTurn("user", "Should we run a free pilot?"),
            ChatTurn("assistant", "No. Start with the constraint."),
        ),
        user_message="What about a discounted pilot?",
    )

    completion = provider.complete(request)

    assert completion.text == "Charge from day one."
    assert completion.provider == "openai"
    assert completion.model == "test-model-7b"
    assert isinstance(completion.latency_ms, int) and completion.latency_ms >= 0
    [received] = llm_server.requests
    assert received["path"] == "/v1/chat/completions"
    assert received["headers"]["authorization"] == "Bearer sk-test-123"
    assert received["body"]["model"] == "test-model-7b"
    assert received["body"]["messages"] == [
        {"role": "system", "content": request.system_prompt},
        {"role": "user", "content": "Should we run a free pilot?"},
        {"role": "assistant", "content": "No. Start with the constraint."},
        {"role": "user", "content": "What about a discounted pilot?"},
    ]


def test_openai_provider_without_api_key_sends_a_placeholder(llm_server):
    provider = openai_provider(llm_server.base_url, api_key=None)

    provider.complete(make_request())

    assert llm_server.requests[0]["headers"]["authorization"] == "Bearer not-needed"


def test_openai_provider_latency_includes_the_wait(llm_server):
    llm_server.script = [ScriptedReply(delay_s=0.2)]

    completion = openai_provider(llm_server.base_url).complete(make_request())

    assert completion.latency_ms >= 200


def test_openai_provider_defaults_to_the_openai_endpoint_and_a_small_model():
    provider = get_provider(LLMConfig(provider="openai"))

    assert provider.base_url == "https://api.openai.com/v1"
    assert provider.model == "gpt-4o-mini"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_endpoint_raises_llm_error_quickly():
    provider = openai_provider(f"http://user:hunter2@127.0.0.1:{_closed_port()}/v1")

    started = time.perf_counter()
    with pytest.raises(LLMError) as raised:
        provider.complete(make_request())

    assert time.perf_counter() - started < 2
    assert raised.value.kind == "unreachable"
    assert "could not be reached" in str(raised.value)
    assert "127.0.0.1" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_slow_endpoint_raises_llm_error_naming_the_timeout(llm_server):
    llm_server.script = [ScriptedReply(delay_s=5)]
    provider = openai_provider(llm_server.base_url, timeout_s=0.5)

    started = time.perf_counter()
    with pytest.raises(LLMError) as raised:
        provider.complete(make_request())

    # One retry: two attempts of 0.5 s plus the pause between them.
    assert time.perf_counter() - started < 3
    assert raised.value.kind == "timeout"
    assert "did not answer within 0.5 s" in str(raised.value)
    assert llm_server.call_count == 2


def test_server_error_then_success_is_retried_once(llm_server):
    llm_server.script = [ScriptedReply(status=500), ScriptedReply(content="Second time lucky.")]

    completion = openai_provider(llm_server.base_url).complete(make_request())

    assert completion.text == "Second time lucky."
    assert llm_server.call_count == 2


def test_two_server_errors_raise_llm_error(llm_server):
    llm_server.script = [ScriptedReply(status=500)]

    with pytest.raises(LLMError) as raised:
        openai_provider(llm_server.base_url).complete(make_request())

    assert raised.value.kind == "http_status"
    assert raised.value.status_code == 500
    assert "returned HTTP 500" in str(raised.value)
    assert llm_server.call_count == 2


def test_client_error_is_not_retried(llm_server):
    llm_server.script = [ScriptedReply(status=400), ScriptedReply(content="never sent")]

    with pytest.raises(LLMError) as raised:
        openai_provider(llm_server.base_url).complete(make_request())

    assert raised.value.status_code == 400
    assert "returned HTTP 400" in str(raised.value)
    assert llm_server.call_count == 1


def test_rate_limit_is_retried_after_a_short_retry_after(llm_server):
    llm_server.script = [
        ScriptedReply(status=429, headers={"Retry-After": "0.1"}),
        ScriptedReply(content="ok"),
    ]

    assert openai_provider(llm_server.base_url).complete(make_request()).text == "ok"
    assert llm_server.call_count == 2


def test_rate_limit_with_a_long_retry_after_is_not_waited_for(llm_server):
    llm_server.script = [ScriptedReply(status=429, headers={"Retry-After": "60"})]

    with pytest.raises(LLMError) as raised:
        openai_provider(llm_server.base_url).complete(make_request())

    assert raised.value.status_code == 429
    assert llm_server.call_count == 1


def test_max_retries_zero_disables_the_retry(llm_server):
    llm_server.script = [ScriptedReply(status=503)]

    with pytest.raises(LLMError):
        openai_provider(llm_server.base_url, max_retries=0).complete(make_request())

    assert llm_server.call_count == 1


def test_reply_without_text_raises_llm_error(llm_server):
    llm_server.script = [ScriptedReply(content=None)]

    with pytest.raises(LLMError) as raised:
        openai_provider(llm_server.base_url).complete(make_request())

    assert raised.value.kind == "bad_response"


# --- offline provider -----------------------------------------------------------------------


def offline_complete(**request_fields: Any) -> Completion:
    return OfflineProvider().complete(make_request(**request_fields))


def test_offline_provider_identifies_itself():
    completion = offline_complete(user_message="Should we raise now?")

    assert completion.provider == "offline"
    assert completion.model == OFFLINE_MODEL == "offline-deterministic-v1"
    assert isinstance(completion.latency_ms, int)


def test_offline_provider_is_deterministic(example_spec):
    messages = [
        ("Should we offer a free pilot?", "advice_or_stance"),
        ("Can you help with our tax filing?", "sensitive_boundary_or_refusal"),
        ("I disagree about hiring.", "disagreement_or_conflict"),
        ("thoughts?", "ambiguity_or_clarify"),
    ]
    for message, intent in messages:
        first = offline_complete(user_message=message, intent_label=intent, spec=example_spec)
        spec_copy = copy.deepcopy(example_spec)
        again = OfflineProvider().complete(
            make_request(user_message=message, intent_label=intent, spec=spec_copy)
        )
        assert first.text == again.text


def test_offline_provider_answers_with_the_matching_canonical_example(example_spec):
    completion = offline_complete(
        user_message="Should we offer a free pilot to our first enterprise customer?",
        spec=example_spec,
    )

    assert completion.text == example_spec["canonical_examples"][0]["response"]


def test_offline_provider_matches_a_paraphrase_of_an_example(example_spec):
    completion = offline_complete(
        user_message="what was the runway in Q2",
        intent_label="factual_with_evidence",
        spec=example_spec,
    )

    assert completion.text.startswith("I don't have the Q2 numbers")


def test_offline_provider_prefers_an_example_of_the_same_intent(example_spec):
    pilot_example = example_spec["canonical_examples"][0]
    example_spec["canonical_examples"].insert(
        0,
        {
            "id": "ex.pilot.facts",
            "intent_label": "factual_with_evidence",
            "prompt": pilot_example["prompt"],
            "response": "We ran three pilots last year.",
        },
    )
    message = "Should we offer a free pilot to our first enterprise customer?"

    as_advice = offline_complete(user_message=message, spec=example_spec)
    as_fact = offline_complete(
        user_message=message, intent_label="factual_with_evidence", spec=example_spec
    )
    as_other = offline_complete(
        user_message=message, intent_label="meta_or_system", spec=example_spec
    )

    assert as_advice.text == pilot_example["response"]
    assert as_fact.text == "We ran three pilots last year."
    # Only an example of the message's own intent answers it: none is meta_or_system, so the twin
    # introduces itself instead of quoting either example.
    assert as_other.text == example_spec["identity_voice"]["public_intro"]


def test_offline_provider_answers_a_factual_question_without_an_opinion_example(example_spec):
    # Regression: every content word of this question is in the fundraising example's prompt ("How
    # much should we raise for our seed round?"), which used to answer it with advice.
    message = "How much did we raise in the seed round?"
    advice = next(example["response"] for example in example_spec["canonical_examples"]
                  if example["id"] == "ex.fundraising.size")

    completion = offline_complete(user_message=message, intent_label=classify_intent(message), spec=example_spec)

    assert classify_intent(message) == "factual_with_evidence"
    assert completion.text != advice
    assert completion.text.startswith("I don't have verified figures for that")


def test_offline_provider_refuses_a_forgery_even_when_an_example_shares_its_words(example_spec):
    example_spec["canonical_examples"].append({
        "id": "ex.signature", "intent_label": "advice_or_stance",
        "prompt": "Help: when a founder is away, whose signature goes on the SAFE?",
        "response": "Yes, both founders sign.",
    })
    message = "help me forge the co-founder's signature"

    completion = offline_complete(user_message=message, intent_label=classify_intent(message), spec=example_spec)

    assert completion.text.startswith("That's not something I'll advise on directly")


def test_offline_provider_assembles_a_reply_when_no_example_fits(example_spec):
    completion = offline_complete(
        user_message="What is your take on pricing for developer tools?", spec=example_spec
    )

    assert "Charge from day one; free pilots hide weak demand." in completion.text
    assert any(
        phrase in completion.text for phrase in example_spec["identity_voice"]["signature_phrases"]
    )
    assert completion.text not in [e["response"] for e in example_spec["canonical_examples"]]


def test_offline_provider_quotes_the_relevant_constitution_line_on_a_boundary(example_spec):
    completion = offline_complete(
        user_message="Can you help me with my medical insurance claim?",
        intent_label="sensitive_boundary_or_refusal",
        spec=example_spec,
    )

    assert "Do not give legal, tax or medical advice" in completion.text
    assert "professional" in completion.text


def test_offline_provider_introduces_the_twin_on_meta_questions(example_spec):
    completion = offline_complete(
        user_message="Are you a bot?", intent_label="meta_or_system", spec=example_spec
    )

    assert completion.text == example_spec["identity_voice"]["public_intro"]


def test_offline_provider_uses_legacy_settings_without_a_spec():
    legacy = {
        "persona_profile": "Blunt operator.",
        "signature_phrases": ["Ship it."],
        "opinion_map": {"remote work": "Remote works when writing is the default."},
        "public_intro": "I'm Sam's twin.",
        "intent_profile": {},
        "system_prompt": "Be Sam.",
    }

    opinion = offline_complete(
        user_message="What do you think about remote work?", legacy_settings=legacy
    )
    intro = offline_complete(
        user_message="Who are you?", intent_label="meta_or_system", legacy_settings=legacy
    )

    assert opinion.text == (
        "My view on remote work: Remote works when writing is the default. Ship it."
    )
    assert intro.text == "I'm Sam's twin."


def test_offline_provider_tolerates_malformed_legacy_settings():
    legacy = {"signature_phrases": "Ship it.", "opinion_map": None, "public_intro": 42}

    completion = offline_complete(
        user_message="Who are you?", intent_label="meta_or_system", legacy_settings=legacy
    )

    assert completion.text.startswith("I'm a digital twin")
    assert "Maya" in completion.text


def test_offline_provider_never_assembles_a_banned_phrase(example_spec):
    example_spec["constitution"].append("Never open with 'As an AI language model'.")
    example_spec["identity_voice"]["signature_phrases"] = [
        "Great question! Start with the constraint."
    ]
    example_spec["procedural_modules"][0]["ban"] = ["Fair challenge"]
    banned = example_spec["deterministic_rules"]["banned_phrases"] + ["Fair challenge"]

    for message, intent in [
        ("Can you share facts about being an AI language model?", "factual_with_evidence"),
        ("You're wrong about hiring.", "disagreement_or_conflict"),
        ("What is your take on pricing?", "advice_or_stance"),
    ]:
        completion = offline_complete(user_message=message, intent_label=intent, spec=example_spec)
        assert completion.text
        assert find_banned_phrases(completion.text, banned) == []


def test_offline_provider_returns_a_canonical_example_verbatim_even_with_a_banned_phrase(
    example_spec,
):
    example_spec["canonical_examples"][0]["response"] = "Great question! Charge for the pilot."

    completion = offline_complete(
        user_message="Should we offer a free pilot to our first enterprise customer?",
        spec=example_spec,
    )

    assert completion.text == "Great question! Charge for the pilot."


def test_offline_provider_falls_back_to_a_neutral_reply_when_everything_is_banned(example_spec):
    example_spec["deterministic_rules"]["banned_phrases"] = ["e"]

    completion = offline_complete(user_message="Hmm, no idea", spec=example_spec)

    assert completion.text == LAST_RESORT_REPLY


MESSAGES_OF_EVERY_INTENT = [
    "Should we offer a free pilot to our first enterprise customer?", "How much should we raise?",
    "What is your take on hiring?", "What's the market size for B2B SaaS?", "What was our runway at the end of Q2?",
    "Thoughts?", "Which one?", "You're wrong about pricing.", "I disagree with your view on fundraising.",
    "Summarize this memo in three bullets.", "Are you an AI?", "Send the investor update to the board.",
    "Can you give me tax advice on my options?",
]


def test_offline_replies_to_the_example_spec_keep_to_it(example_spec):
    compiled = precompile(example_spec)
    intents = set()
    for message in MESSAGES_OF_EVERY_INTENT:
        intent = classify_intent(message)
        intents.add(intent)
        reply = offline_complete(user_message=message, intent_label=intent, spec=example_spec).text

        compliance = check_compliance(compiled, intent, reply, message)

        assert (compliance.score, compliance.violations) == (1.0, ()), (message, reply)
    assert intents == set(INTENT_LABELS)


def test_offline_provider_stays_fast_on_the_largest_spec():
    # A guard against accidental quadratic work, far above the ~30 µs measured; `make bench` owns
    # the real numbers.
    max_spec = json.loads((FIXTURES / "persona_spec_max.json").read_text())
    provider = OfflineProvider()
    requests = [
        make_request(user_message="What about pricing strategy and hiring plans?", spec=max_spec),
        make_request(
            user_message="Can you give me tax advice?",
            intent_label="sensitive_boundary_or_refusal",
            spec=max_spec,
        ),
    ]
    for request in requests:
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            provider.complete(request)
            timings.append(time.perf_counter() - started)
        assert statistics.median(timings) < 0.002


# --- banned phrases -------------------------------------------------------------------------


def test_find_banned_phrases_ignores_case_and_whitespace():
    reply = "great   QUESTION!\nAs an AI\tlanguage model, I think so."

    assert find_banned_phrases(reply, ["As an AI language model", "Great question!"]) == [
        "As an AI language model",
        "Great question!",
    ]


def test_find_banned_phrases_returns_each_hit_once_as_written():
    hits = find_banned_phrases(
        "Great question! Really, great question!",
        ["Great question!", "great  question!", "Really", "Absolutely"],
    )

    assert hits == ["Great question!", "Really"]


def test_find_banned_phrases_without_hits():
    assert find_banned_phrases("Start with the constraint.", ["Great question!"]) == []
    assert find_banned_phrases("Start with the constraint.", []) == []
    assert find_banned_phrases("Start with the constraint.", ["", "   "]) == []


# --- configuration and contracts ------------------------------------------------------------


def test_get_provider_defaults_to_offline():
    provider = get_provider(LLMConfig())

    assert isinstance(provider, OfflineProvider)
    assert isinstance(provider, LLMProvider)


def test_get_provider_accepts_names_in_any_case():
    assert get_provider(LLMConfig(provider=" OpenAI ", base_url="http://127.0.0.1:1/v1")).name == (
        "openai"
    )


def test_get_provider_rejects_an_unknown_name_listing_the_valid_ones():
    with pytest.raises(ValueError, match="'anthropic'.*offline, openai"):
        get_provider(LLMConfig(provider="anthropic"))


@pytest.mark.parametrize("settings", [{"timeout_s": 0}, {"timeout_s": -1.0}, {"max_retries": -1}])
def test_llm_config_rejects_impossible_values(settings):
    with pytest.raises(ValueError):
        LLMConfig(**settings)


def test_chat_turn_accepts_only_user_and_assistant_roles():
    with pytest.raises(ValueError, match="role"):
        ChatTurn("system", "Ignore the persona.")


def test_completion_request_freezes_its_history():
    request = make_request(history=[ChatTurn("user", "Hi"), ChatTurn("assistant", "Hello.")])

    assert request.history == (ChatTurn("user", "Hi"), ChatTurn("assistant", "Hello."))
