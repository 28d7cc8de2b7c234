"""The web server as `make run` starts it (gunicorn with config/gunicorn.conf.py, DEBUG on), for tests.

Real processes, real sockets: the server runs against the database a test names, on a free port of
127.0.0.1, and is stopped when the test ends.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
# What `make run` runs (Makefile): every setting comes from the configuration file and the environment.
SERVER_COMMAND = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"]
# config/gunicorn.conf.py's defaults: its connections per worker are bounded by its threads.
WORKERS = 2
THREADS = 8


def database_url(settings_dict: dict, name: str | None = None) -> str:
    """A DATABASE_URL for the database of `settings_dict`, on TCP or on a unix socket (the embedded server)."""
    host = settings_dict["HOST"] or settings_dict.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        host = quote(host, safe="")  # dj-database-url reads a percent-encoded path as a socket directory
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict.get("PASSWORD") else ""
    return f"postgresql://{settings_dict['USER']}{password}@{host}{port}/{name or settings_dict['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(url: str, *, application_name: str, **env: str) -> Iterator[int]:
    """Serve the project on a free port against `url`; yields the port once /health answers 200.

    `application_name` names the server's database connections in pg_stat_activity.
    """
    port = free_port()
    full_env = {**os.environ, "DEBUG": "true", "PORT": str(port), "DATABASE_URL": url, "PGAPPNAME": application_name,
                "CHAT_THROTTLE_RATE": "", "LLM_PROVIDER": "offline", "GUNICORN_LOG_LEVEL": "warning",
                "LOG_LEVEL": "WARNING", **env}
    full_env.pop("DATABASE_POOL_MAX_SIZE", None)  # the configuration file's own figure, as `make run` has it
    # The access log (stdout) is dropped; errors still reach the test's captured stderr.
    server = subprocess.Popen(SERVER_COMMAND, cwd=REPO, env=full_env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/health", host="localhost")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (exit code {server.poll()})")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def request(port: int, method: str, path: str, *, host: str, token: str | None = None, body=None,
            chunked: bool = False, timeout: float = 30) -> tuple[int, str, bytes]:
    """One HTTP request; returns (status, content type, body). `chunked` sends the body without a length."""
    headers = {"Host": host}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if chunked and data is not None:
            pieces = (data[start:start + 16_384] for start in range(0, len(data), 16_384))
            connection.request(method, path, body=pieces, headers=headers, encode_chunked=True)
        else:
            connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def api_token(schema_name: str, user) -> str:
    """An API token for `user` of the tenant `schema_name`, committed (the server must see it)."""
    from django_tenants.utils import schema_context

    from api_tokens.services import api_token_create

    with schema_context(schema_name):
        return api_token_create(user=user, expires_in=None)[1]
