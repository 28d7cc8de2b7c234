"""Shared fixtures: the test database holds the demo tenants `acme` and `globex`, seeded once.

Each test runs in a transaction that is rolled back (pytest-django's `db`), so the tenants and their
seeded rows are the same at the start of every test. Tests that need committed rows (threads, a live
server) use `committed_db` and clean up what they create.
"""

from __future__ import annotations

import pytest

# Django is imported inside the fixtures so that the plain-Python suites (spec, compiler, intents,
# providers) also run with `-p no:django`.


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from config.demo import seed_demo

    with django_db_blocker.unblock():
        seed_demo()


@pytest.fixture(autouse=True)
def _back_to_public_schema(request):
    """A request or a tenant fixture moves the shared connection to a tenant schema; undo that."""
    yield
    if "django_db_setup" in request.fixturenames:
        from django.db import connection

        connection.set_schema_to_public()


@pytest.fixture
def acme(db):
    from config.models import Tenant

    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def globex(db):
    from config.models import Tenant

    return Tenant.objects.get(schema_name="globex")


@pytest.fixture
def in_acme(acme):
    """Run the test body's ORM calls in acme's schema."""
    from django_tenants.utils import schema_context

    with schema_context("acme"):
        yield acme


@pytest.fixture
def committed_db(django_db_blocker):
    """Database access without the per-test transaction: rows are really committed (threads see them)."""
    from django.db import connection

    with django_db_blocker.unblock():
        yield
    connection.set_schema_to_public()


