"""Background tasks and tenant schemas: a worker thread's connection is reused from one task to the
next, so each task starts and ends on the public schema (a procrastinate task middleware, set in
`PROCRASTINATE_WORKER_DEFAULTS`). Tasks enter their tenant's schema themselves, explicitly."""

from __future__ import annotations

from django.db import connection


def public_schema_around_task(call_next, context, worker):
    # procrastinate's Django app already closes stale connections around each task (outermost).
    connection.set_schema_to_public()
    try:
        return call_next()
    finally:
        connection.set_schema_to_public()
