"""A gthread worker whose own error responses are JSON, like every other API error.

gunicorn answers some requests before Django sees them: a request line over `limit_request_line`
(414), too many or too large headers (431/400), a malformed request line (400). Its stock answer is
an HTML page. This worker swaps gunicorn's error writer, in the worker process only, for one that
writes the API's error body (`{"detail", "errors"}`). config/gunicorn.conf.py uses it, so `make run`,
production, `make load` and `make fuzz` all answer this way.
"""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker


def write_json_error(sock, status_int, reason, mesg):
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason, "errors": []}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


class JsonErrorThreadWorker(ThreadWorker):
    def init_process(self):
        # gunicorn's workers call `util.write_error` for their own errors; this process is ours.
        util.write_error = write_json_error
        super().init_process()
