"""`make run-prod` starts the production layout on one machine and it serves: gunicorn workers, a task
worker that /health sees alive, Redis as the cache, DEBUG off (docs/scaling.md)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.factories import demo_admin, make_token, url_of_the_test_database

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def call(port: int, method: str, path: str, token: str | None = None, body: dict | None = None):
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "acme.localhost", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    client.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = client.getresponse()
    return response.status, json.loads(response.read() or b"null")


def test_run_prod_refuses_to_start_without_redis():
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(50)}
    env.pop("REDIS_URL", None)
    result = subprocess.run(["make", "-s", "run-prod"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stdout + result.stderr


@pytest.mark.skipif(not redis_answers(), reason=f"no Redis answering at {REDIS_URL}")
def test_run_prod_serves_with_workers_a_task_worker_and_redis(committed_db):
    from django_tenants.utils import schema_context

    from config.models import Tenant
    from twins.models import Twin

    acme = Tenant.objects.get(schema_name="acme")
    token = make_token(acme, demo_admin(acme))
    with schema_context("acme"):
        twin_id = str(Twin.objects.get(name="Maya Chen").pk)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url_of_the_test_database(), "REDIS_URL": REDIS_URL,
           "CACHE_KEY_PREFIX": f"test-run-prod-{secrets.token_hex(4)}", "SECRET_KEY": secrets.token_urlsafe(50),
           "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(["make", "-s", "run-prod", f"PORT={port}"], cwd=REPO, env=env, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 180, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, health = call(port, "GET", "/health")
                if status == 200 and health["worker"]["alive"]:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert server.poll() is None, server.stdout.read()
        assert health and health["worker"]["alive"], health

        status, body = call(port, "POST", f"/api/twins/{twin_id}/chat", token, {"message": "Should we raise?"})
        assert status == 200, body
        assert body["trace"]["prompt_source"] == "persona_spec"
        status, body = call(port, "GET", "/api/nowhere", token)
        assert status == 404 and "detail" in body  # DEBUG is off: a JSON 404, no debug page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
