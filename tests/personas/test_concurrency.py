"""Real transactions in several threads: the twin-row lock and the database constraints hold."""

from __future__ import annotations

import threading
import uuid

from django.db import connection, connections
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.personas.builders import example_spec, new_twin

THREADS = 6


def run_in_threads(target, count: int) -> list:
    """Start `count` threads at once; each runs `target(index)` in acme's schema on its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            with schema_context("acme"):
                barrier.wait()
                results[index] = target(index)
        except Exception as exc:  # reported to the test, not swallowed
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def committed_twin():
    from config.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    owner = make_user(acme, f"race-{uuid.uuid4().hex[:8]}")
    with schema_context("acme"):
        return owner, new_twin(owner, name=f"Race {uuid.uuid4().hex[:6]}")


def test_concurrent_creates_get_distinct_versions(committed_db):
    owner, twin = committed_twin()
    results = run_in_threads(lambda i: persona_spec_create(twin=twin, actor=owner, spec=example_spec()).version,
                             THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results, key=lambda v: tuple(map(int, v.split(".")))) == [f"1.0.{n}" for n in range(THREADS)]


def test_concurrent_publishes_of_different_versions_leave_exactly_one_active(committed_db):
    owner, twin = committed_twin()
    with schema_context("acme"):
        versions = [persona_spec_create(twin=twin, actor=owner, spec=example_spec()) for _ in range(THREADS)]
    results = run_in_threads(lambda i: persona_spec_publish(persona_spec=versions[i], actor=owner), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    with schema_context("acme"):
        statuses = list(PersonaSpec.objects.filter(twin=twin).values_list("status", flat=True))
        assert statuses.count("active") == 1
        assert statuses.count("archived") == THREADS - 1
    # Each publish archived the one before it: the previous versions form one chain.
    previous = [r.previous_active_version for r in results]
    assert previous.count(None) == 1
    assert connection.schema_name == "public"
