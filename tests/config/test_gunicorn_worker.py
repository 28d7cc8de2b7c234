"""gunicorn's own errors (before Django sees the request) are JSON with the JSON worker.

Found by `make fuzz`: a request line over 4094 bytes (long query strings) got gunicorn's HTML 414."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raw_get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: acme.localhost\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_request_line_over_the_limit_is_a_json_414(tmp_path):
    port = _free_port()
    # A WSGI app that is never reached: the limit is gunicorn's, checked before any application code.
    (tmp_path / "never_called.py").write_text("def app(environ, start_response):\n    raise AssertionError\n")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "never_called:app", "--chdir", str(tmp_path),
         "--bind", f"127.0.0.1:{port}", "--worker-class", "config.gunicorn_worker.JsonErrorThreadWorker",
         "--pythonpath", str(ROOT), "--workers", "1", "--log-level", "error"],
        cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = _raw_get(port, "/api/twins/?page=" + "9" * 5000)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ")
    assert b"Content-Type: application/json" in head
    error = json.loads(body)
    assert set(error) == {"detail", "errors"} and error["detail"].startswith("URI Too Long")


def test_the_production_worker_setup_uses_this_worker(monkeypatch):
    import os
    import runpy

    # The file sets variables for the workers it configures: keep them out of this process's later tests.
    for name in ("DATABASE_POOL_MAX_SIZE", "PGAPPNAME"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
        if not os.environ[name]:
            monkeypatch.delenv(name)
    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert settings["worker_class"] == "config.gunicorn_worker.JsonErrorThreadWorker"
