"""With Redis, a publish is used by the very next chat request in every gunicorn worker."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.config.serving import database_url, request, web_server
from tests.factories import make_token, make_user
from tests.personas.builders import example_spec, new_twin

WORKERS = 3

pytestmark = pytest.mark.skipif(not settings.REDIS_URL or not os.environ.get("DATABASE_URL"),
                                reason="needs REDIS_URL and DATABASE_URL (CI's second pass sets both)")


def call(port, method, path, token, body=None):
    status, _, content = request(port, method, path, host="acme.localhost", token=token, body=body)
    assert status < 400, (status, content)
    return json.loads(content)


@pytest.fixture
def gunicorn_port(committed_db):
    # Several workers, each with its own local cache; REDIS_URL comes from this process's environment.
    with web_server(database_url(connection.settings_dict), application_name="test-publish-workers",
                    WEB_CONCURRENCY=str(WORKERS),
                    CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", "personas")) as port:
        yield port


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
