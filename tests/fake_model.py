"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for chat and evaluation tests and the
bench: it answers each user message by a rule, fails where told to, waits where told to, records what
it received, and counts how many requests it had in flight at once (the runner's bounded concurrency)."""

from __future__ import annotations

import json
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
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def fake_model(answer: Callable[[str], str | None], *, delay_s: float = 0.0):
    """`answer(user message)` gives the reply; None makes the server answer 500 for that message."""
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
