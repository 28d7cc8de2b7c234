"""Providers' stream(): text pieces as they are produced, then one Completion with their concatenation."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from chat.llm import Completion, LLMConfig, LLMError, OfflineProvider, get_provider
from tests.chat.test_llm import make_request
from tests.fake_model import fake_model

SPEC = json.loads((Path(__file__).resolve().parents[2] / "personas/fixtures/persona_spec_example.json").read_text())
REPLY = "Start with the constraint,\nthen  the numbers."


def split(items):
    *pieces, last = list(items)
    assert isinstance(last, Completion) and all(isinstance(piece, str) and piece for piece in pieces)
    return pieces, last


@pytest.mark.parametrize("request_", [
    make_request(spec=SPEC, user_message="Should we offer a free pilot?"),  # a canonical example
    make_request(spec=SPEC, user_message="I disagree with your pricing view."),  # assembled
    make_request(legacy_settings={"signature_phrases": ["Ship it."], "persona_profile": "Direct."}),
])
def test_the_offline_provider_streams_its_reply_word_by_word(request_):
    provider = OfflineProvider()
    pieces, completion = split(provider.stream(request_))
    assert "".join(pieces) == completion.text == provider.complete(request_).text
    assert len(pieces) == len(completion.text.split()) > 1
    assert completion.provider == "offline"


def openai_provider(url, **config):
    return get_provider(LLMConfig(provider="openai", base_url=url, model="requested", **config))


def test_the_openai_compatible_provider_yields_the_endpoints_deltas():
    with fake_model(lambda message: REPLY) as (url, log):
        pieces, completion = split(openai_provider(url).stream(make_request()))
    assert pieces == ["Start ", "with ", "the ", "constraint,\n", "then  ", "the ", "numbers."]
    assert completion.text == REPLY and completion.model == "requested" and completion.provider == "openai"
    assert log.requests[0]["body"]["stream"] is True


def test_a_failure_before_the_first_piece_is_retried_then_raised():
    with fake_model(lambda message: None) as (url, log):
        with pytest.raises(LLMError) as raised:
            next(openai_provider(url, max_retries=1).stream(make_request()))
    assert raised.value.kind == "http_status" and raised.value.status_code == 500
    assert len(log.requests) == 2


def test_an_unreachable_endpoint_raises_before_any_piece():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(LLMError) as raised:
        next(openai_provider(f"http://127.0.0.1:{port}/v1", max_retries=0).stream(make_request()))
    assert raised.value.kind == "unreachable"


@pytest.mark.parametrize("how", ["error", "cut"])
def test_a_stream_failing_midway_raises_after_the_pieces_sent(how):
    with fake_model(lambda message: REPLY, break_stream=how, break_after=2) as (url, log):
        stream = openai_provider(url).stream(make_request())
        assert [next(stream), next(stream)] == ["Start ", "with "]
        with pytest.raises(LLMError) as raised:
            next(stream)
    assert raised.value.kind == "bad_response" and "before the reply was complete" in raised.value.message
    assert len(log.requests) == 1  # text has gone out: never retried


def test_closing_the_stream_early_closes_the_request_to_the_endpoint():
    with fake_model(lambda message: " ".join(["word"] * 50), token_delay_s=0.02) as (url, log):
        stream = openai_provider(url).stream(make_request())
        assert next(stream) == "word "
        stream.close()
        deadline = time.monotonic() + 5
        while not log.streams_abandoned and time.monotonic() < deadline:
            time.sleep(0.02)
    assert log.streams_abandoned == 1
