"""Reading Server-Sent Events in tests: the events of a body, and a real HTTP reader that times them."""

from __future__ import annotations

import http.client
import json
import time


def parse_events(raw: bytes | str) -> list[tuple[str, dict]]:
    """`[(event name, data)]` of an SSE body; comment lines are skipped."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    events = []
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def stream_over_http(port: int, host: str, path: str, headers: dict, body: dict, *, timeout: float = 30):
    """POST `body` and read the response as it arrives: (response, [(seconds since sending, event name,
    data)]). Each event is timed when its last byte arrived, so buffering anywhere shows."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    connection.request("POST", path, body=json.dumps(body),
                       headers={"Host": host, "Content-Type": "application/json", **headers})
    response = connection.getresponse()
    timed, buffer = [], b""
    try:
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for name, data in parse_events(block + b"\n\n"):
                    timed.append((time.perf_counter() - started, name, data))
    finally:
        connection.close()
    return response, timed
