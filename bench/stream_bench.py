"""A streamed chat reply over HTTP against the fake OpenAI-compatible server (tests/fake_model.py):
time to first byte (the status line and the first `delta` go out together) and total time, medians,
beside the same reply asked for whole. The fake model waits TOKEN_DELAY_S before each token, so the
floors are one token delay for the first byte and tokens × delay for the whole reply.

Served as deployed: gunicorn, gthread worker (1 worker, 4 threads), the bench tenant's twin with the
max-size spec active, messages stored.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time

from bench.chat_bench import HOST, ROOT, free_port, request
from tests.fake_model import fake_model, tokens

TOKEN_DELAY_S = float(os.environ.get("BENCH_STREAM_TOKEN_DELAY_S", "0.02"))
REPLY = ("Start with the constraint that matters most: runway. Charge from day one, keep the pilot paid and "
         "scoped, name the metric that decides it, and revisit the price once three customers renew.")
TOKENS = len(tokens(REPLY))


def start_server(port: int, model_url: str) -> subprocess.Popen:
    env = {**os.environ, "LLM_PROVIDER": "openai", "LLM_BASE_URL": model_url, "LLM_MODEL": "fake-model",
           "CHAT_THROTTLE_RATE": "", "DEBUG": "false", "LOG_LEVEL": "WARNING", "ALLOW_EMBEDDED_DATABASE": "true",
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
           "ALLOWED_HOSTS": f"{HOST},localhost,127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-k", "gthread", "--threads", "4", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def streamed_once(port: int, twin_id: str, token: str) -> tuple[float, float]:
    """(seconds to the first delta, seconds to the end of the stream) of one streamed reply."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("POST", f"/api/twins/{twin_id}/chat",
                       body=json.dumps({"message": "How should we price the pilot?", "stream": True}),
                       headers={"Host": HOST, "Content-Type": "application/json", "Authorization": f"Token {token}"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"streamed chat failed: {response.status} {response.read()[:200]!r}")
    first, body = None, b""
    while chunk := response.read1(65536):
        body += chunk
        if first is None and b"event: delta" in body:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    connection.close()
    if b"event: done" not in body:
        raise RuntimeError(f"the stream did not end with done: {body[-300:]!r}")
    return first, total


def whole_once(port: int, twin_id: str, token: str) -> float:
    started = time.perf_counter()
    status, data = request(port, "POST", f"/api/twins/{twin_id}/chat", {"message": "How should we price the pilot?"},
                           token)
    if status != 200:
        raise RuntimeError(f"chat failed: {status} {data[:200]!r}")
    return time.perf_counter() - started


def run(token: str, twin_id: str, rounds: int = 30) -> dict:
    with fake_model(lambda message: REPLY, token_delay_s=TOKEN_DELAY_S) as (url, _):
        port = free_port()
        server = start_server(port, url)
        try:
            for _ in range(3):  # warm the worker: imports, connections, the compiled spec
                streamed_once(port, twin_id, token)
            first, total, whole = [], [], []
            for _ in range(rounds):
                ttfb, end = streamed_once(port, twin_id, token)
                first.append(ttfb * 1000)
                total.append(end * 1000)
                # The fake model takes tokens × delay either way: the difference is what the person
                # waits for before seeing text.
                whole.append(whole_once(port, twin_id, token) * 1000)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    return {
        "token_delay_ms": TOKEN_DELAY_S * 1000,
        "tokens": TOKENS,
        "rounds": rounds,
        "floor_first_byte_ms": round(TOKEN_DELAY_S * 1000, 1),
        "floor_total_ms": round(TOKENS * TOKEN_DELAY_S * 1000, 1),
        "median_first_byte_ms": round(statistics.median(first), 1),
        "median_total_ms": round(statistics.median(total), 1),
        "median_whole_reply_ms": round(statistics.median(whole), 1),
        "first_byte_over_whole_reply": round(statistics.median(first) / statistics.median(whole), 3),
    }


def print_table(result: dict) -> None:
    print(f"\nStreamed chat reply over HTTP (gunicorn gthread 1×4, fake OpenAI-compatible model, "
          f"{result['tokens']} tokens at {result['token_delay_ms']:g} ms each, {result['rounds']} rounds)")
    print(f"  {'':<28}{'median ms':>12}{'floor ms':>10}")
    print(f"  {'first byte (first delta)':<28}{result['median_first_byte_ms']:>12.1f}{result['floor_first_byte_ms']:>10.1f}")
    print(f"  {'whole stream (done)':<28}{result['median_total_ms']:>12.1f}{result['floor_total_ms']:>10.1f}")
    print(f"  {'same reply, not streamed':<28}{result['median_whole_reply_ms']:>12.1f}{result['floor_total_ms']:>10.1f}")
    print(f"  first text after {result['first_byte_over_whole_reply']:.1%} of the wait for a whole reply")
