"""`make run`'s server under the traffic that broke runserver: bursts of concurrent requests, chunked bodies.

runserver gave every request a thread keeping its own database connection: a few bursts of 40 used up
the embedded server's 100 connections and healthy requests got 503. It also dropped chunked bodies, so
a chunked publish skipped its `expected_active_version` check and an oversized chunked body got 400.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.config.serving import REPO, SERVER_COMMAND, THREADS, WORKERS, api_token, database_url, request, web_server
from tests.factories import make_user
from tests.personas.builders import example_spec, new_twin
from twins.models import Twin

BURSTS = 6
CONCURRENCY = 40
APPLICATION_NAME = f"test-server-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def served(django_db_setup):
    url = database_url(connection.settings_dict)
    with web_server(url, application_name=APPLICATION_NAME) as port:
        yield port, url


class ConnectionSampler(threading.Thread):
    """Counts the server's connections to PostgreSQL (pg_stat_activity) every few milliseconds."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.counts, self.done = url, [], threading.Event()

    def run(self):
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                self.counts.append(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                                                [APPLICATION_NAME]).fetchone()[0])
                self.done.wait(0.02)


@pytest.fixture
def acme_owner(committed_db, acme_tenant):
    owner = make_user(acme_tenant, f"server-{uuid.uuid4().hex[:8]}")
    return owner, api_token("acme", owner)


@pytest.fixture
def acme_tenant(committed_db):
    from config.models import Tenant

    return Tenant.objects.get(schema_name="acme")


def test_bursts_of_concurrent_requests_never_503_and_database_connections_stay_bounded(served, acme_owner):
    port, url = served
    owner, token = acme_owner
    with schema_context("acme"):
        twin = new_twin(owner, name=f"Bursts {uuid.uuid4().hex[:6]}")
    paths = ["/api/twins/", f"/api/twins/{twin.pk}/persona-specs"]

    def call(index: int) -> int:
        return request(port, "GET", paths[index % 2], host="acme.localhost", token=token, timeout=60)[0]

    sampler = ConnectionSampler(url)
    sampler.start()
    statuses = Counter()
    try:
        for _ in range(BURSTS):
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                statuses.update(pool.map(call, range(CONCURRENCY)))
    finally:
        sampler.done.set()
        sampler.join()
    assert statuses == {200: BURSTS * CONCURRENCY}
    # One pooled connection per thread at most: never more than workers × threads, however many requests.
    assert 0 < max(sampler.counts) <= WORKERS * THREADS, Counter(sampler.counts)


def test_a_chunked_publish_with_a_stale_expected_active_version_is_refused(served, acme_owner):
    port, _ = served
    owner, token = acme_owner
    with schema_context("acme"):
        twin = new_twin(owner, name=f"Chunked {uuid.uuid4().hex[:6]}")
        persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=example_spec()),
                             actor=owner)
        persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    publish = f"/api/twins/{twin.pk}/persona-specs/1.0.1/publish"

    status, content_type, body = request(port, "POST", publish, host="acme.localhost", token=token,
                                         body={"expected_active_version": "0.9.0"}, chunked=True)
    assert (status, content_type) == (409, "application/json"), body
    assert "1.0.0" in json.loads(body)["detail"]
    with schema_context("acme"):
        assert PersonaSpec.objects.get(twin=twin, status="active").version == "1.0.0"

    status, _, body = request(port, "POST", publish, host="acme.localhost", token=token,
                              body={"expected_active_version": "1.0.0"}, chunked=True)
    assert status == 200, body
    with schema_context("acme"):
        assert PersonaSpec.objects.get(twin=twin, status="active").version == "1.0.1"


def test_a_chunked_body_over_one_mebibyte_is_a_json_413_and_writes_nothing(served, acme_owner):
    port, _ = served
    _, token = acme_owner
    name = f"Oversized {uuid.uuid4().hex[:6]}"
    body = json.dumps({"name": name, "settings": {"blob": "a" * (1024 * 1024)}}).encode()
    status, content_type, answer = request(port, "POST", "/api/twins/", host="acme.localhost", token=token,
                                           body=body, chunked=True)
    assert (status, content_type) == (413, "application/json"), answer[:200]
    assert "limit" in json.loads(answer)["detail"]
    with schema_context("acme"):
        assert not Twin.objects.filter(name=name).exists()


def test_a_chunked_body_under_the_limit_is_read_whole(served, acme_owner):
    port, _ = served
    _, token = acme_owner
    name = f"Chunked twin {uuid.uuid4().hex[:6]}"
    body = json.dumps({"name": name, "settings": {"blob": "b" * 200_000}}).encode()
    status, _, answer = request(port, "POST", "/api/twins/", host="acme.localhost", token=token, body=body,
                                chunked=True)
    assert status == 201, answer[:200]
    with schema_context("acme"):
        assert len(Twin.objects.get(name=name).settings["blob"]) == 200_000


def test_a_long_reply_does_not_hold_up_other_requests(committed_db, acme_owner):
    """A reply that takes seconds (a slow model, as a Server-Sent Events stream would) keeps one thread;
    with a single worker, the other threads still answer at once."""
    from tests.fake_model import fake_model

    owner, token = acme_owner
    with schema_context("acme"):
        twin = new_twin(owner, name=f"Slow model {uuid.uuid4().hex[:6]}")
    slow_seconds = 4
    with fake_model(lambda message: "A considered answer.", delay_s=slow_seconds) as (model_url, model_log), \
            web_server(database_url(connection.settings_dict), application_name=APPLICATION_NAME, WEB_CONCURRENCY="1",
                       LLM_PROVIDER="openai", LLM_BASE_URL=model_url, LLM_API_KEY="test", LLM_MODEL="slow") as port:
        with ThreadPoolExecutor(3) as pool:
            slow = [pool.submit(request, port, "POST", f"/api/twins/{twin.pk}/chat", host="acme.localhost", token=token,
                                body={"message": f"Take your time {index}"}) for index in range(3)]
            deadline = time.monotonic() + 10
            while model_log.in_flight < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert model_log.in_flight == 3, "the slow replies did not start"
            started = time.monotonic()
            status, _, _ = request(port, "GET", "/api/twins/", host="acme.localhost", token=token)
            quick_seconds = time.monotonic() - started
            assert [future.result()[0] for future in slow] == [200, 200, 200]
    assert status == 200
    assert quick_seconds < slow_seconds / 2, quick_seconds


def test_make_run_starts_the_server_these_tests_start():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nrun: seed\n", 1)[1].split("\n\n", 1)[0]
    assert " ".join(SERVER_COMMAND[1:]) in recipe.replace("$(PY)", "")
    assert "runserver" not in recipe
    assert "\nrun: export DEBUG := true\n" in makefile  # development says so, whatever DEBUG's default
