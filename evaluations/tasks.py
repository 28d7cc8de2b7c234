"""The background task of evaluations, on procrastinate's PostgreSQL-backed queue.

A job carries its tenant's schema explicitly and runs inside it; `core.task_tenancy` puts the
worker's connection back on the public schema around every task, so no task leaves its schema to
the next one.
"""

from __future__ import annotations

from django_tenants.utils import schema_context
from procrastinate.contrib.django import app

EVALUATIONS_QUEUE = "evaluations"


@app.task(name="evaluations.run", queue=EVALUATIONS_QUEUE)
def run_evaluation(schema_name: str, run_id: str) -> None:
    from evaluations.runner import execute_run

    with schema_context(schema_name):
        execute_run(run_id)
