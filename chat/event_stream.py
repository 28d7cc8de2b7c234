"""Server-Sent Events over a plain WSGI response: the framing, the headers that keep every hop from
buffering, and whether a request asked for a stream."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import StreamingHttpResponse

EVENT_STREAM = "text/event-stream"


def accepts_event_stream(request) -> bool:
    return EVENT_STREAM in request.headers.get("Accept", "")


def sse_event(name: str, data) -> bytes:
    # json.dumps escapes newlines inside strings, so the data is always one `data:` line.
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


def event_stream_response(events: Iterable[bytes]) -> StreamingHttpResponse:
    """Each event is sent as soon as it is produced. `no-cache` and `X-Accel-Buffering: no` keep a
    proxy (nginx and the like) from holding the events back; nothing in this project's middleware
    reads a streaming body (and GZipMiddleware, which would, is not installed)."""
    response = StreamingHttpResponse(events, content_type=f"{EVENT_STREAM}; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response

