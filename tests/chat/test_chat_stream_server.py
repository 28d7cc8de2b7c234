"""Streamed replies through gunicorn with the gthread worker, as deployed: events arrive as the model
sends them (nothing buffers them), other requests are answered while a stream is open, and a client
that leaves mid-stream stops the model request and stores nothing."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from chat.models import Message
from tests.chat.sse import stream_over_http
from tests.config.serving import database_url, web_server
from tests.factories import make_token, make_user
from tests.fake_model import fake_model
from tests.personas.builders import new_twin

HOST = "acme.localhost"
TOKEN_DELAY_S = 0.25
REPLY = "One two three four five six seven eight nine ten."  # ten tokens: about 2.5 s streamed


@pytest.fixture
def model():
    with fake_model(lambda message: "Sure." if message == "Quick one?" else REPLY,
                    token_delay_s=TOKEN_DELAY_S) as (url, log):
        yield url, log


@pytest.fixture
def server(committed_db, model):
    # The server as deployed (config/gunicorn.conf.py): the gthread worker, which keeps a slow stream
    # from holding the whole worker since each request has a thread (README "Streamed replies"); one
    # worker with four threads. On the embedded server too: database_url names its socket directory.
    with web_server(database_url(connection.settings_dict), application_name="test-chat-stream",
                    WEB_CONCURRENCY="1", WEB_THREADS="4", LLM_PROVIDER="openai", LLM_BASE_URL=model[0],
                    LLM_MODEL="fake-model",
                    CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", "personas")) as port:
        yield port


@pytest.fixture
def chatter(committed_db):
    """A committed user, token and twin in acme (the server is another process)."""
    from config.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    owner = make_user(acme, f"streamer-{uuid.uuid4().hex[:8]}")
    token = make_token(acme, owner)
    with schema_context("acme"):
        twin = new_twin(owner, name=f"Streamer {uuid.uuid4().hex[:6]}")
    return {"Authorization": f"Token {token}"}, twin


def stream(port, chatter, message="Tell me a story."):
    headers, twin = chatter
    return stream_over_http(port, HOST, f"/api/twins/{twin.pk}/chat", headers, {"message": message, "stream": True})


def test_events_arrive_as_the_model_sends_them(server, chatter):
    response, events = stream(server, chatter)

    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert response.getheader("Content-Encoding") is None
    names = [name for _, name, _ in events]
    assert names == ["delta"] * 10 + ["done"]
    first, last = events[0][0], events[-1][0]
    # Buffered anywhere (a middleware, the worker), every event would arrive at the end together.
    assert last - first > 5 * TOKEN_DELAY_S, [round(at, 3) for at, _, _ in events]
    assert "".join(data["text"] for _, name, data in events if name == "delta") == events[-1][2]["reply"] == REPLY


def test_other_requests_are_answered_while_a_stream_is_open(server, chatter, model):
    headers, twin = chatter
    _, log = model
    result = {}

    def slow_stream():
        response, events = stream(server, chatter)
        result["events"], result["ended"] = events, time.perf_counter()

    def timed(method, path, body=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{server}{path}", method=method, data=body,
            headers={"Host": HOST, "Content-Type": "application/json", **headers})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            body = response.read()
        return time.perf_counter() - started, time.perf_counter(), body

    reader = threading.Thread(target=slow_stream)
    reader.start()
    # The stream is open once the model has its request and has sent a piece or two.
    deadline = time.monotonic() + 10
    while not log.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(2 * TOKEN_DELAY_S)
    active_s, active_at, _ = timed("GET", f"/api/twins/{twin.pk}/persona-specs/active")
    chat_s, chat_at, body = timed("POST", f"/api/twins/{twin.pk}/chat", b'{"message": "Quick one?"}')
    second_stream_s, second_at, _ = timed("POST", f"/api/twins/{twin.pk}/chat",
                                          b'{"message": "Another story?", "stream": true}')
    reader.join(timeout=30)

    assert [name for _, name, _ in result["events"]][-1] == "done"
    # Answered while the first stream was still open, not after it.
    assert active_at < result["ended"] and chat_at < result["ended"], (active_s, chat_s)
    assert active_s < 2 and chat_s < 2
    assert b'"reply"' in body
    # The second stream ran beside the first one: one stream's time, not two.
    assert second_at < result["ended"] + len(REPLY.split()) * TOKEN_DELAY_S / 2, second_stream_s


def test_a_client_leaving_mid_stream_stops_the_model_request_and_stores_nothing(server, chatter, model):
    headers, twin = chatter
    _, log = model
    sock = socket.create_connection(("127.0.0.1", server), timeout=10)
    body = b'{"message": "Tell me a long story.", "stream": true}'
    request = (f"POST /api/twins/{twin.pk}/chat HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               f"Authorization: {headers['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    sock.sendall(request)
    received = b""
    while b"event: delta" not in received:
        received += sock.recv(4096)
    sock.close()  # gone after the first piece

    deadline = time.monotonic() + 15
    while log.streams_abandoned == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert log.streams_abandoned == 1, "the model request was not closed when the client left"
    time.sleep(TOKEN_DELAY_S * 2)
    with schema_context("acme"):
        assert not Message.objects.filter(conversation__twin=twin).exists()
