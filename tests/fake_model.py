"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for chat and evaluation tests and the
bench: it answers each user message by a rule, fails where told to, waits where told to, records what
it received, and counts how many requests it had in flight at once (the runner's bounded concurrency).

A request with `"stream": true` is answered as the OpenAI API streams: `text/event-stream`, one
`data: {chat.completion.chunk}` line per token (a word and the space after it) every
`token_delay_s`, a last chunk with `finish_reason: "stop"`, then `data: [DONE]`. `break_stream`
makes the stream fail after `break_after` tokens: "error" sends an error event as OpenAI does when a
stream fails on its side, "cut" closes the connection without finishing the reply."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ModelLog:
    requests: list[dict] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    streams_abandoned: int = 0  # streams whose reader went away before the end
    lock: threading.Lock = field(default_factory=threading.Lock)


def tokens(reply: str) -> list[str]:
    """The fake model's tokens: each word with the whitespace after it."""
    return re.findall(r"\S+\s*|\s+", reply)


@contextmanager
def fake_model(answer: Callable[[str], str | None], *, delay_s: float = 0.0, token_delay_s: float = 0.0,
               break_stream: str | None = None, break_after: int = 2):
    """`answer(user message)` gives the reply; None makes the server answer 500 for that message.
    `delay_s` is waited before answering, `token_delay_s` per token (before each one when streamed)."""
    log = ModelLog()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
            system = [m["content"] for m in body["messages"] if m["role"] == "system"][0]
            with log.lock:
                log.requests.append({"user": user, "system": system, "model": body["model"], "body": body,
                                     "path": self.path, "authorization": self.headers.get("Authorization")})
                log.in_flight += 1
                log.max_in_flight = max(log.max_in_flight, log.in_flight)
            try:
                time.sleep(delay_s)
                reply = answer(user)
            finally:
                with log.lock:
                    log.in_flight -= 1
            if reply is not None and body.get("stream"):
                return self.stream_reply(reply, body["model"])
            if reply is not None:
                time.sleep(token_delay_s * len(tokens(reply)))  # a model takes as long either way
            status = 200 if reply is not None else 500
            payload = ({"id": "x", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                       if reply is not None else {"error": {"message": "upstream failure", "type": "server_error"}})
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def stream_reply(self, reply: str, model: str):
            def chunk(delta: dict, finish_reason=None) -> bytes:
                payload = {"id": "x", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
                return f"data: {json.dumps(payload)}\n\n".encode()

            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()  # HTTP/1.0: the body ends when the connection closes
                self.wfile.write(chunk({"role": "assistant", "content": ""}))
                self.wfile.flush()
                for index, token in enumerate(tokens(reply)):
                    if break_stream and index == break_after:
                        if break_stream == "error":
                            error = {"error": {"message": "upstream failure", "type": "server_error"}}
                            self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                        return
                    time.sleep(token_delay_s)
                    self.wfile.write(chunk({"content": token}))
                    self.wfile.flush()
                self.wfile.write(chunk({}, finish_reason="stop") + b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                with log.lock:
                    log.streams_abandoned += 1

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", log
    finally:
        server.shutdown()
        server.server_close()
