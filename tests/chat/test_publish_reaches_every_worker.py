"""With Redis, a publish is used by the very next chat request in every gunicorn worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import make_token, make_user, url_of_the_test_database
from tests.personas.builders import example_spec, new_twin

REPO = Path(__file__).resolve().parents[2]
WORKERS = 3

pytestmark = pytest.mark.skipif(not settings.REDIS_URL or not os.environ.get("DATABASE_URL"),
                                reason="needs REDIS_URL and DATABASE_URL (CI's second pass sets both)")


def call(port, method, path, token, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode() if body else None,
        headers={"Host": "acme.localhost", "Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def gunicorn_port(committed_db):
    test_database_url = url_of_the_test_database()  # a socket directory as host too (the embedded server)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": test_database_url, "CHAT_THROTTLE_RATE": "", "LLM_PROVIDER": "offline",
           "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "personas")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS),
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=REPO, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    yield port
    server.terminate()
    server.wait(timeout=30)


def test_publish_is_seen_by_the_next_request_in_every_worker(acme_committed, gunicorn_port):
    owner, token, twin = acme_committed
    chat = f"/api/twins/{twin.pk}/chat"
    # Warm every worker's local cache with version 1.0.0.
    seen = {call(gunicorn_port, "POST", chat, token, {"message": f"Warm {i}"})["trace"]["persona_spec_version"]
            for i in range(WORKERS * 4)}
    assert seen == {"1.0.0"}
    call(gunicorn_port, "POST", f"/api/twins/{twin.pk}/persona-specs", token, {"spec": example_spec()})
    call(gunicorn_port, "POST", f"/api/twins/{twin.pk}/persona-specs/1.0.1/publish", token)
    after = [call(gunicorn_port, "POST", chat, token, {"message": f"After {i}"})["trace"]["persona_spec_version"]
             for i in range(WORKERS * 4)]
    assert set(after) == {"1.0.1"}


@pytest.fixture
def acme_committed(committed_db):
    from config.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    owner = make_user(acme, f"workers-{uuid.uuid4().hex[:8]}")
    with schema_context("acme"):
        token = make_token(acme, owner)
        twin = new_twin(owner, name=f"Workers {uuid.uuid4().hex[:6]}")
        persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=example_spec()),
                             actor=owner)
    return owner, token, twin
