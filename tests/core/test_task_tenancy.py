"""The task middleware puts the worker thread's connection back on the public schema around each task."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from core.task_tenancy import public_schema_around_task


def test_a_task_starts_and_ends_on_the_public_schema(acme):
    connection.set_tenant(acme)  # what the previous task left behind
    seen = []

    def task():
        seen.append(connection.schema_name)
        connection.set_tenant(acme)  # a task that enters a tenant and forgets to leave
        return "done"

    assert public_schema_around_task(task, None, None) == "done"
    assert seen == [get_public_schema_name()] and connection.schema_name == get_public_schema_name()


def test_the_schema_is_reset_even_when_the_task_fails(acme):
    def failing():
        connection.set_tenant(acme)
        raise RuntimeError("boom")

    try:
        public_schema_around_task(failing, None, None)
    except RuntimeError:
        pass
    assert connection.schema_name == get_public_schema_name()
